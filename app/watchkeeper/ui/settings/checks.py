"""What the Settings dialog checks as the user types, and what it tells about a change:
plain functions (no Qt), each problem one sentence a user can act on."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, fields

from watchkeeper.core.settings import LISTENERS, Settings

# what each listener is for, in the words of the Receiving page
LISTENER_TITLES = {
    "syslog-udp": "Syslog over UDP",
    "syslog-tcp": "Syslog over TCP",
    "syslog-tls": "Syslog over TLS (encrypted)",
    "json-tcp": "JSON lines over TCP (NXLog, Fluent Bit, Vector)",
    "json-tls": "JSON lines over TLS (encrypted)",
    "http": "HTTP/JSON with a token (macOS, scripts)",
}
UDP_LISTENERS = frozenset({"syslog-udp"})  # the others share TCP's ports
# a change of any of these restarts the collector's listeners
LISTENER_FIELDS = (
    "listeners",
    "listen_on_network",
    "tls_certificate",
    "tls_key",
    "connections_per_sender",
    "connection_idle_seconds",
    "heartbeat_minutes",
)
MAX_ORGANISATION = 200
PLACEHOLDER_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# the words the status line uses for each changed setting
FIELD_WORDS = {
    "theme": "theme",
    "time_display": "time display",
    "table_columns": "table columns",
    "timeline_series": "timeline bars",
    "rule_folders": "rule folders",
    "rule_profile": "rule profile",
    "organisation": "organisation",
    "page_size": "page size",
    "placeholders": "placeholders",
    "listeners": "listeners",
    "listen_on_network": "network listening",
    "tls_certificate": "TLS certificate",
    "tls_key": "TLS key",
    "source_intervals": "silence intervals",
    "heartbeat_minutes": "heartbeat",
    "compliance_thresholds": "compliance thresholds",
    "connections_per_sender": "connections per sender",
    "connection_idle_seconds": "idle time",
    "retention_months": "retention",
    "hot_days": "days in the store",
    "retention_reason": "retention reason",
}


def port_number(text: str) -> int | None:
    """The port typed, or None when it is not a whole number from 1 to 65535."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 5:
        return None
    number = int(text)
    return number if 1 <= number <= 65535 else None


def listener_problems(chosen: dict[str, str]) -> dict[str, str]:
    """Listener name -> what is wrong with its port, for the listeners turned on (name ->
    the port as typed); two TCP listeners (or two UDP ones) may not share a port."""
    problems: dict[str, str] = {}
    taken: dict[tuple[bool, int], str] = {}
    for name, text in chosen.items():
        title = LISTENER_TITLES.get(name, name)
        port = port_number(text)
        if port is None:
            problems[name] = f"The {title} port must be a whole number from 1 to 65535."
            continue
        key = (name in UDP_LISTENERS, port)
        if key in taken:
            other = LISTENER_TITLES.get(taken[key], taken[key])
            problems[name] = f"{title} and {other} both use port {port}; give each its own port."
        else:
            taken[key] = name
    return problems


def organisation_problem(text: str) -> str | None:
    if len(text) > MAX_ORGANISATION:
        return f"The organisation's name is too long: keep it under {MAX_ORGANISATION} characters."
    if any(unicodedata.category(c)[0] == "C" for c in text):
        return "The organisation's name cannot hold line breaks or other control characters."
    return None


def placeholder_problem(name: str, values: list[str]) -> str | None:
    if not PLACEHOLDER_NAME.fullmatch(name):
        return (
            "A placeholder's name may hold only letters, digits, dots, dashes and "
            "underscores (at most 64)."
        )
    if not values:
        return f"Give the placeholder {name} at least one value."
    return None


def split_values(text: str) -> list[str]:
    """A placeholder's values as typed, separated by commas."""
    return [value.strip() for value in text.split(",") if value.strip()]


def changed_fields(before: Settings, after: Settings) -> list[str]:
    """The names of the settings that differ, in the model's order."""
    old, new = asdict(before), asdict(after)
    return [f.name for f in fields(Settings) if old[f.name] != new[f.name]]


def listeners_changed(changed: list[str]) -> bool:
    return any(name in LISTENER_FIELDS for name in changed)


def saved_sentence(changed: list[str], token_rotated: bool) -> str:
    """What the status line says after OK."""
    words = [FIELD_WORDS[name] for name in changed if name in FIELD_WORDS]
    if token_rotated:
        words.append("HTTP token")
    if not words:
        return "Settings saved; nothing changed."
    said = "Settings saved: " + ", ".join(words)
    if listeners_changed(changed) or token_rotated:
        said += "; restarting the listeners"
    return said + "."


def default_port_text(settings: Settings, name: str) -> str:
    """The port a listener's box shows: its own when turned on, else the usual one."""
    return str(settings.listeners.get(name, LISTENERS[name]))
