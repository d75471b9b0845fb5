"""The Ed25519 key that signs each day's chain value, kept only in the system keyring."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from watchkeeper.collect.secrets import SecretsUnavailable, get_secret, set_secret

KEY_NAME = "integrity-signing-key"


@dataclass(frozen=True)
class SigningKey:
    """The key, or why there is none (no keyring): the days are then sealed unsigned."""

    private: Ed25519PrivateKey | None
    unavailable: str = ""

    @property
    def public_text(self) -> str | None:
        return None if self.private is None else public_text(self.private.public_key())


def public_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def load_key(create: bool) -> SigningKey:
    """This machine's signing key from the keyring; made there first when `create`."""
    try:
        text = get_secret(KEY_NAME)
        if text is None:
            if not create:
                return SigningKey(None, "no signing key has been made on this machine yet")
            private = Ed25519PrivateKey.generate()
            set_secret(KEY_NAME, base64.b64encode(private.private_bytes_raw()).decode())
            return SigningKey(private)
        return SigningKey(Ed25519PrivateKey.from_private_bytes(base64.b64decode(text)))
    except SecretsUnavailable as error:
        return SigningKey(None, error.message)
    except ValueError:
        return SigningKey(None, "the signing key in the keyring is damaged")


def message(day: date, chain: str) -> bytes:
    """What is signed: the day and its chain value."""
    return f"watchkeeper seal {day.isoformat()} {chain}".encode()


def sign(key: Ed25519PrivateKey, day: date, chain: str) -> str:
    return base64.b64encode(key.sign(message(day, chain))).decode()


def signature_holds(public_key: str, day: date, chain: str, signature: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(signature, validate=True), message(day, chain))
    except (InvalidSignature, ValueError):
        return False
    return True
