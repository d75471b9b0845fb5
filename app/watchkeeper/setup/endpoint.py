"""Where endpoints send their logs: this collector's address, ports, certificate and token.

Every generated configuration is written from one `Endpoint`, so a port or a certificate
changed in Settings shows in every file generated after it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from watchkeeper.core.settings import LISTENERS, Settings
from watchkeeper.setup.plan import LoggingPlan


@dataclass(frozen=True)
class Endpoint:
    """What a sender needs to reach the collector."""

    address: str  # host name or address on the office network
    ports: dict[str, int]  # listener name (settings.LISTENERS) -> port, the ones turned on
    ca_pem: str = ""  # the collector's certificate (PEM), which senders trust or pin
    fingerprint: str = ""  # its SHA-256, lowercase hex
    http_token: str = ""  # empty when the HTTP listener is off or the keyring is locked

    def port(self, listener: str) -> int:
        """The listener's port: the one turned on, else its usual one."""
        return self.ports.get(listener, LISTENERS[listener])


def this_host() -> str:
    """This machine's name as other machines on the network are likeliest to know it: its
    full name, else its short name, else (when both only mean this machine) its address on
    the network, found by asking the system which address it would send from."""
    for name in (socket.getfqdn(), socket.gethostname()):
        if name and not _loopback(name):
            return name
    return _outward_address() or socket.gethostname() or "localhost"


def _loopback(name: str) -> bool:
    if name.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _outward_address() -> str:
    """The address this machine would send from; a UDP "connect" sends nothing."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed, never contacted
            address = str(probe.getsockname()[0])
    except OSError:
        return ""
    return "" if address.startswith(("0.", "127.")) else address


def endpoint_for(
    plan: LoggingPlan,
    settings: Settings,
    *,
    tls_folder: Path | None = None,
    now: datetime | None = None,
    with_secrets: bool = True,
) -> Endpoint:
    """The endpoint from the plan (address, listeners) and the collector's certificate.

    The certificate is made when missing (collect.certificates); the HTTP token is read (or
    made) from the keyring only with `with_secrets`, since a file holding it must then be
    kept like a password.
    """
    from watchkeeper.collect import certificates

    ports = dict(plan.receiving.listeners or settings.listeners)
    ca_pem = fingerprint = token = ""
    if {"syslog-tls", "json-tls"} & set(ports):
        if settings.tls_certificate:
            files = certificates.user_certificate(
                Path(settings.tls_certificate), Path(settings.tls_key or settings.tls_certificate)
            )
        else:
            files = certificates.ensure_certificate(tls_folder, now=now)
        ca_pem = files.cert.read_text(encoding="ascii")
        fingerprint = files.fingerprint
    if "http" in ports and with_secrets:
        token = certificates.ensure_http_token()
    return Endpoint(
        address=plan.receiving.collector_address or this_host(),
        ports=ports,
        ca_pem=ca_pem,
        fingerprint=fingerprint,
        http_token=token,
    )
