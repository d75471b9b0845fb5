"""Network devices: what to type into a firewall's, router's or access point's syslog page."""

from __future__ import annotations

from watchkeeper.setup.configs import listening_note
from watchkeeper.setup.endpoint import Endpoint
from watchkeeper.setup.plan import LoggingPlan

# Where common small-office devices keep their syslog setting, and which of our listeners
# each can reach (most send plain UDP or TCP syslog; a few can do TLS).
DEVICES: tuple[tuple[str, str, str], ...] = (
    ("pfSense / OPNsense", "Status ▸ System Logs ▸ Settings ▸ Remote Logging", "syslog-udp"),
    ("FortiGate", "Log & Report ▸ Log Settings ▸ Send logs to syslog", "syslog-udp"),
    ("Ubiquiti UniFi", "Settings ▸ System ▸ Remote Logging (syslog)", "syslog-udp"),
    ("Cisco ASA", "logging host inside <address> udp/<port>", "syslog-udp"),
    ("MikroTik RouterOS", "/system logging action set remote remote=<address>", "syslog-udp"),
    ("Synology / QNAP", "Log Center ▸ Log Sending", "syslog-tls"),
)


def generate(plan: LoggingPlan, endpoint: Endpoint) -> dict[str, str]:
    udp = endpoint.port("syslog-udp")
    tcp = endpoint.port("syslog-tcp")
    tls = endpoint.port("syslog-tls")
    lines = [
        "Sending a network device's logs to Watchkeeper",
        "================================================",
        "",
        "Type these into the device's syslog (remote logging) settings:",
        "",
        f"  Syslog server:  {endpoint.address}",
        f"  Port:           {udp} (UDP)  or  {tcp} (TCP)"
        + (f"  or  {tls} (TLS, where the device offers it)" if endpoint.fingerprint else ""),
        "  Format:         RFC 5424 (IETF) where offered, else BSD (RFC 3164)",
        "  Facility:       any (local0 keeps them apart)",
        "  Level:          informational, so allowed and blocked connections are sent",
        "",
    ]
    if not any(name in endpoint.ports for name in ("syslog-udp", "syslog-tcp", "syslog-tls")):
        lines += [
            "The collector has no syslog listener turned on: turn one on in Settings ▸",
            "Receiving, or in the setup wizard's third step, before the device can send.",
            "",
        ]
    lines += listening_note(plan, "devices")
    if endpoint.fingerprint:
        lines += [
            "For TLS, trust the certificate in collector-certificate.pem; its SHA-256 is",
            f"  {endpoint.fingerprint}",
            "",
        ]
    lines += ["Where the setting is on common devices:", ""]
    for name, where, listener in DEVICES:
        shown = where.replace("<address>", endpoint.address).replace(
            "<port>", str(endpoint.port(listener))
        )
        lines.append(f"  {name}: {shown} (port {endpoint.port(listener)})")
    lines += [
        "",
        "To check it: make the device log something (sign in to its admin page), then open",
        "Watchkeeper's Sources view or run `watchkeeper setup check`.",
        "",
    ]
    files = {"README.txt": "\n".join(lines)}
    if endpoint.ca_pem:
        files["collector-certificate.pem"] = endpoint.ca_pem
    return files
