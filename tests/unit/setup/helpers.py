"""What the configuration tests share: an endpoint, finding the real tools, waiting."""

from __future__ import annotations

from tests.unit.collect.test_listeners import wait_until
from tests.unit.collect.test_senders import needs

from watchkeeper.setup.endpoint import Endpoint

__all__ = ["endpoint", "needs", "wait_until"]

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
