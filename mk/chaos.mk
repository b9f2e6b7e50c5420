# Fault injection against the production server; included from the Makefile.
#   make chaos   PostgreSQL restart, outage, primary failover (pg_auto_failover), API SIGKILL/SIGTERM,
#                all under write load; one line per scenario, non-zero exit on any violation.
# Installs pg_auto_failover (Debian's postgresql-15-auto-failover) when missing; needs root for that.
.PHONY: chaos

chaos: install
	@command -v pg_autoctl >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-auto-failover >/dev/null; }
	$(RUN) python -m tests.chaos.run
