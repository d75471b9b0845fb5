"""What the collector listens on, checked before it is saved: ports, clashes, the address,
and the certificate and token senders need."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.settings import LISTENERS, Settings
from watchkeeper.setup.firewall import protocol
from watchkeeper.setup.plan import LoggingPlan

# what each listener is, in the words the wizard shows, in the order it shows them
TITLES: dict[str, str] = {
    "syslog-tls": "Syslog over TLS (encrypted): Linux servers, NAS boxes",
    "http": "JSON over HTTP with the token: Macs, scripts",
    "json-tls": "JSON lines over TLS (encrypted): NXLog, Fluent Bit, Vector",
    "syslog-udp": "Syslog over UDP: most firewalls and routers",
    "syslog-tcp": "Syslog over TCP: devices without TLS",
    "json-tcp": "JSON lines over TCP",
}
UNENCRYPTED = ("syslog-udp", "syslog-tcp", "json-tcp")
RECOMMENDED = ("syslog-tls", "http")
# what each kind of device sends with the generated configuration (setup.configs): Linux
# rsyslog over TLS, NXLog's JSON over TLS, the Macs' agent over HTTP, devices' plain syslog
SENDS_TO: dict[str, tuple[str, ...]] = {
    "windows": ("json-tls",),
    "domain_controller": ("json-tls",),
    "linux": ("syslog-tls",),
    "macos": ("http",),
    "network": ("syslog-udp",),
}


def recommended_listeners(plan: LoggingPlan) -> dict[str, int]:
    """The listeners the plan's devices send to, on their usual ports (RECOMMENDED when the
    plan counts none yet)."""
    names = [
        name
        for kind, planned in plan.platforms.items()
        if planned.count > 0
        for name in SENDS_TO.get(kind, ())
    ] or list(RECOMMENDED)
    return {name: LISTENERS[name] for name in dict.fromkeys(names)}


PRIVILEGED_BELOW = 1024
# a host name or address endpoints can use: as the plan accepts it (setup.plan)
_ADDRESS = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,252}$")


def port_problems(ports: Mapping[str, Any]) -> list[str]:
    """Why these listeners cannot all start, one sentence each; empty when they can."""
    problems: list[str] = []
    used: dict[tuple[int, str], str] = {}
    for name, port in ports.items():
        if name not in LISTENERS:
            problems.append(f"“{name!s:.40}” is not one of the collector's listeners.")
            continue
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            problems.append(f"The {name} port must be a number from 1 to 65535.")
            continue
        key = (port, protocol(name))
        if key in used:
            problems.append(
                f"{used[key]} and {name} both use port {port}/{key[1]}: give each its own port."
            )
        else:
            used[key] = name
    return problems


def port_warnings(ports: Mapping[str, int], system: str) -> list[str]:
    """What the user should know about listeners that can start."""
    warnings: list[str] = []
    plain = [name for name in ports if name in UNENCRYPTED]
    if plain:
        warnings.append(
            f"{', '.join(plain)} {'is' if len(plain) == 1 else 'are'} not encrypted: anyone on "
            f"the network can read what is sent. Use {'it' if len(plain) == 1 else 'them'} "
            "only for devices that cannot do TLS."
        )
    low = sorted(str(port) for port in ports.values() if 0 < port < PRIVILEGED_BELOW)
    if low and system != "windows":
        warnings.append(
            f"Port {', '.join(low)} is below {PRIVILEGED_BELOW}: only an administrator's "
            "program may listen there, so the collector will not start on it."
        )
    return warnings


def address_problem(address: str, on_network: bool = True) -> str | None:
    """Why endpoints could not use this address, or None; `localhost` is fine off the network."""
    if not address.strip():
        return "Type the name or address other devices reach this computer by."
    if not _ADDRESS.match(address):
        shown = "".join(c if c.isprintable() else "?" for c in address)[:60]
        return (
            f"“{shown}” is not a host name or address: letters, digits, dots and dashes, no spaces."
        )
    if on_network and address.lower() in ("localhost", "127.0.0.1", "::1"):
        return "Other devices cannot reach this computer as “localhost”: use its name or address."
    return None


@dataclass(frozen=True)
class ReceivingSecrets:
    """The certificate's fingerprint and the HTTP token, or the sentence saying why not."""

    fingerprint: str = ""
    fingerprint_problem: str = ""
    token: str = ""
    token_problem: str = ""


def receiving_secrets(
    settings: Settings, tls_folder: Path | None = None, now: datetime | None = None
) -> ReceivingSecrets:
    """The collector's certificate (made when missing) and HTTP token (made, in the keyring)."""
    from watchkeeper.collect import certificates

    fingerprint = token = fingerprint_problem = token_problem = ""
    try:
        if settings.tls_certificate:
            files = certificates.user_certificate(
                Path(settings.tls_certificate),
                Path(settings.tls_key or settings.tls_certificate),
                now=now,
            )
        else:
            files = certificates.ensure_certificate(tls_folder, now=now)
        fingerprint = files.fingerprint
    except WatchkeeperError as error:
        fingerprint_problem = error.message
    try:
        token = certificates.ensure_http_token()
    except WatchkeeperError as error:
        token_problem = error.message
    return ReceivingSecrets(fingerprint, fingerprint_problem, token, token_problem)
