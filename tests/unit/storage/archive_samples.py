"""A store with events on old and recent days, of each kind of event table, for the archive's
tests: Windows events (XML), syslog lines and JSON lines, some with hostile text."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.store import Store

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
OLD_DAYS = [datetime(2026, 1, day, tzinfo=UTC) for day in (3, 4, 5)]
RECENT_DAYS = [NOW - timedelta(days=2), NOW - timedelta(days=1)]
HOSTILE = "<b>bold</b>'; DROP TABLE events; --\x07\u202e"

_EVENT = (
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
    "<Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>{event_id}</EventID>"
    "<Level>0</Level><TimeCreated SystemTime='{time}'/><EventRecordID>{record}</EventRecordID>"
    "<Channel>Security</Channel><Computer>{host}</Computer></System><EventData>"
    "<Data Name='TargetUserName'>{user}</Data><Data Name='IpAddress'>192.0.2.{octet}</Data>"
    "<Data Name='CommandLine'>{command}</Data></EventData></Event>"
)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_logs(folder: Path, days: list[datetime], per_day: int = 6) -> list[Path]:
    """One Windows XML file, one syslog file and one JSON-lines file with events on `days`."""
    folder.mkdir(parents=True, exist_ok=True)
    windows, syslog, lines = [], [], []
    record = 1000 + int(days[0].timestamp()) % 100000
    for day in days:
        for n in range(per_day):
            moment = day.replace(hour=8 + n, minute=n * 7 % 60)
            record += 1
            windows.append(
                _EVENT.format(
                    event_id=(4624, 4625, 4688)[n % 3],
                    time=moment.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
                    record=record,
                    host=("PC-01.example.local", "PC-02.example.local")[n % 2],
                    user=("alice", "bob")[n % 2],
                    octet=n + 10,
                    command=_escape(HOSTILE if n == 5 else f"cmd.exe /c echo {n}"),
                )
            )
            stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            syslog.append(
                f"<38>1 {stamp} web01 sshd 4242 - - Failed password for root from "
                f"203.0.113.{n} port 22{n:02d} ssh2"
            )
            lines.append(
                json.dumps(
                    {"timestamp": stamp, "host": "nas01", "event": f"login {n}", "note": HOSTILE}
                )
            )
    stamp = days[0].strftime("%Y%m%d")
    paths = [
        folder / f"security-{stamp}.xml",
        folder / f"messages-{stamp}.log",
        folder / f"app-{stamp}.jsonl",
    ]
    paths[0].write_text("<Events>" + "".join(windows) + "</Events>\n", encoding="utf-8")
    paths[1].write_text("\n".join(syslog) + "\n", encoding="utf-8")
    paths[2].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def fill(store: Store, folder: Path) -> int:
    """Old and recent events of each kind; returns how many events the store holds."""
    for days, name in ((OLD_DAYS, "old"), (RECENT_DAYS, "recent")):
        summary = import_paths(store, write_logs(folder / name, days))
        assert summary.count("imported") == 3 and not summary.quarantined, summary
    return store.event_count()


def received_when_they_happened(store: Store, late: timedelta = timedelta(0)) -> None:
    """Set every event's receive time to its own time plus `late`, as if forwarded as it
    happened: the store's receive times are otherwise this machine's clock today."""
    with store.transaction() as con:
        for table in ("events_windows", "events_unix", "events_other"):
            con.execute(f"UPDATE {table} SET received = time + ?", [late])


def snapshot(store: Store) -> list[tuple[object, ...]]:
    """Every event's id, time, host, source, event id, user, message and command line."""
    return store.fetch_all(
        'SELECT id, "time", host, source, event_id, username, message, command_line, raw '
        "FROM events ORDER BY id"
    )
