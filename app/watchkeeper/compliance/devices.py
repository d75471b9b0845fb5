"""Records from several sources merged into devices, and the user's merges and splits.

Records are one device when they share a serial number, a name (a short name matches its
FQDN) or an alias (Entra device id, hardware UUID, osquery host, MAC, ...). A name or alias
never joins records whose serial numbers or platforms disagree, and a name that two devices
of one export share joins nothing. The user's merges and splits win over all of this.

A device's id is a hash of its anchor, the record Watchkeeper knew first, so it stays the
same as new sources join the device; only splitting off the anchor gives the rest a new id.
"""

from __future__ import annotations

import getpass
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from watchkeeper.compliance.logs import HostLogs, read_log_devices
from watchkeeper.compliance.model import (
    ALIAS_AZURE_AD_DEVICE_ID,
    ALIAS_HARDWARE_UUID,
    ALIAS_HOSTNAME,
    ALIAS_IMEI,
    ALIAS_MAC,
    ALIAS_MEID,
    ALIAS_OSQUERY_HOST,
    ALIAS_UDID,
    PLATFORM_OTHER,
    SOURCE_LOGS,
    DeviceRecord,
    Fact,
    FactValue,
)
from watchkeeper.compliance.stored import (
    decode_value,
    from_row,
    naive,
    name_key,
    record_key,
    serial_key,
    utc,
)
from watchkeeper.storage import device_links as stored_links
from watchkeeper.storage import inventory as stored
from watchkeeper.storage.store import Store

_STRONG_ALIASES = (
    ALIAS_AZURE_AD_DEVICE_ID,
    ALIAS_HARDWARE_UUID,
    ALIAS_UDID,
    ALIAS_IMEI,
    ALIAS_MEID,
)
_NAME_ALIASES = (ALIAS_HOSTNAME, ALIAS_OSQUERY_HOST)
# Names and ids that many devices have: they say nothing about which device.
_GENERIC_NAMES = frozenset(
    {
        "localhost",
        "localhost.localdomain",
        "unknown",
        "iphone",
        "ipad",
        "android",
        "ubuntu",
        "debian",
        "raspberrypi",
        "macbook",
        "macbook-pro",
        "macbook-air",
        "imac",
        "mac",
        "pc",
        "desktop",
        "laptop",
        "windows",
        "none",
        "-",
        "",
    }
)
_PLACEHOLDER_IDS = frozenset(
    {
        "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "03000200-0400-0500-0006-000700080009",
        "0",
        "000000000000000",
    }
)
_NOT_HEX = re.compile(r"[^0-9a-f]")


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


@dataclass
class _Candidate:
    key: str
    record: DeviceRecord
    import_id: int  # 0 for the logs
    first_known: datetime
    logs: HostLogs | None = None


