"""Devices from several sources: stored with their history, imported once, merged by serial,
name and alias, merged and split by hand, the newest observation of each fact winning."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from tests.unit.compliance.building import (
    DAY,
    HOUR,
    NOW,
    import_events,
    record,
    save,
    windows_event,
)

from watchkeeper.compliance.devices import Device, merged_devices
from watchkeeper.compliance.importing import import_device_file
from watchkeeper.compliance.model import (
    ALIAS_AZURE_AD_DEVICE_ID,
    ALIAS_HARDWARE_UUID,
    ALIAS_MAC,
    ALIAS_MDM_DEVICE_ID,
    ALIAS_OSQUERY_HOST,
    ENCRYPTED,
    FIREWALL,
)
from watchkeeper.compliance.stored import name_key, record_key
from watchkeeper.storage import inventory as stored
from watchkeeper.storage import schema
from watchkeeper.storage.store import Store

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "compliance"


def by_name(store: Store) -> dict[str, Device]:
    return {device.name: device for device in merged_devices(store)}


def only(store: Store) -> Device:
    devices = merged_devices(store)
    assert len(devices) == 1, [d.name for d in devices]
    return devices[0]


# importing ------------------------------------------------------------------------------


def test_importing_the_same_export_twice_adds_nothing(store: Store, tmp_path: Path) -> None:
    first = import_device_file(store, FIXTURES / "intune-all-devices-en.csv", now=NOW)
    assert (first.status, first.source, first.devices) == ("imported", "intune", 5)
    counted = store.fetch_one("SELECT count(*) FROM device_records")
    facts = store.fetch_one("SELECT count(*) FROM device_facts")
    again = import_device_file(store, FIXTURES / "intune-all-devices-en.csv", now=NOW + DAY)
    assert again.status == "skipped" and again.import_id == first.import_id
    assert again.message == (
        "intune-all-devices-en.csv: already imported on 2026-11-23 15:00 "
        f"UTC as intune-all-devices-en.csv (import {first.import_id}); "
        "nothing added"
    )
    renamed = tmp_path / "copy-of-export.csv"
    renamed.write_bytes((FIXTURES / "intune-all-devices-en.csv").read_bytes())
    assert import_device_file(store, renamed, now=NOW).status == "skipped"
    assert store.fetch_one("SELECT count(*) FROM device_records") == counted
    assert store.fetch_one("SELECT count(*) FROM device_facts") == facts
    entries = stored.inventory_imports(store)
    assert [(e.name, e.source, e.records) for e in entries] == [
        ("intune-all-devices-en.csv", "intune", 5)
    ]
    assert entries[0].problems == tuple(first.problems) and len(entries[0].sha256) == 64


def test_a_file_no_tool_wrote_is_refused_and_recorded_nowhere(store: Store, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.csv"
    garbage.write_text("a;b;c\n1;2;3\n", encoding="utf-8")
    result = import_device_file(store, garbage, now=NOW)
    assert result.status == "failed" and result.source is None
    assert result.message is not None and result.message.startswith(
        "garbage.csv: not an export Watchkeeper knows: no column for the device name"
    )
    missing = import_device_file(store, tmp_path / "absent.csv", now=NOW)
    assert missing.status == "failed" and "absent.csv: could not be read" in (missing.message or "")
    assert stored.inventory_imports(store) == []


def test_records_keep_every_import_as_history(store: Store) -> None:
    save(
        store,
        record(
            facts={ENCRYPTED: False},
            owner="jsmith@oakfield.co.uk",
            observed=NOW - 2 * DAY,
            label="monday.csv",
        ),
    )
    save(store, record(facts={ENCRYPTED: True}, observed=NOW - HOUR, label="friday.csv"))
    history = stored.record_rows(store)
    assert [(r.source_label, r.facts[0].value) for r in history] == [
        ("monday.csv", "false"),
        ("friday.csv", "true"),
    ]
    latest = stored.latest_records(store)
    assert [(r.source_label, r.owner, r.facts) for r in latest] == [
        ("friday.csv", "jsmith@oakfield.co.uk", ())
    ]
    assert latest[0].imported == NOW.replace(tzinfo=None)


def test_hostile_text_in_names_is_kept_as_data(store: Store) -> None:
    names = [
        "<b>PC-99</b>'; DROP TABLE device_records; --",
        "tab\there\nnew line",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ☃",
        "Robert'); DELETE FROM events;--",
    ]
    save(store, *[record(name, serial=f"S{i}", row=i + 2) for i, name in enumerate(names)])
    assert sorted(device.name for device in merged_devices(store)) == sorted(names)
    assert store.fetch_one("SELECT count(*) FROM device_records") == (4,)


def test_an_older_store_is_brought_to_schema_3(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    Store(path).close()
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE hits DROP COLUMN detection")
    con.execute("ALTER TABLE detection_rules DROP COLUMN per_user")
    # every table of a later version than 2, the newest first (their keys point back)
    for table in sorted(schema.TABLES[schema.SCHEMA_VERSION] - schema.TABLES[2], reverse=True):
        con.execute(f"DROP TABLE {table}")
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.close()
    with Store(path) as reopened:
        assert schema.current_version(reopened.cursor()) == schema.SCHEMA_VERSION
        assert stored.inventory_imports(reopened) == []
        assert merged_devices(reopened) == []


# merging ---------------------------------------------------------------------------------


def test_records_with_one_serial_are_one_device_whatever_their_names(store: Store) -> None:
    save(store, record("LAPTOP-7", "intune", serial="5NBR 4K3"))
    save(store, record("Jane's laptop", "jamf", serial="5nbr4k3", platform="other"))
    device = only(store)
    assert device.sources == ("intune", "jamf")
    assert len(device.record_keys) == 2


def test_a_short_name_and_its_fqdn_are_one_device(store: Store, tmp_path: Path) -> None:
    save(store, record("PC-07", serial="5NBR4K3"))
    import_events(
        store,
        tmp_path,
        [
            windows_event(
                "pc-07.OAKFIELD.local",
                NOW - HOUR,
                "Security",
                4624,
                "Microsoft-Windows-Security-Auditing",
            )
        ],
    )
    device = only(store)
    assert device.name == "PC-07"  # the inventory's name reads better than the FQDN
    assert device.sources == ("intune", "logs")
    assert device.host_names == ("pc-07.OAKFIELD.local",)
    assert name_key("PC-07.oakfield.local.") == name_key("pc-07") == "pc-07"
    assert name_key("Tom's iPhone") == "tom's iphone"
    assert name_key("J.Smith's iPhone") == "j.smith's iphone"  # not a DNS name
    assert name_key("192.168.1.20") == "192.168.1.20"


@pytest.mark.parametrize(
    ("kind", "first", "second"),
    [
        (
            ALIAS_AZURE_AD_DEVICE_ID,
            "A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D",
            "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        ),
        (
            ALIAS_HARDWARE_UUID,
            "4C4C4544-0042-3510-8052-B4C04F4E4B32",
            "4c4c4544-0042-3510-8052-b4c04f4e4b32",
        ),
        (ALIAS_MAC, "D4:81:D7:12:34:56", "d4-81-d7-12-34-56"),
    ],
)
def test_records_sharing_an_alias_are_one_device(
    store: Store, kind: str, first: str, second: str
) -> None:
    save(store, record("DESKTOP-A1", "intune", aliases=[(kind, first)]))
    save(
        store,
        record("reception", "osquery", aliases=[(ALIAS_OSQUERY_HOST, "reception"), (kind, second)]),
    )
    assert len(only(store).record_keys) == 2


def test_a_name_or_alias_never_joins_devices_whose_serials_differ(store: Store) -> None:
    save(store, record("PC-07", serial="AAA111", aliases=[(ALIAS_MAC, "D4:81:D7:12:34:56")]))
    save(
        store,
        record(
            "PC-07",
            "jamf",
            serial="BBB222",
            platform="other",
            aliases=[(ALIAS_MAC, "D4:81:D7:12:34:56")],
        ),
    )  # a shared dock's MAC
    assert len(merged_devices(store)) == 2


def test_a_name_two_devices_of_one_export_share_names_neither(store: Store, tmp_path: Path) -> None:
    save(
        store,
        record("Reception", serial="AAA111", row=2),
        record("Reception", serial="BBB222", row=3),
    )
    import_events(
        store,
        tmp_path,
        [
            windows_event(
                "reception.oakfield.local",
                NOW - HOUR,
                "Security",
                4624,
                "Microsoft-Windows-Security-Auditing",
            )
        ],
    )
    devices = merged_devices(store)
    assert len(devices) == 3
    assert all(len(device.record_keys) == 1 for device in devices)


def test_generic_names_join_nothing(store: Store) -> None:
    save(store, record("iPhone", "intune", platform="ios", aliases=[(ALIAS_MDM_DEVICE_ID, "1")]))
    save(store, record("iPhone", "jamf", platform="ios", aliases=[(ALIAS_MDM_DEVICE_ID, "1")]))
    assert len(merged_devices(store)) == 2


def test_a_device_keeps_its_id_as_sources_join_it(store: Store, tmp_path: Path) -> None:
    # known two days and a day before the logs, which an import stamps with the real clock
    known = datetime.now(UTC) - 2 * DAY
    save(store, record("PC-07", serial="5NBR4K3"), imported=known)
    before = only(store).device_id
    save(
        store,
        record(
            "PC-07",
            "osquery",
            serial="5nbr4k3",
            aliases=[(ALIAS_OSQUERY_HOST, "PC-07.oakfield.local")],
        ),
        imported=known + DAY,
    )
    import_events(
        store,
        tmp_path,
        [
            windows_event(
                "PC-07.oakfield.local",
                NOW - HOUR,
                "Security",
                4624,
                "Microsoft-Windows-Security-Auditing",
            )
        ],
    )
    device = only(store)
    assert device.device_id == before and device.device_id.startswith("dev-")
    assert device.sources == ("intune", "logs", "osquery")


def test_the_newest_observation_of_each_fact_wins(store: Store) -> None:
    save(
        store,
        record(facts={ENCRYPTED: False, FIREWALL: True}, observed=NOW - 3 * DAY, label="old.csv"),
    )
    save(
        store,
        record(
            "PC-07",
            "osquery",
            aliases=[(ALIAS_OSQUERY_HOST, "PC-07")],
            facts={ENCRYPTED: True},
            observed=NOW - DAY,
            label="osq.log",
        ),
    )
    save(store, record(facts={FIREWALL: False}, observed=NOW - 2 * DAY, label="compliance.csv"))
    device = only(store)
    assert device.value(ENCRYPTED) is True
    assert device.facts[ENCRYPTED].source == "osquery"
    assert device.facts[ENCRYPTED].fact.evidence.startswith("osq.log, row 2")
    # the newest record of intune lacks the column: the fact comes from the newest that has it
    assert device.value(FIREWALL) is False
    assert device.facts[FIREWALL].source_label == "compliance.csv"
    assert device.facts[FIREWALL].fact.observed == NOW - 2 * DAY


def test_attributes_come_from_the_newest_record_that_has_them(store: Store) -> None:
    save(
        store,
        record(
            serial="S1",
            os_name="Windows",
            os_version="10.0.19045.5011",
            owner="old@oakfield.co.uk",
            observed=NOW - 5 * DAY,
        ),
    )
    save(
        store,
        record(
            serial="S1",
            os_name="Windows",
            os_version="10.0.26100.2314",
            observed=NOW - DAY,
            label="newer.csv",
        ),
    )
    device = only(store)
    assert device.attribute("os_version") == "10.0.26100.2314"
    assert device.attributes["os_version"].source_label == "newer.csv"
    assert device.attribute("owner") == "old@oakfield.co.uk"


def test_record_keys_name_one_device_in_one_source_across_imports() -> None:
    assert record_key(record(serial=" 5NBR 4K3 ")) == "intune:serial:5nbr4k3"
    assert (
        record_key(record(aliases=[(ALIAS_MDM_DEVICE_ID, "12")], platform="ios", source="jamf"))
        == "jamf:id:mobile:12"
    )
    assert (
        record_key(record(aliases=[(ALIAS_MDM_DEVICE_ID, "12")], platform="macos", source="jamf"))
        == "jamf:id:computer:12"
    )
    assert record_key(record("Tom's  iPhone")) == "intune:name:tom's iphone"
    assert (
        record_key(
            record(
                "PC-07",
                "osquery",
                serial="S1",
                aliases=[(ALIAS_OSQUERY_HOST, "PC-07.Oakfield.local")],
            )
        )
        == "osquery:host:pc-07.oakfield.local"
    )
