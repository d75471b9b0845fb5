"""Tamper evidence: what verify finds after the store was changed behind Watchkeeper's back."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from keyring.backends import fail

from watchkeeper.ingest.importer import import_paths
from watchkeeper.integrity.sealing import seal_due
from watchkeeper.integrity.signing import load_key, sign
from watchkeeper.integrity.verify import FAIL, GAP, PASS, UNSEALED, Report, verify
from watchkeeper.storage import seals
from watchkeeper.storage.store import Store

# two days of events in one file, one in another (with hostile text in it)
AUTH = "".join(
    f"Nov  {day} 08:43:{n:02d} web01 sshd[{n}]: Failed password for root from 10.0.0.{n} port 22 ssh2\n"
    for day in (3, 4)
    for n in range(5)
)
HOSTILE = "Nov  4 09:00:00 web02 app[1]: <b>hi</b>'; DROP TABLE events;--\x1b[2J\n"


def _import(store: Store, folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "auth.log").write_text(AUTH)
    (folder / "other.log").write_text(HOSTILE)
    summary = import_paths(store, [folder / "auth.log", folder / "other.log"])
    assert summary.count("imported") == 2


def _sealed(store: Store, tmp_path: Path, days: int = 1) -> datetime:
    """Import the files and seal the day they were written (and `days` - 1 more after it)."""
    _import(store, tmp_path / "logs")
    later = datetime.now(UTC) + timedelta(days=days)
    assert len(seal_due(store, later)) == days
    return later


def _verify(store: Store, now: datetime) -> Report:
    return verify(store, now, load_key(create=False).public_text)


def _sql(store: Store, sql: str) -> None:
    con = store.cursor()
    try:
        con.execute(sql)
    finally:
        con.close()


def test_a_fresh_store_verifies_pass(store: Store, tmp_path: Path) -> None:
    now = _sealed(store, tmp_path)
    report = _verify(store, now)
    assert [(r.day.day, r.source, r.status, r.events) for r in report.results] == [
        (3, "syslog", PASS, 5),
        (4, "syslog", PASS, 6),
    ]
    assert report.problems == [] and report.unsigned == [] and report.exit_code == 0


def test_days_not_yet_sealed_are_unsealed_never_pass(store: Store, tmp_path: Path) -> None:
    _import(store, tmp_path / "logs")
    report = _verify(store, datetime.now(UTC))
    assert {r.status for r in report.results} == {UNSEALED}
    assert report.exit_code == 0 and report.unsealed_days


def test_a_row_changed_with_plain_sql_is_named(store: Store, tmp_path: Path) -> None:
    now = _sealed(store, tmp_path)
    _sql(store, "UPDATE events_unix SET message = 'nothing happened' WHERE id = 7")
    report = _verify(store, now)
    failed = [r for r in report.results if r.status == FAIL]
    assert len(failed) == 1 and failed[0].problem is not None
    problem = failed[0].problem
    assert (problem.how, problem.batch, problem.source) == ("changed", 1, "syslog")
    assert problem.day is not None and problem.day.day == 4
    assert "batch 1" in problem.text and "auth.log" in problem.text and "changed" in problem.text
    assert report.exit_code == 1


def test_a_row_deleted_is_missing(store: Store, tmp_path: Path) -> None:
    now = _sealed(store, tmp_path)
    _sql(store, "DELETE FROM events_unix WHERE id = 2")
    report = _verify(store, now)
    [problem] = report.problems
    assert (problem.status, problem.how, problem.batch) == (FAIL, "missing", 1)
    assert "1 of the 5 event(s) of batch 1" in problem.text


def test_a_batch_reordered_is_named(store: Store, tmp_path: Path) -> None:
    now = _sealed(store, tmp_path)
    _sql(store, "UPDATE events_unix SET id = CASE id WHEN 2 THEN 3 ELSE 2 END WHERE id IN (2, 3)")
    [problem] = _verify(store, now).problems
    assert (problem.how, problem.batch) == ("reordered", 1)
    assert "another order" in problem.text


def test_a_row_added_to_a_sealed_batch_is_named(store: Store, tmp_path: Path) -> None:
    now = _sealed(store, tmp_path)
    _sql(
        store,
        "INSERT INTO events_unix (id, time, received, source, import_id, message) "
        "SELECT 100, time, received, source, import_id, 'planted' FROM events_unix WHERE id = 1",
    )
    [problem] = _verify(store, now).problems
    assert (problem.how, problem.batch) == ("added", 1)


def test_an_imports_row_deleted_is_a_gap(store: Store, tmp_path: Path) -> None:
    now = _sealed(store, tmp_path)
    _sql(store, "DELETE FROM imports WHERE id = 1")
    report = _verify(store, now)
    assert [(p.status, p.how, p.batch) for p in report.problems] == [(GAP, "ledger", 1)]
    assert "batch 1 is missing from the import ledger" in report.problems[0].text
    assert report.exit_code == 1


def test_a_seal_removed_is_a_gap_and_later_days_still_verify(store: Store, tmp_path: Path) -> None:
    now = _sealed(store, tmp_path, days=3)
    second = (now - timedelta(days=2)).date()
    _sql(store, f"DELETE FROM day_seals WHERE day = DATE '{second.isoformat()}'")
    report = _verify(store, now)
    assert [(p.status, p.how, p.day) for p in report.problems] == [(GAP, "day", second)]
    assert "has no seal" in report.problems[0].text


def test_a_forged_seal_fails_its_signature(store: Store, tmp_path: Path) -> None:
    now = _sealed(store, tmp_path)
    other = Ed25519PrivateKey.generate()
    day = store.fetch_one("SELECT day, chain FROM day_seals")
    assert day
    forged = sign(other, day[0], day[1])
    _sql(store, f"UPDATE day_seals SET signature = '{forged}'")
    [problem] = _verify(store, now).problems
    assert (problem.status, problem.how) == (FAIL, "signature")
    assert "does not verify" in problem.text


def test_a_seal_signed_again_with_another_key_is_not_this_machines(
    store: Store, tmp_path: Path
) -> None:
    now = _sealed(store, tmp_path)
    other = Ed25519PrivateKey.generate()
    day, chain = store.fetch_one("SELECT day, chain FROM day_seals") or (None, None)
    public = base64.b64encode(other.public_key().public_bytes_raw()).decode()
    _sql(
        store,
        f"UPDATE day_seals SET signature = '{sign(other, day, chain)}', public_key = '{public}'",
    )
    [problem] = _verify(store, now).problems
    assert "not this machine's" in problem.text


def test_edited_hashes_and_seal_are_caught(store: Store, tmp_path: Path) -> None:
    """Changing a row and its recorded part hash still leaves the batch hash and the seal."""
    now = _sealed(store, tmp_path)
    _sql(store, "UPDATE events_unix SET message = 'x' WHERE id = 1")
    from watchkeeper.storage import seals

    [part] = [p for p in seals.current_parts(store) if p.import_id == 1 and p.day.day == 3]
    _sql(
        store,
        f"UPDATE batch_parts SET sha256 = '{part.sha256}', set_sha256 = '{part.set_sha256}' "
        f"WHERE import_id = 1 AND day = DATE '{part.day.isoformat()}'",
    )
    [problem] = _verify(store, now).problems
    assert (problem.how, problem.batch) == ("edited", 1)


def test_without_a_keyring_days_are_sealed_unsigned_and_said_so(
    store: Store, tmp_path: Path
) -> None:
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    now = _sealed(store, tmp_path)
    report = _verify(store, now)
    assert report.problems == [] and len(report.unsigned) == 1
    assert {r.status for r in report.results} == {PASS}


@pytest.mark.parametrize("days", [1, 4])
def test_every_day_gets_a_seal_and_sealing_again_adds_none(
    store: Store, tmp_path: Path, days: int
) -> None:
    now = _sealed(store, tmp_path, days=days)
    assert seal_due(store, now) == []
    assert store.fetch_one("SELECT count(*) FROM day_seals") == (days,)


def test_parts_larger_than_a_chunk_hash_alike_and_a_change_in_any_chunk_is_found(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # chunks of 2 ids and slices of 4: each part spans chunks and slices, as a part of
    # millions of events spans them at the real sizes
    monkeypatch.setattr(seals, "CHUNK_IDS", 2)
    monkeypatch.setattr(seals, "SLICE_IDS", 4)
    now = _sealed(store, tmp_path)
    assert _verify(store, now).problems == []
    _sql(store, "UPDATE events_unix SET message = 'quiet night' WHERE id = 4")
    report = _verify(store, now)
    assert [(p.status, p.how) for p in report.problems] == [(FAIL, "changed")]
