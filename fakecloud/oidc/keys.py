"""RS256 signing keys of one emulated provider, published as a JWKS and rotated on request."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(b64url(secrets.token_bytes(16)), rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwk(self) -> dict[str, Any]:
        numbers = self.private.public_key().public_numbers()
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": _uint(numbers.n),
                "e": _uint(numbers.e)}

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS (RS256) of ``claims`` with this key's ``kid`` in the header."""
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT"}
        signing_input = ".".join(b64url(json.dumps(part, separators=(",", ":")).encode())
                                 for part in (header, claims))
        signature = self.private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"


class KeySet:
    """The published keys; the newest signs. Rotation keeps the old keys unless told to drop them."""

    def __init__(self) -> None:
        self.keys: list[SigningKey] = []  # made on first use: an idle emulator generates no RSA keys

    @property
    def current(self) -> SigningKey:
        if not self.keys:
            self.keys.append(SigningKey.generate())
        return self.keys[-1]

    def rotate(self, drop_old: bool = False) -> SigningKey:
        self.current  # noqa: B018 - the key being rotated out exists
        key = SigningKey.generate()
        self.keys = [key] if drop_old else [*self.keys, key]
        return key

    def jwks(self) -> dict[str, Any]:
        self.current  # noqa: B018 - a provider always publishes at least its signing key
        return {"keys": [key.jwk() for key in reversed(self.keys)]}

    def find(self, kid: str) -> SigningKey | None:
        return next((key for key in self.keys if key.kid == kid), None)
