"""Which published key may verify which algorithm: the key decides, never the token alone."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import jwt

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyShape:
    kty: str
    curves: frozenset[str] = frozenset()

    def fits(self, jwk: Mapping[str, object]) -> bool:
        if jwk.get("kty") != self.kty:
            return False
        return jwk.get("crv") in self.curves if self.curves else "crv" not in jwk


_RSA = KeyShape("RSA")
KEY_SHAPES: Mapping[str, KeyShape] = {
    "EdDSA": KeyShape("OKP", frozenset({"Ed25519", "Ed448"})),
    "ES256": KeyShape("EC", frozenset({"P-256"})),
    "ES384": KeyShape("EC", frozenset({"P-384"})),
    "ES512": KeyShape("EC", frozenset({"P-521"})),
    **dict.fromkeys(("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"), _RSA),
}

KeySet = Mapping[str, Mapping[str, jwt.PyJWK]]
"""kid → algorithm → key: one JWK without an `alg` of its own may serve several algorithms."""


def usable_algorithms(jwk: Mapping[str, object], allowed: Collection[str]) -> list[str]:
    """The allowed algorithms this JWK may verify: its own `alg` if it names one, and its shape fits."""
    if jwk.get("use", "sig") != "sig":
        return []
    key_ops = jwk.get("key_ops")
    if isinstance(key_ops, list) and "verify" not in key_ops:
        return []
    declared = jwk.get("alg")
    if declared is not None and not isinstance(declared, str):
        return []
    candidates = [declared] if declared is not None else list(allowed)
    return [alg for alg in candidates if alg in allowed and alg in KEY_SHAPES and KEY_SHAPES[alg].fits(jwk)]


def parse_jwks(document: object, allowed: Collection[str]) -> KeySet:
    """The usable public keys of a JWK Set; a malformed set is a ValueError, an unusable key is skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWK Set")
    keys: dict[str, dict[str, jwt.PyJWK]] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            continue
        if "d" in jwk:
            # A published private key lets anyone sign; trusting it would accept forgeries.
            logger.error("JWKS publishes private key material for kid %r; ignoring that key", jwk["kid"])
            continue
        for alg in usable_algorithms(jwk, allowed):
            try:
                key = jwt.PyJWK(jwk, algorithm=alg)
            except jwt.PyJWTError as exc:
                logger.warning("ignoring unusable JWK %r for %s: %s", jwk["kid"], alg, exc)
                continue
            weakness = key.Algorithm.check_key_length(key.key)
            if weakness:
                logger.warning("ignoring weak JWK %r: %s", jwk["kid"], weakness)
                continue
            keys.setdefault(jwk["kid"], {}).setdefault(alg, key)
    return keys