def merged_devices(store: Store, logs: Sequence[HostLogs] | None = None) -> list[Device]:
    """Every device, from the stored records and the hosts in the logs, sorted by name."""
    logs = read_log_devices(store) if logs is None else logs
    candidates: dict[str, _Candidate] = {}
    for row in stored.latest_records(store):
        assert row.imported is not None
        candidates[row.record_key] = _Candidate(
            row.record_key, from_row(row), row.import_id, utc(row.imported)
        )
    for host in logs:
        key = record_key(host.record)
        candidates[key] = _Candidate(
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
    groups = _groups(candidates, links)
    devices = [
        replace(_device(anchor, keys, candidates, facts, linked), logs_in_store=bool(logs))
        for anchor, keys, linked in groups
    ]
    return sorted(devices, key=lambda device: (device.name.casefold(), device.device_id))


def device_id_of(anchor_key: str) -> str:
    return "dev-" + hashlib.sha256(anchor_key.encode("utf-8")).hexdigest()[:12]


# grouping ------------------------------------------------------------------------------


class _Clusters:
    """Union-find over record keys that refuses a join whose serials or platforms differ."""

    def __init__(self, candidates: Mapping[str, _Candidate]) -> None:
        self.parent = {key: key for key in candidates}
        self.serials = {
            key: ({serial_key(c.record.serial)} if c.record.serial else set())
            for key, c in candidates.items()
        }
        self.platforms = {
            key: ({c.record.platform} if c.record.platform != PLATFORM_OTHER else set())
            for key, c in candidates.items()
        }

    def root(self, key: str) -> str:
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def join(self, a: str, b: str, checked: bool) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return
        if checked and (
            _disagree(self.serials[ra], self.serials[rb])
            or _disagree(self.platforms[ra], self.platforms[rb])
        ):
            return
        self.parent[rb] = ra
        self.serials[ra] |= self.serials.pop(rb)
        self.platforms[ra] |= self.platforms.pop(rb)


def _disagree(a: set[str], b: set[str]) -> bool:
    return bool(a) and bool(b) and not a & b


def _tokens(candidate: _Candidate) -> tuple[set[str], set[str], set[str]]:
    """(serial, strong alias, name-like) tokens of one record."""
    record = candidate.record
    serials = {f"serial:{serial_key(record.serial)}"} if record.serial else set()
    strong: set[str] = set()
    weak: set[str] = set()
    for alias in record.aliases:
        value = alias.value.strip().casefold()
        if not value or value in _PLACEHOLDER_IDS:
            continue
        if alias.kind in _STRONG_ALIASES:
            strong.add(f"{alias.kind}:{value}")
        elif alias.kind in _NAME_ALIASES:
            weak.add(f"name:{name_key(value)}")
        elif alias.kind == ALIAS_MAC:
            digits = _NOT_HEX.sub("", value)
            if len(digits) == 12 and len(set(digits)) > 1:
                weak.add(f"mac:{digits}")
    weak.add(f"name:{name_key(record.name)}")
    weak = {token for token in weak if token.split(":", 1)[1] not in _GENERIC_NAMES}
    return serials, strong, weak


def _groups(
    candidates: Mapping[str, _Candidate], links: Mapping[str, stored_links.DeviceLink]
) -> list[tuple[str, list[str], bool]]:
    """(anchor key, member keys, shaped by a link) for every device."""
    automatic = {key: c for key, c in candidates.items() if key not in links}
    clusters = _Clusters(automatic)
    tokens = {key: _tokens(c) for key, c in automatic.items()}
    # A name two records of one export share names neither of them.
    seen: dict[tuple[int, str], str] = {}
    shared: set[str] = set()
    for key, (_serials, _strong, weak) in tokens.items():
        import_id = automatic[key].import_id
        for token in weak:
            if import_id and seen.setdefault((import_id, token), key) != key:
                shared.add(token)
    for stage, checked in ((0, False), (1, True), (2, True)):
        holders: dict[str, list[str]] = {}
        for key in sorted(tokens):
            for token in tokens[key][stage]:
                if token not in shared:
                    holders.setdefault(token, []).append(key)
        for token in sorted(holders):
            first, *rest = holders[token]
            for key in rest:
                clusters.join(first, key, checked)
    members: dict[str, list[str]] = {}
    for key in automatic:
        members.setdefault(clusters.root(key), []).append(key)

    def anchor(keys: Iterable[str]) -> str:
        return min(keys, key=lambda k: (candidates[k].first_known, k))

    groups = {anchor(keys): (sorted(keys), False) for keys in members.values()}
    by_member = {key: a for a, (keys, _) in groups.items() for key in keys}
    for key, link in sorted(links.items()):
        if link.kind == "split":
            groups[key] = ([key], True)
            by_member[key] = key
    for key, link in sorted(links.items()):
        if link.kind != "merge":
            continue
        target = _resolve(link, links)
        home = by_member.get(target) if target is not None else None
        if home is None:  # the device it was merged into is gone: it stands alone
            groups[key] = ([key], True)
            by_member[key] = key
            continue
        keys, _ = groups[home]
        groups[home] = (sorted([*keys, key]), True)
    return [(a, keys, linked) for a, (keys, linked) in groups.items()]


def _resolve(
    link: stored_links.DeviceLink, links: Mapping[str, stored_links.DeviceLink]
) -> str | None:
    """The record a merge finally points to: merges of merges are followed, cycles ignored."""
    target = link.target_key
    visited = {link.record_key}
    while target is not None and target in links and links[target].kind == "merge":
        if target in visited:
            return None
        visited.add(target)
        target = links[target].target_key
    return target


def _device(
    anchor: str,
    keys: list[str],
    candidates: Mapping[str, _Candidate],
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


# the user's merges and splits -------------------------------------------------------------


def merge_devices(
    store: Store,
    device: Device,
    into: Device,
    reason: str | None = None,
    who: str | None = None,
    now: datetime | None = None,
) -> list[stored_links.DeviceLink]:
    """Say that every record of `device` belongs to `into`; `into` keeps its id."""
    if device.device_id == into.device_id:
        return []
    return [merge_record(store, key, into, reason, who, now) for key in device.record_keys]


def merge_record(
    store: Store,
    key: str,
    into: Device,
    reason: str | None = None,
    who: str | None = None,
    now: datetime | None = None,
) -> stored_links.DeviceLink:
    """Say that one record belongs to `into`, whatever names or serials it has."""
    return stored_links.set_link(
        store,
        key,
        "merge",
        into.anchor_key,
        reason,
        who or _user(),
        naive(now or datetime.now(UTC)),
    )


def split_record(
    store: Store,
    key: str,
    reason: str | None = None,
    who: str | None = None,
    now: datetime | None = None,
) -> stored_links.DeviceLink:
    """Say that one record is a device of its own, never merged with others automatically."""
    return stored_links.set_link(
        store, key, "split", None, reason, who or _user(), naive(now or datetime.now(UTC))
    )


def undo_link(store: Store, key: str) -> bool:
    """Forget the user's merge or split of a record; it is merged automatically again."""
    return stored_links.remove_link(store, key)


def device_links(store: Store) -> list[stored_links.DeviceLink]:
    return stored_links.device_links(store)


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None
