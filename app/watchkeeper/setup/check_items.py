"""The items of a checklist row: what each found, its colour, and its fix in one sentence.

Names passed in are already made printable; the UI escapes them again for rich text.
"""

from __future__ import annotations

from dataclasses import dataclass

from watchkeeper.setup.catalogue import Channel
from watchkeeper.setup.plan import CheckState, LoggingPlan
from watchkeeper.storage.plan_evidence import MarkerFound
from watchkeeper.storage.sources import ENCRYPTED, NOT_A_NETWORK, SourceRow

MAX_SKEW = 2.0  # seconds: further off, timelines from this source do not line up


@dataclass(frozen=True)
class CheckItem:
    key: str  # seen, test, clock, channel, encrypted, forwarding
    label: str  # what is checked: "Clock", "4688 with a command line"
    state: CheckState
    detail: str  # what was found, one sentence
    fix: str = ""  # what to do, one sentence; empty when green


def span(seconds: float) -> str:
    """A span as people say it: 1.5 s, 45 s, 5 min, 3 h, 2 days."""
    seconds = abs(seconds)
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7_200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86_400:.0f} days"


def _item(key: str, label: str, state: CheckState, detail: str, fix: str = "") -> CheckItem:
    return CheckItem(key, label, state, detail, "" if state == "green" else fix)


def _port(plan: LoggingPlan, platform: str) -> str:
    listener = "http" if platform == "macos" else "syslog-tls"
    port = plan.receiving.listeners.get(listener)
    return f"port {port}" if port else f"the {listener} port"


def seen_item(name: str, platform: str, rows: list[SourceRow], plan: LoggingPlan) -> CheckItem:
    """Seen at all: red when never or silent, amber when late, green while receiving."""
    if not rows:
        return _item(
            "seen",
            "Seen",
            "red",
            f"Nothing has arrived from {name} yet.",
            f"Apply the generated configuration on {name}, and allow {_port(plan, platform)} "
            "in this computer's firewall.",
        )
    events = sum(row.events for row in rows)
    quiet = min(row.quiet_seconds for row in rows)
    statuses = {row.status for row in rows}
    if "receiving" in statuses:
        return _item("seen", "Seen", "green", f"Last heard {span(quiet)} ago ({events:,} events).")
    expected = max(row.expected_seconds for row in rows)
    if "late" in statuses:
        return _item(
            "seen",
            "Seen",
            "amber",
            f"Quiet for {span(quiet)}; silent after {span(expected)}.",
            f"Check that {name} is switched on and its forwarding service runs.",
        )
    return _item(
        "seen",
        "Seen",
        "red",
        f"Silent: nothing from {name} for {span(quiet)}.",
        f"Check that {name} is switched on and its forwarding service (rsyslog, NXLog, the "
        "launchd agent) runs.",
    )


def test_item(name: str, marker: str, found: MarkerFound | None) -> CheckItem:
    if found is not None:
        return _item("test", "Test event", "green", f"Test event {found.marker} arrived.")
    waiting = f"the test event {marker}" if marker else "a test event"
    return _item(
        "test",
        "Test event",
        "amber",
        f"Waiting for {waiting} from {name}.",
        f"Run the test command on {name}, then check again.",
    )


def clock_item(name: str, rows: list[SourceRow]) -> CheckItem:
    """The median skew of its furthest-off application; + received later than stamped."""
    skews = [row.skew_seconds for row in rows if row.skew_seconds is not None]
    if not skews:
        return _item(
            "clock",
            "Clock",
            "amber",
            f"The messages from {name} carry no time of their own to compare.",
            "Send with the generated configuration, which includes each message's time.",
        )
    skew = max(skews, key=abs)
    if abs(skew) <= MAX_SKEW:
        return _item("clock", "Clock", "green", f"Within {span(skew)} of this computer's clock.")
    # skew is receive time minus the sender's stamp: negative when its clock runs ahead
    way = "ahead of" if skew < 0 else "behind"
    return _item(
        "clock",
        "Clock",
        "red",
        f"The clock of {name} is {span(skew)} {way} this computer's.",
        f"Turn on time synchronisation on {name} (timedatectl set-ntp true on Linux, "
        "w32tm /resync on Windows) and check its time zone.",
    )


def channel_item(channel: Channel, count: int) -> CheckItem:
    if count:
        return _item("channel", channel.label, "green", f"{count:,} in the last 24 h.")
    return _item("channel", channel.label, "amber", "None in the last 24 h.", channel.fix)


def encryption_item(name: str, rows: list[SourceRow], plan: LoggingPlan) -> CheckItem:
    transports = sorted({t for row in rows for t in row.transports if t not in NOT_A_NETWORK})
    if not transports:
        return waiting_item("Encrypted", "encrypted")
    plain = [t for t in transports if t not in ENCRYPTED]
    if not plain:
        return _item(
            "encrypted", "Encrypted", "green", f"Every message came over {', '.join(transports)}."
        )
    return _item(
        "encrypted",
        "Encrypted",
        "red",
        f"Messages from {name} crossed the network unencrypted ({', '.join(plain)}).",
        f"Send over TLS to {_port(plan, 'linux')}, as the generated configuration does.",
    )


def waiting_item(label: str, key: str) -> CheckItem:
    return _item(key, label, "amber", "Not known until something arrives.", "")


def not_forwarded_item(name: str) -> CheckItem:
    return _item(
        "forwarding",
        "Forwarding",
        "amber",
        f"{name} is a phone or tablet: they do not forward logs.",
        "Import your device management's export in Devices instead.",
    )
