"""`watchkeeper verify`: lines a user reads, one JSON document, exit codes, checkpoints."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from watchkeeper.cli import run
from watchkeeper.integrity.sealing import seal_due
from watchkeeper.storage import seals
from watchkeeper.storage.store import Store

AUTH = "".join(
    f"Nov  3 08:43:{n:02d} web01 sshd[{n}]: Failed password for root from 10.0.0.{n} port 22 ssh2\n"
    for n in range(6)
)


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


def _sealed_store(tmp_path: Path) -> str:
    """A store with one import whose day (today) is sealed, as if tomorrow had come."""
    db = str(tmp_path / "w.duckdb")
    log = tmp_path / "auth.log"
    log.write_text(AUTH)
    assert cli("import", str(log), "--db", db, "--no-detect")[0] == 0
    with Store(db) as store:
        seal_due(store, datetime.now(UTC) + timedelta(days=1))
    return db


def _sql(db: str, sql: str) -> None:
    con = duckdb.connect(db)
    con.execute(sql)
    con.close()


def test_a_fresh_import_is_unsealed_and_passes(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    log = tmp_path / "auth.log"
    log.write_text(AUTH)
    cli("import", str(log), "--db", db, "--no-detect")
    code, out, _ = cli("verify", "--db", db)
    assert code == 0
    assert out.startswith("UNSEALED ") and "PASS" not in out
    assert "not sealed yet" in out


def test_a_sealed_store_passes_and_a_changed_row_fails(tmp_path: Path) -> None:
    db = _sealed_store(tmp_path)
    code, out, _ = cli("verify", "--db", db)
    assert code == 0, out
    assert out.splitlines()[0].startswith("PASS ") and "No problem found" in out

    _sql(db, "UPDATE events_unix SET username = 'nobody' WHERE id = 4")
    code, out, _ = cli("verify", "--db", db)
    assert code == 1
    [line] = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert "batch 1" in line and "auth.log" in line and "were changed" in line

    code, out, _ = cli("verify", "--db", db, "--json")
    document = json.loads(out)
    assert code == 1 and document["exit_code"] == 1
    [failed] = [r for r in document["results"] if r["status"] == "FAIL"]
    assert (failed["how"], failed["batch"], failed["source"]) == ("changed", 1, "syslog")


def test_a_deleted_ledger_row_is_a_gap_with_exit_code_1(tmp_path: Path) -> None:
    db = _sealed_store(tmp_path)
    _sql(db, "DELETE FROM imports WHERE id = 1")
    code, out, _ = cli("verify", "--db", db)
    assert code == 1
    assert any(line.startswith("GAP") and "import ledger" in line for line in out.splitlines())


def test_a_checkpoint_proves_nothing_before_it_changed(tmp_path: Path) -> None:
    db = _sealed_store(tmp_path)
    checkpoint = tmp_path / "checkpoint.json"
    code, out, _ = cli("verify", "--db", db, "--checkpoint", str(checkpoint))
    assert code == 0 and "Checkpoint of" in out
    assert len(checkpoint.read_bytes()) < 300
    assert set(json.loads(checkpoint.read_text())) == {"day", "chain", "signature", "public_key"}

    code, out, _ = cli("verify", "--db", db, "--against", str(checkpoint))
    assert code == 0 and "PASS checkpoint" in out

    # rewritten events, and their records and seals rewritten to match: only the kept
    # checkpoint still tells
    _sql(db, "UPDATE events_unix SET message = 'quiet' WHERE id = 2")
    _sql(db, "DELETE FROM batch_parts; DELETE FROM batch_seals; DELETE FROM day_seals")
    with Store(db) as store:
        seals.record_batches(store, datetime.now(UTC))
        seal_due(store, datetime.now(UTC) + timedelta(days=1))
    code, out, _ = cli("verify", "--db", db)
    assert code == 0 and out.startswith("PASS ")
    code, out, _ = cli("verify", "--db", db, "--against", str(checkpoint))
    assert code == 1 and "FAIL checkpoint" in out and "differs" in out


def test_a_checkpoint_edited_or_not_a_checkpoint_is_said_plainly(tmp_path: Path) -> None:
    db = _sealed_store(tmp_path)
    checkpoint = tmp_path / "checkpoint.json"
    cli("verify", "--db", db, "--checkpoint", str(checkpoint))
    document = json.loads(checkpoint.read_text())
    document["chain"] = "0" * 64
    checkpoint.write_text(json.dumps(document))
    code, out, _ = cli("verify", "--db", db, "--against", str(checkpoint))
    assert code == 1 and "not validly signed" in out

    checkpoint.write_text("<b>not json</b>\x1b[2J")
    code, out, err = cli("verify", "--db", db, "--against", str(checkpoint))
    assert code != 0 and "not a Watchkeeper checkpoint" in err and "Traceback" not in err
    code, _, err = cli("verify", "--db", db, "--against", str(tmp_path / "absent.json"))
    assert code == 2 and "cannot read" in err


def test_a_hostile_file_name_is_shown_escaped(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    log = tmp_path / "<b>x<b>';--\x1b[2J.log"
    log.write_text(AUTH)
    assert cli("import", str(log), "--db", db, "--no-detect")[0] == 0
    with Store(db) as store:
        seal_due(store, datetime.now(UTC) + timedelta(days=1))
    _sql(db, "UPDATE events_unix SET host = NULL WHERE id = 1")
    code, out, _ = cli("verify", "--db", db)
    assert code == 1 and "\x1b" not in out
    [line] = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert "<b>x<b>';--\\x1b[2J.log" in line


def test_no_checkpoint_is_written_for_a_store_that_fails(tmp_path: Path) -> None:
    db = _sealed_store(tmp_path)
    _sql(db, "DELETE FROM events_unix WHERE id = 1")
    checkpoint = tmp_path / "checkpoint.json"
    code, out, _ = cli("verify", "--db", db, "--checkpoint", str(checkpoint))
    assert code == 1 and "Checkpoint not written" in out and not checkpoint.exists()


def test_without_a_keyring_verify_says_the_seals_are_unsigned(tmp_path: Path) -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    db = _sealed_store(tmp_path)
    code, out, _ = cli("verify", "--db", db)
    assert code == 0 and out.startswith("PASS ")
    [line] = [line for line in out.splitlines() if line.startswith("UNSIGNED")]
    assert "no keyring was available" in line and "No keyring is available" in line
    code, out, err = cli("verify", "--db", db, "--checkpoint", str(tmp_path / "c.json"))
    assert code == 1 and "unsigned" in err and "Traceback" not in err
