"""The ASGI entry point of the server processes: `uvicorn impl.main:app` / `python -m impl.serve`."""

from impl.app import create_app
from impl.gc_tuning import tune_garbage_collector
from impl.observability.logging import configure_logging
from impl.settings import Settings

settings = Settings()
# Before the app is built: its access log binds to the configured logger.
configure_logging(settings)
app = create_app(settings)
# Process-wide policy, so it belongs to the server process, not to every app the factory builds.
tune_garbage_collector()
