"""Drive a real Better Auth server (``server.mjs``) from Python tests.

The server runs the genuine ``better-auth`` npm package, so tokens obtained
here are exactly what a production Better Auth deployment would issue.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.live_server import ServerNotReady, ServerProcess, free_port, logged, loopback_url

HERE = Path(__file__).resolve().parent
SERVER_SCRIPT = HERE / "server.mjs"

# Variables Better Auth reads on its own; inheriting them from a developer's
# shell would silently change iss/aud or the secret of the test server.
_SCRUBBED_ENV = (
    "BETTER_AUTH_URL",
    "BETTER_AUTH_SECRET",
    "BETTER_AUTH_TRUSTED_ORIGINS",
    "PORT",
)


class BetterAuthError(RuntimeError):
    """The Better Auth test server could not be set up or misbehaved."""


@dataclass(frozen=True)
class Session:
    """A signed-in Better Auth user, identified by its session cookies."""

    user_id: str
    email: str
    cookies: Mapping[str, str] = field(repr=False)

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


def ensure_node_modules() -> None:
    """Install the pinned npm dependencies if they are not present yet."""
    if (HERE / "node_modules" / "better-auth").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise BetterAuthError("npm is not on PATH; install Node.js >= 20 to run Better Auth tests")
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=HERE,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BetterAuthError(f"npm ci failed in {HERE}:\n{result.stdout}\n{result.stderr}")


class BetterAuthServer(ServerProcess):
    """One ``node server.mjs`` process; restart keeps its port and base URL."""

    def __init__(
        self,
        alg: str = "EdDSA",
        port: int = 0,
        *,
        trusted_origins: Sequence[str] = (),
        jwt_expires_in: str | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.alg = alg
        # Chosen here rather than by Node, so that a restart comes back on the same base URL.
        self.port = port or free_port()
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        env |= {"JWT_ALG": alg, "PORT": str(self.port)}
        if trusted_origins:
            env["TRUSTED_ORIGINS"] = ",".join(trusted_origins)
        if jwt_expires_in is not None:
            env["JWT_EXPIRES_IN"] = jwt_expires_in
        super().__init__(
            ["node", str(SERVER_SCRIPT)],
            # Better Auth's baseURL, which is also the JWT ``iss`` and ``aud``.
            base_url=loopback_url(self.port),
            # Its handshake rather than a probe of the port, which another server may hold.
            ready=logged(f"READY {self.port}"),
            env=env,
            cwd=HERE,
            startup_deadline_seconds=startup_timeout,
        )

    def start(self) -> None:
        if shutil.which("node") is None:
            raise BetterAuthError("node is not on PATH; install Node.js >= 20 to run Better Auth tests")
        ensure_node_modules()
        try:
            super().start()
        except ServerNotReady as exc:
            raise BetterAuthError(str(exc)) from None

    def restart(self) -> None:
        """Fresh process, hence fresh memory and keys, on the same base URL."""
        self.stop()
        self.start()

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/api/auth/jwks"

    # -- Better Auth API ---------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        session: Session | None = None,
        json: Any = None,
    ) -> httpx.Response:
        # Better Auth rejects a foreign Origin with 403; sending its own
        # origin mimics a same-site browser and always passes the check.
        headers = {"Origin": self.base_url}
        if session is not None:
            headers["Cookie"] = session.cookie_header
        # A one-shot request has no cookie jar, so sessions never leak between users.
        response = httpx.request(method, self.base_url + path, headers=headers, json=json, timeout=10.0)
        if response.status_code != 200:
            raise BetterAuthError(f"{method} {path} -> {response.status_code}: {response.text}")
        return response

    def _session_from(self, response: httpx.Response) -> Session:
        user = response.json()["user"]
        cookies = dict(response.cookies.items())
        if not cookies:
            raise BetterAuthError("Better Auth set no session cookie")
        return Session(user_id=str(user["id"]), email=str(user["email"]), cookies=cookies)

    def sign_up(self, email: str, password: str, name: str) -> Session:
        body = {"email": email, "password": password, "name": name}
        return self._session_from(self._request("POST", "/api/auth/sign-up/email", json=body))

    def sign_in(self, email: str, password: str) -> Session:
        body = {"email": email, "password": password}
        return self._session_from(self._request("POST", "/api/auth/sign-in/email", json=body))

    def token(self, session: Session) -> str:
        """A fresh JWT from ``GET /api/auth/token``."""
        return str(self._request("GET", "/api/auth/token", session=session).json()["token"])

    def token_from_get_session(self, session: Session) -> str:
        """A fresh JWT from the ``set-auth-jwt`` header of ``/api/auth/get-session``."""
        response = self._request("GET", "/api/auth/get-session", session=session)
        jwt: str | None = response.headers.get("set-auth-jwt")
        if not jwt:
            raise BetterAuthError("get-session returned no set-auth-jwt header")
        return jwt

    def jwks(self) -> dict[str, Any]:
        data: dict[str, Any] = self._request("GET", "/api/auth/jwks").json()
        return data

    def kids(self) -> list[str]:
        return [str(key["kid"]) for key in self.jwks()["keys"]]

    # -- test-only key control ----------------------------------------------

    def rotate(self) -> str:
        """Retire the signing key (still published) and return the new key's kid."""
        return str(self._request("POST", "/__test__/rotate").json()["kid"])

    def drop_old_keys(self) -> list[str]:
        """Unpublish every key but the newest; return the removed kids."""
        removed = self._request("POST", "/__test__/drop-old-keys").json()["removed"]
        return [str(kid) for kid in removed]
