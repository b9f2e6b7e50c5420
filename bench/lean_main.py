"""The lean bound's server processes: `python -m bench.lean`, configured from the environment like
the service (impl/main.py), with the same garbage-collector policy."""

from bench.lean import LeanApp
from impl.gc_tuning import tune_garbage_collector

app = LeanApp()
tune_garbage_collector()
