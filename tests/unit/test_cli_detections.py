"""`watchkeeper detections` and `detections set`, and `hits` counting detections."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from watchkeeper.cli import run

FAILED = """title: SSH failed password
id: 33333333-0000-4000-8000-000000000001
status: stable
level: high
author: Jane Doe, Example Org
tags: [attack.credential-access, attack.t1110]
logsource: {product: linux, service: sshd}
detection:
    keywords: ['Failed password']
    condition: keywords
"""
RULE_ID = "33333333-0000-4000-8000-000000000001"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), out, err, clock=lambda: NOW)
    return code, out.getvalue(), err.getvalue()


def _lines(host: str, count: int, hour: int = 8) -> str:
    return "".join(
        f"Nov 23 {hour:02d}:{n // 60:02d}:{n % 60:02d} {host} sshd[99]: Failed password for "
        f"admin from 203.0.113.7 port {40000 + n} ssh2\n"
        for n in range(count)
    )


def _store(tmp_path: Path, text: str) -> str:
    db = str(tmp_path / "w.duckdb")
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "failed.yml").write_text(FAILED)
    log = tmp_path / "auth.log"
    log.write_text(text)
    code, _, err = cli("import", str(log), "--db", db, "--rules", str(folder))
    assert code == 0, err
    return db


def test_detections_lists_and_sets_states(tmp_path: Path) -> None:
    # a hostile host name: markup, SQL and a control character
    hostile = "<b>x</b>';DROP\x1b"
    db = _store(tmp_path, _lines("web01", 201) + _lines("db01", 2) + _lines("web01", 3, hour=11))
    code, out, _ = cli("detections", "--db", db, "--json")
    assert code == 0
    # the shipped pack's brute-force correlation is one detection of its own
    listed = [d for d in json.loads(out)["detections"] if d["rule"] == RULE_ID]
    assert sorted((d["host"], d["events"]) for d in listed) == [
        ("db01", 2),
        ("web01", 3),
        ("web01", 201),
    ]
    first = next(d for d in listed if d["events"] == 201)
    assert first["state"] == "new" and first["rule"] == RULE_ID and first["lead"] == first["id"]
    assert first["author"] == "Jane Doe, Example Org"

    code, out, _ = cli(
        "detections", "set", str(first["id"]), "benign", "--reason", hostile, "--db", db
    )
    assert code == 0 and out.startswith(f"Detection {first['id']}: new → benign")
    assert "\x1b" not in out

    code, out, _ = cli("detections", "--db", db, "--state", "new")
    assert code == 0
    header, *rows, total = out.splitlines()
    assert header.split()[:3] == ["id", "state", "level"]
    assert str(first["id"]) not in [row.split()[0] for row in rows]
    assert total == f"{len(rows)} detection(s) in 2 stories, {len(rows)} new"
    code, out, _ = cli("detections", "--db", db, "--state", "benign", "--json")
    (benign,) = [d for d in json.loads(out)["detections"] if d["rule"] == RULE_ID]
    assert (benign["id"], benign["reason"], benign["state_by"]) == (
        first["id"],
        hostile,
        benign["state_by"],
    )
    assert benign["state_at"] == "2026-11-30T12:00:00"
    code, out, _ = cli("detections", "--db", db, "--level", "critical")
    assert code == 0 and out.strip() == "No detections."


def test_detections_set_says_what_is_wrong_in_one_line(tmp_path: Path) -> None:
    db = _store(tmp_path, _lines("web01", 2))
    for args, code_wanted, said in (
        (["999", "new"], 1, "There is no detection 999"),
        (["1", "ignored"], 1, "'ignored' is not a triage state"),
        (["1", "false-positive"], 1, "Say why this detection is false positive"),
        (["one", "new"], 2, "invalid int value"),
    ):
        code, out, err = cli("detections", "set", *args, "--db", db)
        assert code == code_wanted, err
        assert said in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    code, _, err = cli("detections", "--state", "done", "--db", db)
    assert code == 1 and "'done' is not a triage state" in err
    code, out, _ = cli("detections", "set", "1", "in-review", "--db", db, "--json")
    assert code == 0 and json.loads(out)["state"] == "in review"


def test_hits_counts_detections_and_keeps_their_events(tmp_path: Path) -> None:
    db = _store(tmp_path, _lines("web01", 201) + _lines("db01", 2))
    code, out, _ = cli("hits", "--db", db, "--json")
    assert code == 0
    (rule,) = [r for r in json.loads(out)["rules"] if r["id"] == RULE_ID]
    assert (rule["count"], rule["hits"]) == (2, 203)
    web = next(d for d in rule["detections"] if d["host"] == "web01")
    assert len(web["event_ids"]) == 201 and not web["events_truncated"]
    _, out, _ = cli("hits", "--db", db)
    assert "3 detection(s) from 2 rule(s), 406 matched event(s)" in out
