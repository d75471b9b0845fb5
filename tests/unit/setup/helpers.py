"""What the configuration tests share: an endpoint, finding the real tools, waiting."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from watchkeeper.setup.endpoint import Endpoint

FINGERPRINT = "0a" * 32
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def endpoint(address: str = "collector.example", **changes: object) -> Endpoint:
    values: dict[str, object] = {
        "address": address,
        "ports": {"syslog-tls": 6514, "http": 8088},
        "ca_pem": PEM,
        "fingerprint": FINGERPRINT,
        "http_token": "t0ken-of_the.collector",
    }
    values.update(changes)
    return Endpoint(**values)  # type: ignore[arg-type]


def needs(program: str, package: str) -> str:
    """The program's path; a skip naming the Debian package when it is missing."""
    # the venv's bin/ holds a sender installer/bootstrap.sh unpacked privately (syslog-ng)
    search = os.pathsep.join(
        [str(Path(sys.executable).parent), os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]
    )
    path = shutil.which(program, path=search)
    if path is None:
        pytest.skip(f"{program} is not installed (Debian package {package})")
    return path


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
