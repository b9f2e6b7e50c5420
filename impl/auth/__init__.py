"""Bearer-token authentication: verifies the JWT (HS256 secret and/or Better Auth JWKS) and yields `sub`."""

from impl.auth.dependency import bearer_token, current_user
from impl.auth.verifier import TokenVerifier

__all__ = ["TokenVerifier", "bearer_token", "current_user"]
