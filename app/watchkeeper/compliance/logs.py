"""The logs as a device source: every host in the store, when it was last heard from, what
its events say it runs, and what they say about Sysmon and Defender.

Each host becomes a `DeviceRecord` of source "logs" whose `observed` is its newest event,
so the "logs received" check reads it from there (for the hosts that forward their logs;
the others are history). What the model has no fact for (Sysmon, Defender detections)
travels beside the record in `HostLogs`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from watchkeeper.compliance.model import (
    AV_REALTIME,
    AV_SIGNATURE_UPDATED,
    PLATFORM_ANDROID,
    PLATFORM_LINUX,
    PLATFORM_MACOS,
    PLATFORM_OTHER,
    PLATFORM_WINDOWS,
    SOURCE_LOGS,
    DeviceRecord,
    Fact,
)
from watchkeeper.compliance.sources.values import shown
from watchkeeper.compliance.stored import utc
from watchkeeper.storage import host_evidence as stored
from watchkeeper.storage.sources import forwarded_hosts
from watchkeeper.storage.store import Store

LABEL = "events in the store"
# Syslog programs that only a Mac (or only a Linux system) runs, to tell which sent it. A
# kernel alone says neither: Macs, Linux and many appliances all log as "kernel".
_MACOS_PROGRAMS = (
    "launchd",
    "com.apple.",
    "mdnsresponder",
    "windowserver",
    "loginwindow",
    "configd",
    "symptomsd",
    "locationd",
    "sharingd",
    "corespotlightd",
    "corecaptured",
    "blued",
    "sandboxd",
    "secd",
    "quicklookd",
    "mdworker",
    "identityservicesd",
    "cloudd",
)
_LINUX_PROGRAMS = (
    "systemd",
    "sshd",
    "cron",
    "sudo",
    "su",
    "dbus-daemon",
    "networkmanager",
    "rsyslogd",
    "auditd",
    "snapd",
    "cloud-init",
    "apt",
    "dpkg",
    "polkitd",
    "login",
    "useradd",
    "postfix",
    "dhclient",
    "anacron",
    "nginx",
    "apache2",
    "containerd",
    "dockerd",
    "ufw",
    "smbd",
    "nmbd",
)
_WINDOWS_VERSION = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.?[\"\s,:\[\]]{0,12}(\d{4,5})\b")
_SYSMON_VERSION = re.compile(r"(?<![A-Za-z])Version\W{1,4}(\d+\.\d+)")
_SYSMON_STATE = re.compile(r"State:\s*(\w+)")
_SERVICE_STATE = re.compile(r"entered the (\w+) state")


@dataclass(frozen=True, slots=True)
class SysmonChange:
    """Sysmon started, stopped, or had its configuration changed."""

    time: datetime | None
    running: bool | None  # True started, False stopped, None a configuration change
    version: str | None
    evidence: str


@dataclass(frozen=True, slots=True)
class SysmonState:
    events: int  # events in the Sysmon channel from this host
    first_seen: datetime | None
    last_seen: datetime | None
    version: str | None  # best effort, from its state-change events
    running: bool | None  # False: stopped, and nothing from it since; None: never said
    reason: str  # one sentence on why `running` is what it is
    changes: tuple[SysmonChange, ...]


@dataclass(frozen=True, slots=True)
class Detection:
    """A Defender detection (1116) or the action it took (1117)."""

    time: datetime | None
    event_id: int
    threat: str | None
    severity: str | None
    path: str | None
    evidence: str


@dataclass(frozen=True, slots=True)
class HostLogs:
    """One host as its events show it."""

    record: DeviceRecord  # observed = its newest event
    hosts: tuple[str, ...]  # every spelling of its name in the store
    events: int
    first_received: datetime | None
    last_seen_evidence: str  # names the newest event
    platform_evidence: str | None
    sysmon: SysmonState | None
    detections: tuple[Detection, ...]
    # its logs arrive through the collector; else it is known only from imported files
    # (history), and nobody expects more from it
    forwarded: bool = False

    @property
    def last_seen(self) -> datetime:
        return self.record.observed


def read_log_devices(store: Store) -> list[HostLogs]:
    """Every named host in the store, as a device record with what its events reveal."""
    activity: dict[str, list[stored.HostActivity]] = {}
    for item in stored.host_activity(store):
        activity.setdefault(item.host_key, []).append(item)
    versions = _windows_versions(store)
    sysmon = _sysmon(store)
    defender = stored.defender_events(store)
    forwarding = forwarded_hosts(store)
    facts: dict[str, dict[str, Fact]] = {}
    detections: dict[str, list[Detection]] = {}
    for event in defender:
        _defender(
            event, facts.setdefault(event.host_key, {}), detections.setdefault(event.host_key, [])
        )
    found: list[HostLogs] = []
    for key, items in activity.items():
        newest = max(items, key=lambda item: (item.last_time is not None, item.last_time))
        if newest.last_time is None:
            continue
        hosts = tuple(sorted({host for item in items for host in item.hosts}))
        name = newest.hosts[0] if len(newest.hosts) == 1 else hosts[0]
        platform, platform_evidence = _platform(items)
        version = versions.get(key)
        record = DeviceRecord(
            source=SOURCE_LOGS,
            source_label=LABEL,
            location=f"host {shown(name)}",
            observed=utc(newest.last_time),
            name=name,
            platform=platform,
            os_name="Windows" if platform == PLATFORM_WINDOWS else None,
            os_version=version[0] if version else None,
            facts=facts.get(key, {}),
        )
        found.append(
            HostLogs(
                record,
                hosts,
                sum(item.events for item in items),
                min((utc(i.first_received) for i in items if i.first_received), default=None),
                _last_evidence(name, newest),
                platform_evidence,
                sysmon.get(key),
                tuple(detections.get(key, ())),
                key in forwarding,
            )
        )
    return sorted(found, key=lambda host: host.record.name.casefold())


def _last_evidence(name: str, item: stored.HostActivity) -> str:
    event = item.last_event
    kind = " ".join(
        str(part)
        for part in (
            event.get("source"),
            event.get("channel"),
            event.get("provider") if not event.get("channel") else None,
            event.get("process"),
        )
        if part
    )
    number = f" {event['event_id']}" if event.get("event_id") is not None else ""
    assert item.last_time is not None
    return (
        f"Newest event from host {shown(name)}: event #{event.get('id')} "
        f"({shown(kind + number)}) at {item.last_time:%Y-%m-%d %H:%M:%S} UTC"
    )


def _platform(items: list[stored.HostActivity]) -> tuple[str, str | None]:
    by_family = {item.family: item for item in items}
    windows = by_family.get("windows")
    if windows is not None:
        return PLATFORM_WINDOWS, f"{windows.events:,} Windows event log events"
    other = by_family.get("other")
    if other is not None and other.android_events:
        return PLATFORM_ANDROID, f"{other.android_events:,} Android security log events"
    unix = by_family.get("unix")
    if unix is None:
        return PLATFORM_OTHER, None
    if "macos" in unix.sources:
        return PLATFORM_MACOS, "macOS unified log events"
    programs = [program.casefold() for program in unix.processes]
    mac = sorted({p for p in programs if p.startswith(_MACOS_PROGRAMS)})
    if mac:
        return PLATFORM_MACOS, f"syslog from macOS programs ({', '.join(mac[:3])})"
    if "journald" in unix.sources or "auditd" in unix.sources:
        kinds = " and ".join(s for s in ("journald", "auditd") if s in unix.sources)
        return PLATFORM_LINUX, f"{kinds} events"
    linux = sorted(
        {p for p in programs if p.split("[")[0] in _LINUX_PROGRAMS or p.startswith("systemd")}
    )
    if linux:
        return PLATFORM_LINUX, f"syslog from Linux programs ({', '.join(linux[:3])})"
    return PLATFORM_OTHER, None


def _windows_versions(store: Store) -> dict[str, tuple[str, str]]:
    """Per host, the Windows version its newest 6009 event gives, with the evidence."""
    found: dict[str, tuple[str, str]] = {}
    for event in stored.windows_version_events(store):  # oldest first: the newest wins
        match = _WINDOWS_VERSION.search(event.message or "") or _WINDOWS_VERSION.search(
            event.raw or ""
        )
        if match is None:
            continue
        version = f"{int(match.group(1))}.{int(match.group(2))}.{int(match.group(3))}"
        found[event.host_key] = (
            version,
            f"System event 6009 #{event.id} from host {shown(event.host)} (Windows {version})",
        )
    return found


def _sysmon(store: Store) -> dict[str, SysmonState]:
    presence = stored.channel_presence(store, stored.SYSMON_CHANNEL)
    changes: dict[str, list[SysmonChange]] = {}
    for event in stored.sysmon_events(store):
        changes.setdefault(event.host_key, []).append(_sysmon_change(event))
    states: dict[str, SysmonState] = {}
    for key in presence.keys() | changes.keys():
        seen = presence.get(key)
        history = tuple(changes.get(key, ()))
        running, reason = _running(history, seen)
        version = next((c.version for c in reversed(history) if c.version), None)
        states[key] = SysmonState(
            seen.events if seen else 0,
            utc(seen.first) if seen and seen.first else None,
            utc(seen.last) if seen and seen.last else None,
            version,
            running,
            reason,
            history,
        )
    return states


def _sysmon_change(event: stored.HostEvent) -> SysmonChange:
    text = event.message or ""
    when = utc(event.time) if event.time else None
    if event.event_id == 7036:
        state = event.fields.get("param2") or ""
        if not state and (match := _SERVICE_STATE.search(text)):
            state = match.group(1)
        running = {"running": True, "stopped": False}.get(state.casefold())
        service = event.fields.get("param1") or "Sysmon"
        return SysmonChange(
            when,
            running,
            None,
            f"System event 7036 #{event.id}: service {shown(service)} "
            f"entered the {shown(state)} state",
        )
    if event.event_id == 16:
        config = event.fields.get("Configuration")
        return SysmonChange(
            when,
            None,
            None,
            f"Sysmon event 16 #{event.id}: configuration changed"
            + (f" to {shown(config)}" if config else ""),
        )
    state = event.fields.get("State") or ""
    if not state and (match := _SYSMON_STATE.search(text)):
        state = match.group(1)
    version = None
    field_version = event.fields.get("Version") or ""
    if "." in field_version:
        version = field_version
    elif match := (_SYSMON_VERSION.search(text) or _SYSMON_VERSION.search(event.raw or "")):
        version = match.group(1)
    running = {"started": True, "stopped": False}.get(state.casefold())
    return SysmonChange(
        when,
        running,
        version,
        f"Sysmon event 4 #{event.id}: state {shown(state)}"
        + (f", version {version}" if version else ""),
    )


def _running(
    history: tuple[SysmonChange, ...], seen: stored.ChannelPresence | None
) -> tuple[bool | None, str]:
    last = next((change for change in reversed(history) if change.running is not None), None)
    if last is None:
        if seen is None or not seen.events:
            return None, "No Sysmon events"
        return None, f"{seen.events:,} Sysmon events, none saying it started or stopped"
    when = f"{last.time:%Y-%m-%d %H:%M} UTC" if last.time else "an unknown time"
    if last.running:
        return True, f"Started at {when} ({last.evidence})"
    if (
        seen is not None
        and seen.last is not None
        and last.time is not None
        and utc(seen.last) > last.time
    ):
        return True, (
            f"Stopped at {when} ({last.evidence}), but its events continued until "
            f"{utc(seen.last):%Y-%m-%d %H:%M} UTC"
        )
    return False, f"Stopped at {when} ({last.evidence}) and nothing came from it after"


def _defender(event: stored.HostEvent, facts: dict[str, Fact], detections: list[Detection]) -> None:
    if event.time is None:
        return
    when = utc(event.time)
    where = f"Defender event {event.event_id} #{event.id} from host {shown(event.host)}"
    if event.event_id in (1116, 1117):
        threat = event.fields.get("Threat Name")
        detections.append(
            Detection(
                when,
                int(event.event_id),
                threat,
                event.fields.get("Severity Name"),
                event.fields.get("Path"),
                f"{where}: {'detected' if event.event_id == 1116 else 'acted on'} "
                f"{shown(threat or 'a threat')}",
            )
        )
    elif event.event_id in (5000, 5001):
        on = event.event_id == 5000
        facts[AV_REALTIME] = Fact(
            on, f"{where}: real-time protection {'enabled' if on else 'disabled'}", when
        )
    elif event.event_id == 2000:
        facts[AV_SIGNATURE_UPDATED] = Fact(when, f"{where}: signatures updated", when)
