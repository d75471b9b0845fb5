"""Field names no column could have, in every format that carries names: nothing fails, nothing is lost."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.core.fields import column_for_field, quote_ident
from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.store import Store

SYSLOG = "Nov  3 08:43:12 web01 sshd[1234]: Accepted password for deploy from 203.0.113.7\n"
NAMES = {
    "": "empty",
    "A": "upper",
    "a": "lower",
    "x.y": "dotted",
    'q"uote': "quoted",
    "n\u0000ul": "nul",
    "raw": "like our own",
    "L" * 300: "long",
}
NS = "http://schemas.microsoft.com/win/2004/08/events/event"


def _nxlog() -> str:
    record = {
        "EventTime": "2026-11-23T10:00:00Z",
        "Hostname": "pc01",
        "EventID": 4625,
        "SourceName": "Microsoft-Windows-Security-Auditing",
        "Channel": "Security",
        "SourceModuleType": "im_msvistalog",
        **NAMES,
    }
    return json.dumps(record) + "\n"


def _winlogbeat() -> str:
    record = {
        "@timestamp": "2026-11-23T10:00:00Z",
        "winlog": {
            "channel": "Security",
            "event_id": 4625,
            "computer_name": "pc01",
            "provider_name": "Microsoft-Windows-Security-Auditing",
            "event_data": NAMES,
        },
    }
    return json.dumps(record) + "\n"


def _xml() -> str:
    data = "".join(
        f"<Data Name='{name}'>{value}</Data>"
        for name, value in NAMES.items()
        if "\u0000" not in name and "'" not in name
    )  # XML cannot carry them
    return (
        f"<Events><Event xmlns='{NS}'><System><Provider Name='Test'/><EventID>1</EventID>"
        "<TimeCreated SystemTime='2026-11-23T10:00:00Z'/><Channel>Security</Channel>"
        f"<Computer>pc01</Computer></System><EventData>{data}</EventData></Event></Events>"
    )


def _jsonlines() -> str:
    return json.dumps({"time": "2026-11-23T10:00:00Z", "host": "pc01", **NAMES}) + "\n"


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("events.json", _nxlog),
        ("beat.json", _winlogbeat),
        ("events.xml", _xml),
        ("app.jsonl", _jsonlines),
    ],
)
def test_hostile_names_in_a_folder_import_lose_nothing_and_stop_nothing(
    store: Store, tmp_path: Path, name: str, make: Callable[[], str]
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "a-before.log").write_text(SYSLOG)
    text = make()
    (folder / f"b-{name}").write_text(text)
    (folder / "c-after.log").write_text(SYSLOG.replace("web01", "web02"))
    summary = import_paths(store, [folder])
    assert [(f.status, f.events) for f in summary.files] == [("imported", 1)] * 3, summary.files
    hosts = store.fetch_all("SELECT host FROM events ORDER BY host")
    assert hosts == [("pc01",), ("web01",), ("web02",)]
    # each name has a column of its own with its value (names differing in case share one)
    for field, value in NAMES.items():
        if field in ("A", "a") or (field in ("n\u0000ul", 'q"uote') and name.endswith(".xml")):
            continue
        column = store.resolve(column_for_field(field))
        assert column is not None, field
        got = store.fetch_one(f"SELECT {quote_ident(column)} FROM events WHERE host = 'pc01'")
        assert got == (value,), (field, column)
    raw = store.fetch_one("SELECT raw FROM events WHERE host = 'pc01'")
    assert raw is not None
    assert ("<Data Name=''>empty</Data>" if name.endswith(".xml") else '"": "empty"') in raw[0]


def test_a_file_whose_parser_breaks_fails_alone(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watchkeeper.ingest import jsonlines

    real = jsonlines.event_from_object

    def breaks_on_boom(number: int, text: str, value: dict[str, object], *rest: Any) -> object:
        if "boom" in value:
            raise OverflowError("date value out of range")
        return real(number, text, value, *rest)

    monkeypatch.setattr(jsonlines, "event_from_object", breaks_on_boom)
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "a.log").write_text(SYSLOG)
    (folder / "b.jsonl").write_text('{"host": "pc01", "msg": "kept?"}\n{"boom": 1}\n')
    (folder / "c.log").write_text(SYSLOG.replace("web01", "web02"))
    summary = import_paths(store, [folder])
    assert [(f.status, f.events) for f in summary.files] == [
        ("imported", 1),
        ("failed", 0),
        ("imported", 1),
    ]
    assert summary.files[1].message.endswith(
        "b.jsonl: date value out of range; nothing from it was kept"
    )
    assert store.fetch_all("SELECT host FROM events ORDER BY host") == [("web01",), ("web02",)]
