"""Times no calendar holds, in every format that carries one: the record is quarantined, saying why."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.ingest.importer import import_paths
from watchkeeper.ingest.times import TimeOutOfRange, parse_time
from watchkeeper.storage.store import Store

GOOD_TIME = "2026-11-23T10:00:00Z"
AFTER = "Nov  3 08:43:12 web01 sshd[1234]: Accepted password for deploy from 203.0.113.7\n"
IMPOSSIBLE = [
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "99999999999999999999",
    "10000-01-01T00:00:00Z",
]


def _audit(stamp: str) -> str:
    return f'type=USER_LOGIN msg=audit({stamp}:1): pid=1 uid=0 acct="root" res=success\n'


def _nxlog(stamp: object) -> str:
    return (
        json.dumps(
            {
                "EventTime": stamp,
                "Hostname": "pc01",
                "EventID": 4625,
                "SourceName": "Microsoft-Windows-Security-Auditing",
                "Channel": "Security",
                "SourceModuleType": "im_msvistalog",
            }
        )
        + "\n"
    )


def _winlogbeat(stamp: object) -> str:
    return (
        json.dumps(
            {
                "@timestamp": stamp,
                "winlog": {
                    "channel": "Security",
                    "event_id": 4625,
                    "computer_name": "pc01",
                    "provider_name": "Microsoft-Windows-Security-Auditing",
                },
            }
        )
        + "\n"
    )


def _jsonl(stamp: object) -> str:
    return json.dumps({"time": stamp, "host": "pc01", "msg": "hello"}) + "\n"


def _syslog(stamp: str) -> str:
    return f"<34>1 {stamp} pc01 sshd 77 - - hello\n"


def _csv(stamp: str) -> str:
    return f"{stamp},pc01,hello\n"


def _xml(stamp: str) -> str:
    return (
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
        "<Provider Name='Test'/><EventID>1</EventID>"
        f"<TimeCreated SystemTime='{stamp}'/><Channel>Security</Channel>"
        "<Computer>pc01</Computer></System><EventData><Data Name='A'>b</Data></EventData>"
        "</Event>\n"
    )


# (file name, text before the records, one record for a time, the impossible times it can carry)
FORMATS = [
    ("audit.log", "", _audit, ["999999999999.000", "99999999999999999999.000"]),
    ("nxlog.json", "", _nxlog, [*IMPOSSIBLE, 1e300]),
    ("beat.json", "", _winlogbeat, IMPOSSIBLE),
    ("app.jsonl", "", _jsonl, [*IMPOSSIBLE, 1e300, -1e20]),
    ("rfc5424.log", "", _syslog, IMPOSSIBLE[:2]),
    ("export.csv", "time,host,msg\n", _csv, IMPOSSIBLE),
    (
        "events.xml",
        "<Events>\n",
        _xml,
        ["10000-01-01T00:00:00.000000Z", "0000-06-01T00:00:00.000000Z"],
    ),
]


@pytest.mark.parametrize(("name", "head", "record", "times"), FORMATS, ids=[f[0] for f in FORMATS])
def test_an_impossible_time_is_quarantined_and_the_rest_imported(
    store: Store,
    tmp_path: Path,
    name: str,
    head: str,
    record: Callable[[Any], str],
    times: list[object],
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    good = "1795423392.123" if name == "audit.log" else GOOD_TIME
    tail = "</Events>\n" if name.endswith(".xml") else ""
    (folder / f"a-{name}").write_text(
        head + "".join(record(t) for t in times) + record(good) + tail
    )
    (folder / "b-after.log").write_text(AFTER)
    summary = import_paths(store, [folder])
    first, after = summary.files
    assert (first.status, first.events, first.quarantined) == ("imported", 1, len(times))
    assert (after.status, after.events) == ("imported", 1)
    reasons = [reason for (reason,) in store.fetch_all("SELECT reason FROM quarantine")]
    assert len(reasons) == len(times)
    assert all("out of range" in reason and "\n" not in reason for reason in reasons), reasons
    assert store.fetch_all("SELECT count(*) FROM quarantine WHERE raw IS NULL OR raw = ''") == [
        (0,)
    ]
    assert store.event_count() == 2


@pytest.mark.parametrize("value", [*IMPOSSIBLE, 1e300, float("inf"), "-99999999999"])
def test_a_plain_time_past_the_calendar_is_out_of_range_not_missing(value: object) -> None:
    with pytest.raises(TimeOutOfRange, match="out of range"):
        parse_time(value, UTC)


def test_a_record_with_another_good_time_keeps_it() -> None:
    from watchkeeper.ingest.mapping import FieldMapper

    common = FieldMapper(UTC).common({"time": 1e300, "@timestamp": GOOD_TIME}, "json")
    assert common["time"].year == 2026


@settings(max_examples=300, deadline=None)
@given(
    value=st.one_of(
        st.text(max_size=40),
        st.integers(),
        st.floats(),
        st.from_regex(r"[+-]?\d{1,24}(\.\d{0,9})?", fullmatch=True),
        st.from_regex(r"\d{1,6}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", fullmatch=True),
    )
)
def test_any_value_is_a_time_that_can_be_stored_none_or_out_of_range(value: object) -> None:
    try:
        stamp, _ = parse_time(value, timezone(timedelta(hours=-5)))
    except TimeOutOfRange as error:
        assert "out of range" in str(error) and "\n" not in str(error)
        return
    if stamp is not None:
        stamp.astimezone(UTC)  # never past the calendar once in UTC
