"""`watchkeeper devices import FILE...` and `watchkeeper devices [--json] [--failing]`."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from watchkeeper.cli import run

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "compliance"
# The fixtures' devices checked in during November 2026; the checks are judged a day later.
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), out, err, clock=lambda: NOW)
    return code, out.getvalue(), err.getvalue()


def test_import_says_per_file_which_tool_how_many_devices_and_what_was_wrong(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "w.duckdb")
    code, out, err = cli(
        "devices",
        "import",
        str(FIXTURES / "intune-all-devices-en.csv"),
        str(FIXTURES / "osquery-snapshot.log"),
        "--db",
        db,
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "intune-all-devices-en.csv: intune, 5 device(s) read, 1 problem(s)"
    assert (
        "  problem: intune-all-devices-en.csv: row 7 has no device name or serial number, "
        "so it was skipped" in lines
    )
    assert "osquery-snapshot.log: osquery, 3 device(s) read" in lines
    code, out, _ = cli("devices", "import", str(FIXTURES / "osquery-snapshot.log"), "--db", db)
    assert code == 0 and out.startswith("skipped: osquery-snapshot.log: already imported on ")
    assert out.rstrip().endswith("nothing added")


def test_import_of_a_file_no_tool_wrote_fails_with_its_reason(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"Name,Colour\nfoo,blue\n")
    code, out, _ = cli(
        "devices",
        "import",
        str(garbage),
        str(FIXTURES / "jamf-computers.csv"),
        "--db",
        db,
        "--json",
    )
    assert code == 1
    document = json.loads(out)
    assert (document["imported"], document["failed"]) == (1, 1)
    failed = document["files"][0]
    assert failed["status"] == "failed" and failed["message"].startswith(
        "garbage.csv: not an export Watchkeeper knows: no column that only an MDM export has"
    )
    code, _, err = cli("devices", "import", str(tmp_path / "absent.csv"), "--db", db)
    assert code == 2 and "no such file" in err


def test_devices_table_and_json(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    code, _, err = cli("devices", "--db", db)
    assert code == 1 and "There is no store" in err  # a reading command creates none
    for name in ("intune-all-devices-en.csv", "osquery-snapshot.log", "jamf-computers.csv"):
        assert cli("devices", "import", str(FIXTURES / name), "--db", db)[0] == 0
    code, out, _ = cli("devices", "--db", db)
    assert code == 0
    header, *lines = out.splitlines()
    assert header.split() == [
        "device",
        "platform",
        "owner",
        "overall",
        "OS",
        "Enc",
        "FW",
        "Lock",
        "Root",
        "AV",
        "Boot",
        "Att",
        "MDM",
        "Logs",
    ]
    pc07 = next(line for line in lines if line.startswith("PC-07 "))
    assert pc07.split()[:4] == ["PC-07", "windows", "jsmith@oakfield.co.uk", "FAIL"]
    assert any(line.startswith("Checks: OS = Supported OS version") for line in lines)

    code, out, _ = cli("devices", "--db", db, "--json")
    document = json.loads(out)
    assert document["policy"]["file"] == "default.yml"
    device = next(d for d in document["devices"] if d["name"] == "PC-07")
    assert device["sources"] == ["intune", "osquery"] and device["overall"] == "fail"
    firewall = device["checks"]["firewall"]
    assert firewall["status"] == "fail" and firewall["source"] == "osquery"
    assert firewall["evidence"].startswith("osquery log osquery-snapshot.log")
    assert device["checks"]["not_rooted"]["status"] == "n/a"

    code, out, _ = cli("devices", "--db", db, "--json", "--failing")
    failing = json.loads(out)["devices"]
    assert failing and all(d["overall"] == "fail" for d in failing)
    assert len(failing) < len(document["devices"])


def test_a_broken_policy_is_a_one_line_error_naming_file_and_key(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    policy = tmp_path / "mine.yml"
    policy.write_text(
        "written: 2026-11-23\nchecks:\n  screen_lock: {max_minutes: soon}\n", encoding="utf-8"
    )
    code, out, err = cli("devices", "--db", db, "--policy", str(policy))
    assert code == 1 and out == ""
    assert err == (
        "watchkeeper: Compliance policy not loaded: mine.yml: "
        "checks.screen_lock.max_minutes must be a positive number of minutes, "
        "not 'soon'\n"
    )
    code, _, err = cli("devices", "--db", db, "--policy", str(tmp_path / "absent.yml"))
    assert code == 2 and "no such policy file" in err


def test_hostile_device_names_cannot_drive_the_terminal(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    export = tmp_path / "intune.csv"
    export.write_text(
        "Device name,Serial number,OS,OS version,Primary user UPN,Compliance,Managed by,"
        "Encrypted,Last check-in\n"
        '"EVIL\x1b[2J\x07PC",S1,Windows,10.0.26200.1,"x\x1b]0;owned\x07@y",Compliant,Intune,'
        "True,2026-11-20T10:00:00Z\n",
        encoding="utf-8",
    )
    code, out, err = cli("devices", "import", str(export), "--db", db)
    assert code == 0, out + err
    code, out, _ = cli("devices", "--db", db)
    assert code == 0 and "\x1b" not in out and "\x07" not in out
    assert "EVIL\\x1b[2J\\x07PC" in out
    code, out, _ = cli("devices", "--db", db, "--json")
    assert json.loads(out)["devices"][0]["name"] == "EVIL\x1b[2J\x07PC"  # kept as data
