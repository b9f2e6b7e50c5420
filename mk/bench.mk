# The load benchmark (bench/): not part of `make test`. Needs PostgreSQL and Debian's wrk.
# BENCH_WORKERS=1 make bench-quick: one worker per server instead of one per core (latest-1-worker.*).
.PHONY: bench bench-quick bench-pgbouncer bench-profile bench-streams serve serving-env

# The servers under test run as deployed: with the service's own dependencies only, in an environment
# of their own (the dev and codegen groups would add, e.g., httpx's CLI, rich and pygments, to every
# worker's imports: ~5 MB of RSS each). bench/server.py starts them with this Python.
SERVING_ENV := .venv-serving
BENCH := BENCH_SERVER_PYTHON=$(SERVING_ENV)/bin/python $(RUN)

serving-env:
	@UV_PROJECT_ENVIRONMENT=$(SERVING_ENV) $(UV) sync --frozen --no-default-groups --quiet

bench: install serving-env
	$(BENCH) python -m bench.runner --profile full

bench-quick: install serving-env
	$(BENCH) python -m bench.runner --profile quick

# bench-quick with the API behind a local PgBouncer in transaction mode (apt-get install pgbouncer).
bench-pgbouncer: install serving-env
	$(BENCH) python -m bench.runner --profile quick --pgbouncer

# py-spy (run through uvx, not a dependency) on one worker of the service and of the lean bound,
# under wrk list and create load: CPU per request and self time by layer (bench/results/profile.*).
bench-profile: install serving-env
	$(BENCH) python -m bench.profile

# 1,000 open event streams per worker: list and get at 10 connections with and without them, in
# alternating rounds, and the memory per stream (bench/results/streams-*). BENCH_WORKERS=2 for two workers.
bench-streams: install serving-env
	$(BENCH) python -m bench.streams --workers $(or $(BENCH_WORKERS),1)

# The production server: one worker per core, uvloop + httptools (impl/serve.py).
serve: install
	$(RUN) alembic upgrade head
	$(RUN) python -m impl.serve --host $(API_HOST) --port $(API_PORT)
