"""`watchkeeper incidents`: opening one from a detection, showing, changing, linking and
exporting it, with hostile text everywhere and one-line errors."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from watchkeeper.cli import run

FAILED = """title: SSH failed password
id: 44444444-0000-4000-8000-000000000001
status: stable
level: high
author: Jane Doe, Example Org
description: Someone is guessing passwords over SSH.
tags: [attack.credential-access, attack.t1110]
logsource: {product: linux, service: sshd}
detection:
    keywords: ['Failed password']
    condition: keywords
"""
RULE_ID = "44444444-0000-4000-8000-000000000001"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HOSTILE = [
    "<script>alert(1)</script><b>bold</b>",
    "x'); DROP TABLE incidents; --",
    "bell\x07 escape\x1b[31m red",
    "abc\u202edcba",
    "A" * 10_000,
]


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), out, err, clock=lambda: NOW)
    return code, out.getvalue(), err.getvalue()


def ok(*args: str) -> str:
    code, out, err = cli(*args)
    assert code == 0, err
    return out


def shown(db: str, number: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(ok("incidents", "show", number, "--db", db, "--json"))
    return document


def _lines(host: str, count: int) -> str:
    return "".join(
        f"Nov 23 08:{n // 60:02d}:{n % 60:02d} {host} sshd[99]: Failed password for "
        f"admin from 203.0.113.7 port {40000 + n} ssh2\n"
        for n in range(count)
    )


def _store(tmp_path: Path) -> tuple[str, Path]:
    """A store with detections on web01 (5 events) and db01 (2), and its auth.log."""
    db = str(tmp_path / "w.duckdb")
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "failed.yml").write_text(FAILED)
    log = tmp_path / "auth.log"
    log.write_text(_lines("web01", 5) + _lines("db01", 2))
    ok("import", str(log), "--db", db, "--rules", str(folder))
    return db, log


def _detection(db: str, host: str) -> dict[str, Any]:
    listed = json.loads(ok("detections", "--db", db, "--json"))["detections"]
    found: dict[str, Any] = next(d for d in listed if d["rule"] == RULE_ID and d["host"] == host)
    return found


def _one_line_error(code: int, out: str, err: str, text: str) -> None:
    assert code == 1 and out == ""
    assert err.startswith("watchkeeper: ") and text in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_detection_escalated_to_an_incident_and_exported(tmp_path: Path) -> None:
    db, log = _store(tmp_path)
    web = _detection(db, "web01")
    out = ok("incidents", "new", "--from-detection", str(web["id"]), "--db", db)
    assert out == "INC-1: open, high: SSH failed password on web01\n"
    assert _detection(db, "web01")["state"] == "escalated"
    assert _detection(db, "web01")["incident"] == "INC-1"
    db01 = _detection(db, "db01")
    ok("incidents", "add", "INC-1", "--detection", str(db01["id"]), "--db", db)
    ok("incidents", "add", "1", "--device", "LAPTOP-7", "--db", db)
    ok("incidents", "action", "INC-1", "Blocked 203.0.113.7 at the firewall", "--db", db)
    ok("incidents", "notify", "INC-1", "--to", "insurer", "--note", "claim 77", "--db", db)
    document = shown(db, "INC-1")
    assert (document["hosts"], document["users"], document["devices"]) == (
        ["db01", "web01"],
        ["admin"],
        ["LAPTOP-7"],
    )
    assert [d["host"] for d in document["detections"]] == ["web01", "db01"]
    assert [a["text"] for a in document["actions"]] == ["Blocked 203.0.113.7 at the firewall"]
    assert document["notifications"][0]["to"] == "insurer"
    # the explorer's filter finds the seven events of its two detections
    events = json.loads(ok("search", "incident:INC-1", "--db", db, "--json"))
    assert events["total"] == 7

    out = ok("incidents", "show", "INC-1", "--db", db)
    assert "Hosts:       db01, web01" in out and "Action: Blocked 203.0.113.7" in out

    target = tmp_path / "inc1.json"
    assert ok("incidents", "export", "INC-1", "--json", str(target), "--db", db).startswith(
        "INC-1 written to"
    )
    exported = json.loads(target.read_text(encoding="utf-8"))
    rule = exported["detections"][0]["rule"]
    assert rule["description"] == "Someone is guessing passwords over SSH."
    assert (rule["author"], rule["techniques"]) == ("Jane Doe, Example Org", ["T1110"])
    assert [e["host"] for e in exported["key_events"]["events"]].count("web01") == 3
    assert "raw" not in exported["key_events"]["events"][0]
    evidence = exported["evidence"]
    assert evidence["events_total"] == 7 and not evidence["truncated"]
    assert {e["record"] for e in evidence["events"]} == set(range(1, 8))
    (source,) = evidence["files"]
    assert source["sha256"] == hashlib.sha256(log.read_bytes()).hexdigest()
    assert (Path(source["file"]).name, source["events"]) == ("auth.log", 7)
    assert [h["name"] for h in exported["hosts"]] == ["db01", "web01"]


def test_status_moves_and_their_one_line_errors(tmp_path: Path) -> None:
    db, _ = _store(tmp_path)
    ok("incidents", "new", "--title", "Phishing e-mail", "--severity", "2", "--db", db)
    _one_line_error(
        *cli("incidents", "set", "INC-1", "--status", "closed", "--db", db),
        "Resolution needed: Say how INC-1 ended before closing it",
    )
    _one_line_error(
        *cli("incidents", "set", "INC-1", "--status", "finished", "--db", db),
        "'finished' is not an incident status",
    )
    out = ok(
        "incidents", "set", "INC-1", "--status", "closed", "--resolution", "benign", "--db", db
    )
    assert out == "INC-1: closed, medium: Phishing e-mail\n"
    _one_line_error(
        *cli("incidents", "set", "INC-1", "--status", "open", "--owner", "bob", "--db", db),
        "INC-1 is closed; say why you are reopening it (--reason)",
    )
    assert shown(db, "INC-1")["owner"] is None  # the refused change changed nothing
    ok("incidents", "set", "INC-1", "--status", "open", "--reason", "it came back", "--db", db)
    document = shown(db, "INC-1")
    assert (document["status"], document["resolution"], document["closed"]) == ("open", None, None)
    assert document["history"][-1]["reason"] == "it came back"
    _one_line_error(
        *cli("incidents", "set", "INC-1", "--db", db), "Nothing to change: Say what to change"
    )


def test_unknown_ids_and_an_incident_with_no_events(tmp_path: Path) -> None:
    db, _ = _store(tmp_path)
    for args in (
        ("incidents", "show", "INC-99"),
        ("incidents", "note", "INC-99", "hello"),
        ("incidents", "export", "INC-99", "--json", str(tmp_path / "x.json")),
    ):
        _one_line_error(*cli(*args, "--db", db), "There is no incident INC-99")
    _one_line_error(*cli("incidents", "show", "INC-seven", "--db", db), "not an incident id")
    _one_line_error(
        *cli("incidents", "new", "--from-detection", "999", "--db", db), "no detection 999"
    )
    _one_line_error(*cli("incidents", "new", "--db", db), "An incident needs a title")
    code, _, err = cli("incidents", "new", "--title", "x", "--severity", "9", "--db", db)
    assert code == 1 and "not a severity" in err
    ok("incidents", "new", "--title", "Nothing seen yet", "--db", db)
    _one_line_error(*cli("incidents", "add", "INC-1", "--event", "999", "--db", db), "no event")
    assert "Events:      0 linked" in ok("incidents", "show", "INC-1", "--db", db)
    target = tmp_path / "empty.json"
    ok("incidents", "export", "INC-1", "--json", str(target), "--db", db)
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert exported["evidence"] == {
        "events": [],
        "events_total": 0,
        "truncated": False,
        "files": [],
    }
    assert exported["key_events"]["events"] == [] and exported["detections"] == []
    assert json.loads(ok("search", "incident:INC-1", "--db", db, "--json"))["total"] == 0


def test_hostile_text_in_every_field(tmp_path: Path) -> None:
    db, _ = _store(tmp_path)
    for number, text in enumerate(HOSTILE, start=1):
        label = f"INC-{number}"
        ok("incidents", "new", "--title", text, "--db", db)
        ok(
            "incidents", "set", label, "--owner", text, "--summary", text, "--impact", text,
            "--lessons", text, "--db", db,
        )  # fmt: skip
        ok("incidents", "note", label, text, "--db", db)
        ok("incidents", "action", label, text, "--db", db)
        ok("incidents", "notify", label, "--to", text, "--note", text, "--db", db)
        ok("incidents", "add", label, "--host", text, "--user", text, "--device", text, "--db", db)
        document = shown(db, label)
        for field in ("title", "owner", "summary", "impact", "lessons"):
            assert document[field] == text
        assert document["hosts"] == document["users"] == document["devices"] == [text]
        assert document["notes"][0]["text"] == document["actions"][0]["text"] == text
        assert document["notifications"][0]["to"] == text
        out = ok("incidents", "show", label, "--db", db)
        # control characters and the right-to-left override are shown, never obeyed
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
        assert all(len(line) < 2100 for line in out.splitlines())
        listed = ok("incidents", "--db", db)
        assert "\x1b" not in listed and max(len(line) for line in listed.splitlines()) < 200
        target = tmp_path / f"{label}.json"
        ok("incidents", "export", label, "--json", str(target), "--db", db)
        assert json.loads(target.read_text(encoding="utf-8"))["incident"]["title"] == text


def test_ten_incidents_at_once_from_the_command_line(tmp_path: Path) -> None:
    db, _ = _store(tmp_path)
    for n in range(10):
        ok("incidents", "new", "--title", f"Incident {n}", "--severity", str(n % 4 + 1), "--db", db)
    ok("incidents", "set", "INC-3", "--status", "investigating", "--db", db)
    for n in range(1, 11):
        target = tmp_path / f"INC-{n}.json"
        ok("incidents", "export", f"INC-{n}", "--json", str(target), "--db", db)
        assert json.loads(target.read_text(encoding="utf-8"))["incident"]["id"] == f"INC-{n}"
    listed = json.loads(ok("incidents", "--db", db, "--json"))["incidents"]
    assert [i["id"] for i in listed] == [f"INC-{n}" for n in range(10, 0, -1)]
    only = json.loads(ok("incidents", "--status", "investigating", "--db", db, "--json"))
    assert [i["id"] for i in only["incidents"]] == ["INC-3"]
    out = ok("incidents", "--db", db)
    assert out.splitlines()[-1] == "10 incident(s), 10 not closed"


def test_a_personal_data_breach_warns_until_the_regulator_is_told(tmp_path: Path) -> None:
    db, _ = _store(tmp_path)
    ok("incidents", "new", "--title", "Customer list e-mailed out", "--db", db)
    out = ok("incidents", "set", "INC-1", "--personal-data", "yes", "--db", db)
    assert "Warning: Personal data was affected: tell the regulator (the ICO) by " in out
    assert "2026-12-03 12:00 UTC, 72 h from now" in out
    ok("incidents", "notify", "INC-1", "--to", "ICO", "--at", "2026-12-01T09:00", "--db", db)
    document = shown(db, "INC-1")
    assert document["warning"] is None
    assert document["notifications"][0]["at"] == "2026-12-01T09:00:00Z"


def test_the_export_gives_hosts_the_inventory_knows_their_compliance(tmp_path: Path) -> None:
    db, _ = _store(tmp_path)
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "compliance"
    ok("devices", "import", str(fixtures / "intune-all-devices-en.csv"), "--db", db)
    ok("incidents", "new", "--title", "Stolen laptop", "--db", db)
    ok("incidents", "add", "INC-1", "--host", "MAC-LISA", "--host", "web01", "--db", db)
    target = tmp_path / "inc.json"
    ok("incidents", "export", "INC-1", "--json", str(target), "--db", db)
    hosts = {h["name"]: h["compliance"] for h in json.loads(target.read_text())["hosts"]}
    assert hosts["web01"] is None  # only seen in the logs
    lisa = hosts["MAC-LISA"]
    assert (lisa["overall"], lisa["owner"], lisa["as_of"]) == (
        "fail",
        "lisa.brown@oakfield.co.uk",
        "2026-11-30T12:00:00Z",
    )
    assert lisa["checks"]["encrypted"] == {
        "status": "fail",
        "reason": "Its storage is not encrypted",
    }


def test_adding_says_what_was_new_and_a_detection_joins_one_incident_only(
    tmp_path: Path,
) -> None:
    db, _ = _store(tmp_path)
    web = str(_detection(db, "web01")["id"])
    ok("incidents", "new", "--from-detection", web, "--db", db)
    out = ok(
        "incidents", "add", "INC-1", "--event", "1", "--event", "2", "--host", "web01", "--db", db
    )
    assert (
        out.splitlines()[0] == "Added 2 event(s), 0 host(s) (any already linked are not counted)."
    )
    _one_line_error(
        *cli("incidents", "new", "--from-detection", web, "--db", db),
        f"Detection {web} is already part of INC-1",
    )
    ok("incidents", "set", "INC-1", "--personal-data", "no", "--owner", "", "--db", db)
    assert [c["field"] for c in shown(db, "INC-1")["history"]] == [
        "status",
        "detections",
        "host",
        "user",
        "events",
    ]  # setting what was already so changes nothing
