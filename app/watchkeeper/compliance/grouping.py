"""Which records are one device: shared serial numbers, names and aliases, and the user's
merges and splits.

Records are one device when they share a serial number, a name (a short name matches its
FQDN) or an alias (Entra device id, hardware UUID, osquery host, MAC, ...). A name or alias
never joins records whose serial numbers or platforms disagree, and a name that two devices
of one export share joins nothing. The user's merges and splits win over all of this.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from watchkeeper.compliance.logs import HostLogs
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
    DeviceRecord,
)
from watchkeeper.compliance.stored import name_key, serial_key
from watchkeeper.storage import device_links as stored_links

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


@dataclass
class Candidate:
    """A record that may be part of a device, with what grouping needs to know of it."""

    key: str
    record: DeviceRecord
    import_id: int  # 0 for the logs
    first_known: datetime
    logs: HostLogs | None = None


class _Clusters:
    """Union-find over record keys that refuses a join whose serials or platforms differ."""

    def __init__(self, candidates: Mapping[str, Candidate]) -> None:
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


def _tokens(candidate: Candidate) -> tuple[set[str], set[str], set[str]]:
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


def group_records(
    candidates: Mapping[str, Candidate], links: Mapping[str, stored_links.DeviceLink]
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
