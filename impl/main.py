"""The ASGI entry point of the server processes: `uvicorn impl.main:app` / `python -m impl.serve`."""

from impl.app import create_app
from impl.gc_tuning import tune_garbage_collector

app = create_app()
# Process-wide policy, so it belongs to the server process, not to every app the factory builds.
tune_garbage_collector()
