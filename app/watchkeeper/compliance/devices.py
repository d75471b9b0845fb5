"""Devices: the records from several sources that are one machine, merged into one view.

Which records are one device is grouping.py's question; the user's merges and splits are
in merging.py. A device's id is a hash of its anchor, the record Watchkeeper knew first,
so it stays the same as new sources join the device; only splitting off the anchor gives
the rest a new id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from watchkeeper.compliance.grouping import Candidate, group_records
from watchkeeper.compliance.logs import HostLogs, read_log_devices
from watchkeeper.compliance.model import (
    PLATFORM_OTHER,
    SOURCE_LOGS,
    DeviceRecord,
    Fact,
    FactValue,
)
from watchkeeper.compliance.stored import decode_value, from_row, record_key, utc
from watchkeeper.storage import device_links as stored_links
from watchkeeper.storage import inventory as stored
from watchkeeper.storage.store import Store


@dataclass(frozen=True, slots=True)
class Observation:
    """A value one source gave, and when it saw it."""

    value: str
    source: str
    source_label: str
    location: str
    observed: datetime


@dataclass(frozen=True, slots=True)
class SourcedFact:
    """The newest observation of a fact, with the record that gave it."""

    fact: Fact
    source: str
    source_label: str
    location: str
    record_key: str


@dataclass(frozen=True)
class Device:
    """One device, merged from every record that is it."""

    device_id: str
    anchor_key: str  # the record whose key gives the id
    record_keys: tuple[str, ...]
    records: tuple[DeviceRecord, ...]  # the newest observation of each record, newest first
    name: str
    platform: str
    attributes: Mapping[str, Observation]  # serial, os_name, os_version, owner, model, ...
    facts: Mapping[str, SourcedFact]
    logs: tuple[HostLogs, ...] = ()  # the hosts in the event store that are this device
    linked: bool = False  # shaped by the user's merge or split
    logs_in_store: bool = True  # whether the store has events from any host at all

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(sorted({record.source for record in self.records}))

    @property
    def host_names(self) -> tuple[str, ...]:
        """Its names in the event store, for its events and rule hits."""
        return tuple(sorted({host for item in self.logs for host in item.hosts}))

    @property
    def last_seen(self) -> datetime:
        return max(record.observed for record in self.records)

    def attribute(self, name: str) -> str | None:
        found = self.attributes.get(name)
        return None if found is None else found.value

    def value(self, name: str) -> FactValue | None:
        found = self.facts.get(name)
        return None if found is None else found.fact.value


def merged_devices(store: Store, logs: Sequence[HostLogs] | None = None) -> list[Device]:
    """Every device, from the stored records and the hosts in the logs, sorted by name."""
    logs = read_log_devices(store) if logs is None else logs
    candidates: dict[str, Candidate] = {}
    for row in stored.latest_records(store):
        assert row.imported is not None
        candidates[row.record_key] = Candidate(
            row.record_key, from_row(row), row.import_id, utc(row.imported)
        )
    for host in logs:
        key = record_key(host.record)
        candidates[key] = Candidate(
            key, host.record, 0, host.first_received or host.record.observed, host
        )
    facts: dict[str, dict[str, SourcedFact]] = {}
    for item in stored.newest_facts(store):
        value = decode_value(item.fact.fact, item.fact.value)
        if value is not None and item.record_key in candidates:
            facts.setdefault(item.record_key, {})[item.fact.fact] = SourcedFact(
                Fact(value, item.fact.evidence, utc(item.fact.observed)),
                item.source,
                item.source_label,
                item.location,
                item.record_key,
            )
    for key, candidate in candidates.items():
        if candidate.logs is not None:
            facts[key] = {
                name: SourcedFact(
                    fact, SOURCE_LOGS, candidate.record.source_label, candidate.record.location, key
                )
                for name, fact in candidate.record.facts.items()
            }
    links = {
        link.record_key: link
        for link in stored_links.device_links(store)
        if link.record_key in candidates
    }
    groups = group_records(candidates, links)
    devices = [
        replace(_device(anchor, keys, candidates, facts, linked), logs_in_store=bool(logs))
        for anchor, keys, linked in groups
    ]
    return sorted(devices, key=lambda device: (device.name.casefold(), device.device_id))


def device_id_of(anchor_key: str) -> str:
    return "dev-" + hashlib.sha256(anchor_key.encode("utf-8")).hexdigest()[:12]


def _device(
    anchor: str,
    keys: list[str],
    candidates: Mapping[str, Candidate],
    facts: Mapping[str, Mapping[str, SourcedFact]],
    linked: bool,
) -> Device:
    members = sorted(
        (candidates[key] for key in keys), key=lambda c: (c.record.observed, c.key), reverse=True
    )
    records = [c.record for c in members]
    attributes: dict[str, Observation] = {}
    # Names from an inventory read better than a log's FQDN; the newest wins among them.
    named = sorted(records, key=lambda r: r.source == SOURCE_LOGS)
    for name in ("serial", "owner", "model", "manufacturer"):
        source = next((r for r in records if getattr(r, name)), None)
        if source is not None:
            attributes[name] = _observation(getattr(source, name), source)
    with_version = next((r for r in records if r.os_version), None)
    with_name = (
        with_version
        if with_version and with_version.os_name
        else next((r for r in records if r.os_name), None)
    )
    if with_version is not None:
        attributes["os_version"] = _observation(with_version.os_version or "", with_version)
    if with_name is not None:
        attributes["os_name"] = _observation(with_name.os_name or "", with_name)
    platform = next((r for r in records if r.platform != PLATFORM_OTHER), None)
    if platform is not None:
        attributes["platform"] = _observation(platform.platform, platform)
    attributes["name"] = _observation(named[0].name, named[0])
    merged: dict[str, SourcedFact] = {}
    for candidate in members:
        for name, item in facts.get(candidate.key, {}).items():
            if name not in merged or item.fact.observed > merged[name].fact.observed:
                merged[name] = item
    return Device(
        device_id=device_id_of(anchor),
        anchor_key=anchor,
        record_keys=tuple(sorted(keys)),
        records=tuple(records),
        name=named[0].name,
        platform=platform.platform if platform else PLATFORM_OTHER,
        attributes=attributes,
        facts=merged,
        logs=tuple(c.logs for c in members if c.logs is not None),
        linked=linked,
    )


def _observation(value: str, record: DeviceRecord) -> Observation:
    return Observation(value, record.source, record.source_label, record.location, record.observed)
