"""The ASGI entry point: `uvicorn impl.main:app`."""

from impl.app import create_app

app = create_app()
