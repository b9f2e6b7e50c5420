"""The service's contract, loaded once from openapi/tasks.yaml, and the limits other layers take from it."""

from __future__ import annotations

from pathlib import Path

from kit.contract import Contract

CONTRACT_FILE = Path(__file__).resolve().parent.parent / "openapi" / "tasks.yaml"
CONTRACT = Contract.load(CONTRACT_FILE)

MAX_TITLE_LENGTH: int = CONTRACT.schema("Title")["maxLength"]
MAX_USER_ID_LENGTH: int = CONTRACT.schema("Task")["properties"]["user_id"]["maxLength"]
MAX_IDEMPOTENCY_KEY_LENGTH: int = CONTRACT.document["components"]["parameters"]["IdempotencyKey"]["schema"][
    "maxLength"
]
