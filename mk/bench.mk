# The load benchmark (bench/): not part of `make test`. Needs PostgreSQL and Debian's wrk.
.PHONY: bench bench-quick bench-pgbouncer serve

bench: install
	$(RUN) python -m bench.runner --profile full

bench-quick: install
	$(RUN) python -m bench.runner --profile quick

# bench-quick with the API behind a local PgBouncer in transaction mode (apt-get install pgbouncer).
bench-pgbouncer: install
	$(RUN) python -m bench.runner --profile quick --pgbouncer

# The production server: one worker per core, uvloop + httptools (impl/serve.py).
serve: install
	$(RUN) alembic upgrade head
	$(RUN) python -m impl.serve --host $(API_HOST) --port $(API_PORT)
