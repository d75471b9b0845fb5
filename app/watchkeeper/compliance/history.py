"""A device's history: what changed, when, and which source said so.

From the stored records: when each source first listed the device, and every later change of
its name, OS, owner or security facts. From the logs: Sysmon starting, stopping and changing
its configuration, and Defender's detections. Times that only say when something was last
seen (check-ins, signature updates) are left out: they change with every export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from watchkeeper.compliance.checks import SOURCE_NAMES
from watchkeeper.compliance.devices import Device, merged_devices
from watchkeeper.compliance.model import SOURCE_LOGS, FactValue
from watchkeeper.compliance.sources.values import shown
from watchkeeper.compliance.stored import decode_value, utc
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.storage import inventory as stored
from watchkeeper.storage.store import Store

_ATTRIBUTES = (
    "name",
    "serial",
    "platform",
    "os_name",
    "os_version",
    "owner",
    "model",
    "manufacturer",
)
MAX_DETECTIONS = 100  # per host, the newest


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    time: datetime  # when the source saw it (UTC)
    source: str  # intune, google, jamf, osquery, logs
    source_label: str  # the file, or "events in the store"
    what: str  # "first seen", an attribute or fact name, "sysmon", "defender"
    before: str | None
    after: str | None
    sentence: str  # one sentence saying it all
    evidence: str | None = None


def device_history(store: Store, device: Device | str) -> list[HistoryEntry]:
    """The changes to one device (or device id), oldest first."""
    if isinstance(device, str):
        found = next((d for d in merged_devices(store) if d.device_id == device), None)
        if found is None:
            raise WatchkeeperError(
                f"There is no device {device!r}; it may have been merged into another or split."
            )
        device = found
    entries: list[HistoryEntry] = []
    keys = [key for key in device.record_keys if not key.startswith(f"{SOURCE_LOGS}:")]
    previous: dict[str, dict[str, str]] = {}
    for row in stored.record_rows(store, keys):
        entries.extend(_changes(row, previous.get(row.record_key)))
        state = previous.setdefault(row.record_key, {})
        state.update(
            {name: value for name in _ATTRIBUTES if (value := getattr(row, name)) is not None}
        )
        for fact in row.facts:
            value = decode_value(fact.fact, fact.value)
            if value is not None and not isinstance(value, datetime):
                state[f"fact:{fact.fact}"] = _shown(value)
    for host in device.logs:
        label = host.record.source_label
        if host.sysmon is not None:
            for change in host.sysmon.changes:
                if change.time is None:
                    continue
                what = {True: "started", False: "stopped", None: "configuration changed"}[
                    change.running
                ]
                entries.append(
                    HistoryEntry(
                        change.time,
                        SOURCE_LOGS,
                        label,
                        "sysmon",
                        None,
                        what,
                        f"Sysmon {what} on {shown(host.record.name)}",
                        change.evidence,
                    )
                )
        for detection in host.detections[-MAX_DETECTIONS:]:
            if detection.time is None:
                continue
            verb = "detected" if detection.event_id == 1116 else "acted on"
            entries.append(
                HistoryEntry(
                    detection.time,
                    SOURCE_LOGS,
                    label,
                    "defender",
                    None,
                    detection.threat,
                    f"Defender {verb} {shown(detection.threat or 'a threat')} on "
                    f"{shown(host.record.name)}",
                    detection.evidence,
                )
            )
    return sorted(entries, key=lambda entry: entry.time)


def _changes(row: stored.RecordRow, before: dict[str, str] | None) -> list[HistoryEntry]:
    source = SOURCE_NAMES.get(row.source, row.source)
    where = f"{source} {row.source_label}, {row.location}"
    when = utc(row.observed)
    if before is None:
        return [
            HistoryEntry(
                when,
                row.source,
                row.source_label,
                "first seen",
                None,
                row.name,
                f"{where}: first listed as {shown(row.name)}",
            )
        ]
    entries: list[HistoryEntry] = []
    for name in _ATTRIBUTES:
        value = getattr(row, name)
        if value is not None and name in before and before[name] != value:
            entries.append(
                HistoryEntry(
                    when,
                    row.source,
                    row.source_label,
                    name,
                    before[name],
                    value,
                    f"{where}: {name.replace('_', ' ')} changed from {shown(before[name])} to "
                    f"{shown(value)}",
                )
            )
    for fact in row.facts:
        decoded = decode_value(fact.fact, fact.value)
        if decoded is None or isinstance(decoded, datetime):
            continue
        value = _shown(decoded)
        old = before.get(f"fact:{fact.fact}")
        if old == value:
            continue
        label = fact.fact.replace("_", " ")
        said, was = (shown(value), shown(old or "")) if isinstance(decoded, str) else (value, old)
        sentence = (
            f"{where}: {label} is now {said}"
            if old is None
            else f"{where}: {label} changed from {was} to {said}"
        )
        entries.append(
            HistoryEntry(
                utc(fact.observed),
                row.source,
                row.source_label,
                fact.fact,
                old,
                value,
                sentence,
                fact.evidence,
            )
        )
    return entries


def _shown(value: FactValue) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
