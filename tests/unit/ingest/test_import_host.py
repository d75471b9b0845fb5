"""The machine a file came from, named at import: auditd events without node= take it."""

from __future__ import annotations

import io
import json
from pathlib import Path

from watchkeeper.cli import run
from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.store import Store

START = 1795420800  # 2026-11-23 00:00 UTC


def _audit(serial: int, node: str | None = None) -> str:
    """A failed ssh logon as auditd writes it, with or without the node= prefix."""
    prefix = f"node={node} " if node else ""
    return (
        f"{prefix}type=USER_LOGIN msg=audit({START + serial}.100:{serial}): pid=3101 uid=0 "
        'auid=4294967295 ses=4294967295 msg=\'op=login acct="admin" exe="/usr/sbin/sshd" '
        "hostname=? addr=203.0.113.7 terminal=ssh res=failed'\n"
    )


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


def test_events_without_node_take_the_named_host(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_text("".join(_audit(serial) for serial in range(1, 6)), encoding="utf-8")
    summary = import_paths(store, [log], host="web01")
    assert summary.events == 5 and summary.files[0].message == ""
    assert store.fetch_all("SELECT host, count(*) FROM events GROUP BY host") == [("web01", 5)]


def test_node_wins_over_the_named_host(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_text(_audit(1, "db01") + _audit(2) + _audit(3, "db02"), encoding="utf-8")
    import_paths(store, [log], host="web01")
    rows = store.fetch_all("SELECT host FROM events ORDER BY record_no")
    assert rows == [("db01",), ("web01",), ("db02",)]


def test_without_a_name_the_host_stays_empty_and_the_summary_says_so(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "web01"  # a folder named like a machine is not taken as its name
    folder.mkdir()
    log = folder / "audit.log"
    log.write_text(_audit(1) + _audit(2) + _audit(3, "db01"), encoding="utf-8")
    summary = import_paths(store, [log])
    rows = store.fetch_all("SELECT host FROM events ORDER BY record_no")
    assert rows == [(None,), (None,), ("db01",)]
    assert summary.files[0].message == (
        f"{log}: 2 event(s) without node= have no host; "
        "name the machine with: watchkeeper import --host NAME"
    )


def test_a_named_host_fills_only_events_that_name_none(store: Store, tmp_path: Path) -> None:
    syslog = tmp_path / "auth.log"
    syslog.write_text(
        "Nov 23 08:00:00 files01 sshd[1]: Accepted password for bob from 10.0.0.5 port 2 ssh2\n",
        encoding="utf-8",
    )
    lines = tmp_path / "app.jsonl"
    lines.write_text('{"time": "2026-11-23T08:00:00Z", "msg": "started"}\n', encoding="utf-8")
    import_paths(store, [syslog, lines], host="web01")
    rows = store.fetch_all("SELECT source, host FROM events ORDER BY source")
    assert rows == [("json", "web01"), ("syslog", "files01")]


def test_import_host_on_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    log = tmp_path / "audit.log"
    log.write_text(_audit(1) + _audit(2), encoding="utf-8")
    hostile = "<b>web01</b>'; DROP TABLE events; --"
    code, out, _ = _cli("import", "--host", hostile, str(log), "--db", db, "--json")
    assert code == 0 and json.loads(out)["events"] == 2
    code, out, _ = _cli("stats", "--db", db, "--json")
    assert json.loads(out)["by_host"] == {hostile: 2}


def test_a_host_no_machine_could_have_is_a_usage_error(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    log = tmp_path / "audit.log"
    log.write_text(_audit(1), encoding="utf-8")
    for bad in ("", "   ", "web\x1b[31m01", "web\n01", "x" * 256):
        code, out, err = _cli("import", "--host", bad, str(log), "--db", db)
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and "--host needs a machine name" in err
        assert "Traceback" not in err
