"""What the Receiving page shows of TLS and the HTTP token, read from the keyring and the
config folder (plain functions: the window runs them in the background)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from watchkeeper.collect import certificates
from watchkeeper.collect.secrets import get_secret
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.progress import Progress


@dataclass(frozen=True)
class Credentials:
    """The generated certificate's fingerprint and the HTTP token, or why they are not."""

    fingerprint: str = ""
    fingerprint_problem: str = ""
    token: str = ""
    token_problem: str = ""
    keyring_usable: bool = True


def read_credentials(_progress: Progress | None = None, folder: Path | None = None) -> Credentials:
    """The generated certificate (made when missing, as the TLS listeners would) and the
    token in the keyring; a keyring that cannot be used is said, never worked around."""
    fingerprint = token = fingerprint_problem = token_problem = ""
    usable = True
    try:
        fingerprint = certificates.ensure_certificate(folder).fingerprint
    except WatchkeeperError as error:
        fingerprint_problem = error.message
    try:
        token = get_secret(certificates.HTTP_TOKEN_SECRET) or ""
    except WatchkeeperError as error:
        token_problem, usable = error.message, False
    else:
        if not token:
            token_problem = (
                "There is no token yet: one is made when the HTTP listener is first turned "
                "on, or when you make a new one here."
            )
    return Credentials(fingerprint, fingerprint_problem, token, token_problem, usable)


def certificate_problem(cert: str, key: str) -> str | None:
    """What is wrong with the user's own certificate and key; None when usable or unset."""
    if not cert.strip() and not key.strip():
        return None
    if not cert.strip():
        return "Choose the certificate file too, or clear the key to use the generated one."
    try:
        certificates.user_certificate(Path(cert.strip()), Path((key or cert).strip()))
    except WatchkeeperError as error:
        return error.message
    except (OSError, ValueError):  # a name with a NUL, or too long for the system
        return "The certificate or key file's name is not a usable path."
    return None


def colon_fingerprint(fingerprint: str) -> str:
    """AB:CD:… as most senders and browsers show a SHA-256 fingerprint."""
    return ":".join(fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2)).upper()
