"""Secrets (the TLS key's passphrase, the HTTP token) kept only in the operating system's keyring.

Settings hold a secret's name, never its value. When the keyring cannot be used, every call
says so with `SecretsUnavailable`; nothing falls back to a file, because the backends that
would (keyrings.alt, the null backend) keep secrets in plain text or lose them.
"""

from __future__ import annotations

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail, null

from watchkeeper.core.errors import WatchkeeperError

SERVICE = "Watchkeeper"

# Backends that hold no secrets (fail, null) or hold them in files anyone who can read the
# user's folder can read (keyrings.alt).
_REFUSED_MODULES = (fail.__name__, null.__name__, "keyrings.alt")


class SecretsUnavailable(WatchkeeperError):
    title = "No keyring"


def _describe(backend: keyring.backend.KeyringBackend) -> str:
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"


def _refused(backend: keyring.backend.KeyringBackend) -> bool:
    module = type(backend).__module__
    return any(
        module == refused or module.startswith(refused + ".") for refused in _REFUSED_MODULES
    )


def _unavailable(backend_name: str, name: str) -> SecretsUnavailable:
    return SecretsUnavailable(
        f"No keyring is available ({backend_name}): Watchkeeper keeps secrets only in the "
        f'system keyring, so it cannot keep the secret "{name}" until one is running '
        "(Windows Credential Manager, the macOS Keychain, or on Linux a Secret Service "
        "such as GNOME Keyring or KWallet, unlocked)."
    )


def _backend(name: str) -> keyring.backend.KeyringBackend:
    """The keyring to use: the configured one, or the best real one a chainer would try."""
    active = keyring.get_keyring()
    if isinstance(active, chainer.ChainerBackend):
        usable: list[keyring.backend.KeyringBackend] = [
            backend for backend in active.backends if not _refused(backend)
        ]
        if not usable:
            raise _unavailable(_describe(active), name)
        return usable[0]
    if _refused(active):
        raise _unavailable(_describe(active), name)
    return active


def _failed(
    backend: keyring.backend.KeyringBackend,
    name: str,
    doing: str,
    error: keyring.errors.KeyringError,
) -> SecretsUnavailable:
    if isinstance(error, keyring.errors.NoKeyringError):
        return _unavailable(_describe(backend), name)
    detail = str(error) or type(error).__name__
    return SecretsUnavailable(
        f'The system keyring ({_describe(backend)}) could not {doing} the secret "{name}": '
        f"{detail}. Watchkeeper keeps secrets only in the keyring; unlock it and try again."
    )


def get_secret(name: str) -> str | None:
    """The secret stored under `name`, or None when there is none."""
    backend = _backend(name)
    try:
        return backend.get_password(SERVICE, name)
    except keyring.errors.KeyringError as error:
        raise _failed(backend, name, "read", error) from error


def set_secret(name: str, value: str) -> None:
    """Store `value` under `name`, replacing what was there."""
    backend = _backend(name)
    try:
        backend.set_password(SERVICE, name, value)
    except keyring.errors.KeyringError as error:
        raise _failed(backend, name, "store", error) from error


def delete_secret(name: str) -> None:
    """Forget the secret `name`; forgetting one that is not there is not an error."""
    backend = _backend(name)
    try:
        if backend.get_password(SERVICE, name) is None:
            return
        backend.delete_password(SERVICE, name)
    except keyring.errors.KeyringError as error:
        raise _failed(backend, name, "delete", error) from error
