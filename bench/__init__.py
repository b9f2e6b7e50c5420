"""The load benchmark (`make bench`, `make bench-quick`): seeding, the ceiling app, wrk scripts, runner."""
