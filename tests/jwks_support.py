"""Real keys, real signatures and a real HTTP JWKS endpoint on loopback, for the JWKS tests."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
ISSUER = "https://auth.example.test"
AUDIENCE = "https://auth.example.test"


def _private_key(alg: str, rsa_bits: int) -> PrivateKey:
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if alg.startswith("ES"):
        curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[alg]
        return ec.generate_private_key(curve)
    return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)


@dataclass(frozen=True)
class SigningKey:
    """A private key and the JWK that publishes its public half."""

    alg: str
    kid: str
    private: PrivateKey = field(repr=False)

    @classmethod
    def generate(cls, alg: str, *, kid: str | None = None, rsa_bits: int = 2048) -> SigningKey:
        return cls(alg, kid or secrets.token_urlsafe(12), _private_key(alg, rsa_bits))

    def jwk(self, **overrides: Any) -> dict[str, Any]:
        """The public JWK, with `kid` and `alg`; an override of None removes that member."""
        algorithm = jwt.get_algorithm_by_name(self.alg)
        jwk: dict[str, Any] = {**algorithm.to_jwk(self.private.public_key(), as_dict=True)}
        jwk |= {"kid": self.kid, "alg": self.alg, **overrides}
        return {name: value for name, value in jwk.items() if value is not None}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(
        self,
        sub: str | None = "user-1",
        *,
        alg: str | None = None,
        kid: str | Literal[False] | None = None,
        issuer: str | None = ISSUER,
        audience: str | None = AUDIENCE,
        expires_in: timedelta = timedelta(minutes=15),
        extra: dict[str, Any] | None = None,
    ) -> str:
        """A token signed with this key; `kid=False` leaves the kid out of the header."""
        claims = standard_claims(sub, issuer=issuer, audience=audience, expires_in=expires_in, extra=extra)
        headers = {} if kid is False else {"kid": kid or self.kid}
        return jwt.encode(claims, self.private, algorithm=alg or self.alg, headers=headers)


def standard_claims(
    sub: str | None,
    *,
    issuer: str | None = ISSUER,
    audience: str | None = AUDIENCE,
    expires_in: timedelta = timedelta(minutes=15),
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {"iat": now, "exp": now + expires_in}
    for name, value in (("sub", sub), ("iss", issuer), ("aud", audience)):
        if value is not None:
            claims[name] = value
    return {**claims, **(extra or {})}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge_hs256(claims: dict[str, Any], secret: bytes, *, kid: str | None = None) -> str:
    """An HS256 token MACed with arbitrary bytes (PyJWT rightly refuses to use a public key as a secret)."""
    header = {"alg": "HS256", "typ": "JWT", **({"kid": kid} if kid else {})}
    encoded = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in claims.items()}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(encoded).encode())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def unsigned(claims: dict[str, Any], *, kid: str | None = None) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims, None, algorithm="none", headers=headers)  # type: ignore[arg-type]


class ManualClock:
    """A monotonic clock that moves only when a test says so: TTLs expire without sleeping."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


Mode = Literal["serve", "error", "garbage", "silent"]


class JwksServer:
    """A minimal HTTP/1.1 server on loopback that publishes a JWK Set and counts the requests.

    Modes: `serve` the document, answer `error` (HTTP 500), `garbage` (200, not JSON), or stay
    `silent` (accept the connection, never answer: a dead auth server behind a live socket).
    `body` replaces the served document's bytes, `chunked` sends them without a Content-Length,
    `headers` are added to the response.
    """

    def __init__(self, *keys: SigningKey) -> None:
        self.document: dict[str, Any] = {"keys": [key.jwk() for key in keys]}
        self.body: bytes | None = None
        self.chunked = False
        self.headers: dict[str, str] = {}
        self.mode: Mode = "serve"
        self.requests = 0
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._released = asyncio.Event()

    def publish(self, *keys: SigningKey) -> None:
        self.document = {"keys": [key.jwk() for key in keys]}

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self._port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def url(self) -> str:
        """Still the same after stop(): an address where nothing listens any more."""
        assert self._port is not None
        return f"http://127.0.0.1:{self._port}/api/auth/jwks"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            self.requests += 1
            if self.mode == "silent":
                await self._released.wait()
                return
            status, body = {
                "serve": ("200 OK", self.body or json.dumps(self.document).encode()),
                "error": ("500 Internal Server Error", b"{}"),
                "garbage": ("200 OK", b"<html>not json</html>"),
            }[self.mode]
            length = {"Transfer-Encoding": "chunked"} if self.chunked else {"Content-Length": str(len(body))}
            headers = {"Content-Type": "application/json", **length, **self.headers, "Connection": "close"}
            head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            writer.write(head.encode() + b"\r\n")
            for chunk in _chunks(body) if self.chunked else [body]:
                writer.write(chunk)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


def _chunks(body: bytes, size: int = 16 * 1024) -> list[bytes]:
    """`body` in HTTP/1.1 chunked transfer coding, ending with the last, empty chunk."""
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return [f"{len(piece):x}\r\n".encode() + piece + b"\r\n" for piece in pieces] + [b"0\r\n\r\n"]
