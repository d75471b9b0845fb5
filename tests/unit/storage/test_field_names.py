"""Any text is a field name: every one becomes a column of its own, and no name fails a batch."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchkeeper.core.event import Event, WindowsEvent
from watchkeeper.core.fields import COMMON_COLUMNS, MAX_FIELD_NAME, column_for_field, quote_ident
from watchkeeper.core.timeparse import parse_iso
from watchkeeper.ingest.windows_shape import build_system, windows_event_json
from watchkeeper.storage.batch import Batch, LedgerRow
from watchkeeper.storage.store import Store
from watchkeeper.storage.writer import write_batch

HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "Image",
    "image",
    "IMAGE",
    "a.b",
    'x"y',
    "x'y",
    "raw",
    "orig.raw",
    "ID",
    "time",
    "user",
    "e\u0301",
    "\u00e9",
    "\ud800",
    "x" * 500,
    "x" * 500 + "y",
    "field",
    "#text",
    "Sender",
    "transport",
    "\x01mark",
]
NAMES = st.one_of(
    st.sampled_from(HOSTILE), st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
)


def _write(store: Store, items: list[Event | WindowsEvent]) -> None:
    batch = Batch()
    batch.opened.append(LedgerRow(1, "file.log", 10, "sha", "test", "running"))
    for item in items:
        batch.add(1, item)
    batch.closed.append((1, "done", None))
    with store.cursor() as con:
        write_batch(store, con, batch, store.path.parent)


def _value(store: Store, name: str) -> object:
    column = store.resolve(column_for_field(name))
    assert column is not None, f"no column for {name!r}"
    row = store.cursor().execute(f"SELECT {quote_ident(column)} FROM events").fetchone()
    assert row is not None
    return row[0]


def _own_columns(names: list[str]) -> list[str]:
    """The names whose column no other name of the list shares (case-insensitively)."""
    columns = [column_for_field(name).lower() for name in names]
    return [name for name, column in zip(names, columns, strict=True) if columns.count(column) == 1]


def test_column_names_are_fit_distinct_and_stable() -> None:
    columns = [column_for_field(name) for name in HOSTILE]
    for name, column in zip(HOSTILE, columns, strict=True):
        assert column and len(column) <= MAX_FIELD_NAME + len("orig.")
        assert not any(ord(c) < 32 for c in column), (name, column)
        column.encode("utf-8")  # no lone surrogates
        assert column_for_field(column) == column or column.lower().startswith("orig.")
        assert column.lower() not in COMMON_COLUMNS
    # only names that differ in case share a column
    assert len({c.lower() for c in columns}) == len({n.lower() for n in HOSTILE})
    assert column_for_field("Image") == "Image" and column_for_field("raw") == "orig.raw"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(NAMES, max_size=6, unique=True))
def test_any_field_names_are_stored_each_in_its_own_column(names: list[str]) -> None:
    fields = {name: f"value {index}" for index, name in enumerate(names)}
    raw = f"raw record with {len(names)} fields"
    event = Event(1, raw, {"time": parse_iso("2026-11-23T10:00:00Z"), "host": "pc-01"}, fields)
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "s.duckdb") as store:
        _write(store, [event])
        assert store.fetch_all("SELECT host, raw FROM events") == [("pc-01", raw)]
        for name in _own_columns(names):
            assert _value(store, name) == fields[name], name


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.lists(
        NAMES.filter(lambda n: n not in ("#attributes", "EventTimeZoneInferred")),
        max_size=6,
        unique=True,
    )
)
def test_any_event_data_names_of_windows_events_are_stored(names: list[str]) -> None:
    data = {name: f"value {index}" for index, name in enumerate(names)}
    system = build_system(
        provider_name="Test",
        event_id=1,
        channel="Security",
        computer="pc-01",
        time_created="2026-11-23T10:00:00.000000Z",
    )
    try:
        event_json = windows_event_json(system, data)
    except TypeError:  # a lone surrogate cannot be written as JSON; no parser makes one
        return
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "s.duckdb") as store:
        _write(store, [WindowsEvent(1, event_json, event_json, source="nxlog")])
        ((host, raw),) = store.fetch_all("SELECT host, raw FROM events")
        assert host == "pc-01" and json.loads(raw) == json.loads(event_json)
        for name in _own_columns(names):
            if name.lower() in ("data", "level", "version", "task", "opcode", "keywords"):
                continue  # shared with the System field or bare Data of the same name
            assert _value(store, name) == data[name], name
