"""`make token`: development tokens pass the service's own verification, as configured."""

from __future__ import annotations

import pytest

from impl.auth import TokenVerifier
from impl.devtoken import NoSecretConfigured, development_token
from impl.settings import Settings


@pytest.mark.parametrize(
    "values",
    [
        {"app_env": "development"},
        {
            "app_env": "development",
            "better_auth_url": "http://localhost:3000",
            "better_auth_secret": "d" * 40,
        },
    ],
)
async def test_a_development_token_is_accepted(values: dict[str, str]) -> None:
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    verifier = TokenVerifier.from_settings(settings)
    assert await verifier.user_id(development_token(settings, "bob")) == "bob"
    await verifier.aclose()


def test_no_development_token_without_a_secret() -> None:
    settings = Settings(_env_file=None, app_env="development", better_auth_url="http://localhost:3000")
    with pytest.raises(NoSecretConfigured, match="/api/auth/token"):
        development_token(settings, "bob")
