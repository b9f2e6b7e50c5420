"""`make run`: the development server, with a ready-to-paste token and curl line."""

from __future__ import annotations

import argparse

import uvicorn

from impl.devtoken import NoSecretConfigured, development_token
from impl.observability.log_format import logging_config
from impl.settings import Settings


def cors_summary(origins: list[str]) -> str:
    """What a browser app on another origin can expect, so a CORS typo shows before the first 400."""
    if not origins:
        return "CORS: no browser origins allowed (set CORS_ORIGINS=http://localhost:3000,...)"
    return f"CORS: browser apps allowed from {', '.join(origins)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    settings = Settings()
    base = f"http://{args.host}:{args.port}"
    print(f"\nTodo API on {base} (docs: {base}/docs, database: {settings.database.url.render_as_string()})")
    print(cors_summary(settings.cors_origins))
    try:
        token = development_token(settings, "alice")
    except NoSecretConfigured as exc:
        print(f"No development token: {exc}.\n", flush=True)
    else:
        print(
            f"A token for user alice (others: make token USER=bob):\n  {token}\n"
            f"Try:\n  curl -s -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' "
            f'-d \'{{"title": "Buy milk"}}\' {base}/api/tasks\n'
            f"  curl -s -H 'Authorization: Bearer {token}' {base}/api/tasks\n",
            flush=True,
        )
    uvicorn.run("impl.main:app", host=args.host, port=args.port, log_config=logging_config(settings))


if __name__ == "__main__":
    main()
