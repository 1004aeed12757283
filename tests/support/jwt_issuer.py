"""A test CDS client identity: real key pairs, a JWK Set, and tokens minted like an EHR would.

    issuer = JwtIssuer()                       # one EC P-384 key, kid "key-1"
    path = issuer.write_jwks(tmp_path / "jwks.json")
    token = issuer.mint(aud="http://127.0.0.1/cds-services/x")
    verifier.verify(f"Bearer {token}", "http://127.0.0.1/cds-services/x")

`mint(**overrides)` replaces claims; pass `OMIT` to leave a claim or header out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import get_default_algorithms

DEFAULT_ISSUER = "https://ehr.example.org/"
OMIT: Any = object()

_CURVES = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}


def generate_private_key(alg: str) -> Any:
    if alg in _CURVES:
        return ec.generate_private_key(_CURVES[alg]())
    if alg[:2] in ("RS", "PS"):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"no key type for {alg}")


@dataclass
class SigningKey:
    kid: str
    alg: str
    private_key: Any = field(repr=False)

    def public_jwk(self) -> dict[str, Any]:
        algorithm = get_default_algorithms()[self.alg]
        jwk = json.loads(algorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


class JwtIssuer:
    """One issuer (`iss`) with one or more signing keys; the first key signs by default."""

    def __init__(self, iss: str = DEFAULT_ISSUER, alg: str = "ES384", kid: str = "key-1") -> None:
        self.iss = iss
        self.keys: dict[str, SigningKey] = {}
        self.add_key(alg=alg, kid=kid)

    def add_key(self, alg: str = "ES384", kid: str | None = None) -> SigningKey:
        key = SigningKey(kid or f"key-{uuid.uuid4().hex[:8]}", alg, generate_private_key(alg))
        self.keys[key.kid] = key
        return key

    def remove_key(self, kid: str) -> None:
        del self.keys[kid]

    @property
    def default_key(self) -> SigningKey:
        return next(iter(self.keys.values()))

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self.keys.values()]}

    def write_jwks(self, path: Path) -> Path:
        path.write_text(json.dumps(self.jwks()), encoding="utf-8")
        return path

    def claims(self, aud: Any, iss: str | None = None, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": iss if iss is not None else self.iss,
            "sub": "ehr-client-1",
            "aud": aud,
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not OMIT}

    def mint(
        self,
        aud: Any,
        iss: str | None = None,
        alg: str | None = None,
        *,
        key_id: str | None = None,
        headers: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> str:
        """A signed JWT. `alg` defaults to the key's; `key_id` picks the key (the header kid is
        the key's unless `headers={"kid": ...}` says otherwise, or `OMIT`)."""
        key = self.keys[key_id] if key_id is not None else self.default_key
        header: dict[str, Any] = {"typ": "JWT", "kid": key.kid}
        header.update(headers or {})
        # PyJWT drops a falsy typ and never adds a kid of its own.
        header = {name: (None if value is OMIT else value) for name, value in header.items()}
        if header.get("kid") is None:
            header.pop("kid", None)
        payload = self.claims(aud, iss, **overrides)
        return jwt.encode(payload, key.private_key, algorithm=alg or key.alg, headers=header)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def hand_made_token(
    header: dict[str, Any], payload: dict[str, Any], hmac_secret: bytes | None
) -> str:
    """A token PyJWT would refuse to produce: `alg: none`, or HMAC keyed with public key bytes
    (the classic algorithm-confusion attack)."""
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    if hmac_secret is None:
        return signing_input + "."
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
    signature = hmac.new(hmac_secret, signing_input.encode(), digest[header["alg"]]).digest()
    return signing_input + "." + b64url(signature)
