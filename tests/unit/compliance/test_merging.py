"""Devices merged and split by hand: the user's links win over automatic grouping and can be
undone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.unit.compliance.building import DAY, NOW, record, save

from watchkeeper.compliance.devices import Device, merged_devices
from watchkeeper.compliance.merging import (
    device_links,
    merge_devices,
    merge_record,
    split_record,
    undo_link,
)
from watchkeeper.compliance.model import ALIAS_OSQUERY_HOST
from watchkeeper.storage import device_links as stored_links
from watchkeeper.storage.store import Store


def by_name(store: Store) -> dict[str, Device]:
    return {device.name: device for device in merged_devices(store)}


def only(store: Store) -> Device:
    devices = merged_devices(store)
    assert len(devices) == 1, [d.name for d in devices]
    return devices[0]


def test_a_manual_merge_wins_and_can_be_undone(store: Store) -> None:
    save(store, record("PC-07", serial="AAA111"), imported=NOW - DAY)
    save(store, record("old-laptop", "jamf", platform="macos", serial="ZZZ999"))
    devices = by_name(store)
    target, other = devices["PC-07"], devices["old-laptop"]
    links = merge_devices(
        store, other, target, reason="the same machine, reinstalled", who="admin", now=NOW
    )
    assert [(link.kind, link.created_by, link.reason) for link in links] == [
        ("merge", "admin", "the same machine, reinstalled")
    ]
    merged = only(store)
    assert merged.device_id == target.device_id and merged.linked
    assert set(merged.record_keys) == set(target.record_keys) | set(other.record_keys)
    assert undo_link(store, other.record_keys[0])
    assert not undo_link(store, other.record_keys[0])
    assert len(merged_devices(store)) == 2 and device_links(store) == []


def test_a_split_record_is_a_device_of_its_own(store: Store) -> None:
    save(store, record("PC-07", serial="AAA111"), imported=NOW - DAY)
    save(store, record("PC-07", "osquery", aliases=[(ALIAS_OSQUERY_HOST, "pc-07")]))
    device = only(store)
    osquery_key = next(key for key in device.record_keys if key.startswith("osquery:"))
    split_record(store, osquery_key, reason="a test VM with the same name", now=NOW)
    devices = merged_devices(store)
    assert len(devices) == 2
    kept = next(d for d in devices if d.sources == ("intune",))
    alone = next(d for d in devices if d.sources == ("osquery",))
    assert kept.device_id == device.device_id  # the anchor (known first) keeps the id
    assert alone.record_keys == (osquery_key,) and alone.linked
    # a merge into the split record's device follows it
    save(store, record("test-vm", "jamf", platform="other", serial="VM1"))
    vm = next(d for d in merged_devices(store) if d.name == "test-vm")
    merge_record(store, vm.record_keys[0], alone, now=NOW)
    assert len(merged_devices(store)) == 2
    with pytest.raises(Exception, match="merged into itself"):
        stored_links.set_link(store, "k", "merge", "k", None, None, datetime.now(UTC))
