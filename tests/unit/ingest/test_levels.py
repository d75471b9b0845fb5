"""Levels mean the same from every format: Windows Level numbers, and syslog severities."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watchkeeper.core.fields import WINDOWS_LEVELS
from watchkeeper.ingest.forwarded import HEADER, envelope
from watchkeeper.ingest.importer import import_paths
from watchkeeper.ingest.windows_shape import windows_level
from watchkeeper.scenarios.evtx_writer import EvtxRecord, write_evtx
from watchkeeper.storage.store import Store

WHEN = datetime(2026, 11, 3, 9, 15, 30, tzinfo=UTC)
AUDIT_FAILURE = 0x8010000000000000
CLASSIC = 0x0080000000000000


@dataclass(frozen=True)
class Sample:
    """One event, with what each shipper writes for its Level."""

    event_id: int
    provider: str
    channel: str
    level: int
    keywords: int
    nxlog_event_type: str  # NXLog's EventType, SeverityValue and Severity
    nxlog_severity: tuple[int, str]
    winlogbeat_level: str  # Winlogbeat's log.level, the name Windows renders
    winlogbeat_keywords: tuple[str, ...]
    expected: str


SAMPLES = (
    Sample(
        4625,
        "Microsoft-Windows-Security-Auditing",
        "Security",
        0,
        AUDIT_FAILURE,
        "AUDIT_FAILURE",
        (4, "ERROR"),
        "information",
        ("Audit Failure",),
        "information",
    ),
    Sample(
        41,
        "Microsoft-Windows-Kernel-Power",
        "System",
        1,
        0,
        "CRITICAL",
        (5, "CRITICAL"),
        "critical",
        (),
        "critical",
    ),
    Sample(
        7000,
        "Service Control Manager",
        "System",
        2,
        CLASSIC,
        "ERROR",
        (4, "ERROR"),
        "error",
        ("Classic",),
        "error",
    ),
    Sample(
        1014,
        "Microsoft-Windows-DNS-Client",
        "System",
        3,
        0,
        "WARNING",
        (3, "WARNING"),
        "warning",
        (),
        "warning",
    ),
    Sample(
        7036,
        "Service Control Manager",
        "System",
        4,
        CLASSIC,
        "INFO",
        (2, "INFO"),
        "information",
        ("Classic",),
        "information",
    ),
    Sample(
        100,
        "Microsoft-Windows-Bits-Client",
        "Microsoft-Windows-Bits-Client/Operational",
        5,
        0,
        "VERBOSE",
        (1, "DEBUG"),
        "verbose",
        (),
        "verbose",
    ),
)


def _time(index: int) -> datetime:
    return WHEN + timedelta(minutes=index)


def _computer(shipper: str) -> str:
    return f"{shipper.upper()}-PC.contoso.local"


def _evtx(path: Path) -> None:
    write_evtx(
        path,
        [
            EvtxRecord(
                system={
                    "Provider": {"Name": sample.provider},
                    "EventID": sample.event_id,
                    "Version": 0,
                    "Level": sample.level,
                    "Task": 0,
                    "Opcode": 0,
                    "Keywords": hex(sample.keywords),
                    "TimeCreated": _time(index),
                    "Channel": sample.channel,
                    "Computer": _computer("evtx"),
                },
                event_data={"TargetUserName": "alice"},
            )
            for index, sample in enumerate(SAMPLES)
        ],
    )


def _xml(path: Path) -> None:
    namespace = "http://schemas.microsoft.com/win/2004/08/events/event"
    events = [
        f"<Event xmlns='{namespace}'><System><Provider Name='{sample.provider}'/>"
        f"<EventID>{sample.event_id}</EventID><Version>0</Version><Level>{sample.level}</Level>"
        f"<Task>0</Task><Opcode>0</Opcode><Keywords>{hex(sample.keywords)}</Keywords>"
        f"<TimeCreated SystemTime='{_time(index).strftime('%Y-%m-%dT%H:%M:%S.%f')}0Z'/>"
        f"<EventRecordID>{index + 1}</EventRecordID><Channel>{sample.channel}</Channel>"
        f"<Computer>{_computer('winxml')}</Computer><Security/></System>"
        "<EventData><Data Name='TargetUserName'>alice</Data></EventData></Event>"
        for index, sample in enumerate(SAMPLES)
    ]
    path.write_text("<Events>" + "".join(events) + "</Events>", encoding="utf-8")


def _winlogbeat_line(index: int, sample: Sample, computer: str) -> str:
    return json.dumps(
        {
            "@timestamp": _time(index).isoformat().replace("+00:00", "Z"),
            "log": {"level": sample.winlogbeat_level},
            "event": {"code": str(sample.event_id), "provider": sample.provider},
            "winlog": {
                "channel": sample.channel,
                "computer_name": computer,
                "event_id": str(sample.event_id),
                "provider_name": sample.provider,
                "record_id": index + 1,
                "keywords": list(sample.winlogbeat_keywords),
                "event_data": {"TargetUserName": "alice"},
            },
        }
    )


def _nxlog_line(index: int, sample: Sample, computer: str) -> str:
    severity_value, severity = sample.nxlog_severity
    keywords = sample.keywords - (1 << 64) if sample.keywords >= 1 << 63 else sample.keywords
    return json.dumps(
        {
            "EventTime": _time(index).isoformat(),
            "Hostname": computer,
            "Keywords": keywords,
            "EventType": sample.nxlog_event_type,
            "SeverityValue": severity_value,
            "Severity": severity,
            "EventID": sample.event_id,
            "SourceName": sample.provider,
            "RecordNumber": index + 1,
            "Channel": sample.channel,
            "TargetUserName": "alice",
            "SourceModuleName": "eventlog",
            "SourceModuleType": "im_msvistalog",
        }
    )


def _write_all(folder: Path) -> list[Path]:
    folder.mkdir()
    paths = [folder / "Security.evtx", folder / "export.xml", folder / "winlogbeat.ndjson"]
    _evtx(paths[0])
    _xml(paths[1])
    paths[2].write_text(
        "\n".join(_winlogbeat_line(i, s, _computer("winlogbeat")) for i, s in enumerate(SAMPLES))
        + "\n",
        encoding="utf-8",
    )
    nxlog = folder / "nxlog.json"
    nxlog.write_text(
        "\n".join(_nxlog_line(i, s, _computer("nxlog")) for i, s in enumerate(SAMPLES)) + "\n",
        encoding="utf-8",
    )
    forwarded = folder / "spool.seg"
    forwarded.write_bytes(
        HEADER
        + b"".join(
            envelope(WHEN, "192.0.2.10", "http", "json", line.encode())
            for i, s in enumerate(SAMPLES)
            for line in (
                _nxlog_line(i, s, _computer("forwarded")),
                _winlogbeat_line(i, s, _computer("beat")),
            )
        )
    )
    return [*paths, nxlog, forwarded]


SHIPPERS = ("evtx", "winxml", "winlogbeat", "nxlog", "forwarded", "beat")
FORMATS = {"evtx", "winxml", "winlogbeat", "nxlog", "forwarded"}


def test_each_level_is_stored_alike_from_every_format(store: Store, tmp_path: Path) -> None:
    summary = import_paths(store, _write_all(tmp_path / "logs"))
    assert summary.quarantined == 0
    assert {result.format for result in summary.files} == FORMATS
    rows = store.fetch_all("SELECT host, event_id, level FROM events")
    by_shipper = {
        shipper: {event_id: level for host, event_id, level in rows if host == _computer(shipper)}
        for shipper in SHIPPERS
    }
    expected = {sample.event_id: sample.expected for sample in SAMPLES}
    assert by_shipper == dict.fromkeys(SHIPPERS, expected)


def test_a_failed_logon_is_information_with_the_audit_failure_kept_as_its_keyword(
    store: Store, tmp_path: Path
) -> None:
    import_paths(store, _write_all(tmp_path / "logs"))
    rows = store.fetch_all(
        'SELECT host, level, "Keywords" FROM events WHERE event_id = 4625 ORDER BY host'
    )
    assert len(rows) == len(SHIPPERS)
    assert {level for _, level, _ in rows} == {"information"}
    # Winlogbeat sends keyword names; the others the bits, which read as Audit Failure.
    assert {keywords for _, _, keywords in rows} == {"0x8010000000000000"}


@pytest.mark.parametrize(
    ("written", "number"),
    [
        (0, 0),
        ("4", 4),
        (" 2 ", 2),
        ("Information", 4),
        ("AUDIT_FAILURE", 0),
        ("Audit Success", 0),
        ("INFO", 4),
        ("Verbose", 5),
        ("critical", 1),
        (16, 16),  # a provider's own level: kept, and stored without a level name
        ("SetValue", None),  # Sysmon's EventType in an NXLog record: not a level
        ("", None),
        ("<b>error</b>", None),
        (-1, None),
        (True, None),
        (None, None),
    ],
)
def test_one_rule_reads_the_level_each_format_writes(written: object, number: int | None) -> None:
    assert windows_level(written) == number


def test_the_level_names_are_the_ones_windows_gives_its_level_numbers() -> None:
    assert WINDOWS_LEVELS == {
        0: "information",
        1: "critical",
        2: "error",
        3: "warning",
        4: "information",
        5: "verbose",
    }


# Syslog severities: one table for syslog's PRI, journald's PRIORITY and a JSON "severity".
SYSLOG_WORDS = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
SYSLOG_EXPECTED = (
    "critical",
    "critical",
    "critical",
    "error",
    "warning",
    "information",
    "information",
    "verbose",
)


def test_each_syslog_severity_is_stored_alike_from_every_format(
    store: Store, tmp_path: Path
) -> None:
    syslog = tmp_path / "messages"
    syslog.write_text(
        "".join(
            f"<{8 + severity}>Nov  3 09:15:{severity:02d} web01 app[1]: severity {severity}\n"
            for severity in range(8)
        ),
        encoding="utf-8",
    )
    journal = tmp_path / "journal.json"
    journal.write_text(
        "".join(
            json.dumps(
                {
                    "__REALTIME_TIMESTAMP": str(1793438130000000 + severity),
                    "_HOSTNAME": "web02",
                    "PRIORITY": str(severity),
                    "MESSAGE": f"severity {severity}",
                }
            )
            + "\n"
            for severity in range(8)
        ),
        encoding="utf-8",
    )
    shipped = tmp_path / "app.jsonl"
    shipped.write_text(
        "".join(
            json.dumps(
                {
                    "time": f"2026-11-03T09:15:{severity:02d}Z",
                    "host": host,
                    "severity": value,
                    "msg": f"severity {severity}",
                }
            )
            + "\n"
            for severity in range(8)
            for host, value in (("web03", severity), ("web04", SYSLOG_WORDS[severity]))
        ),
        encoding="utf-8",
    )
    summary = import_paths(store, [syslog, journal, shipped])
    assert summary.quarantined == 0
    rows = store.fetch_all("SELECT host, message, level FROM events")
    by_host: dict[str, dict[str, str]] = {}
    for host, message, level in rows:
        by_host.setdefault(host, {})[message] = level
    expected = {f"severity {n}": SYSLOG_EXPECTED[n] for n in range(8)}
    assert by_host == dict.fromkeys(("web01", "web02", "web03", "web04"), expected)
