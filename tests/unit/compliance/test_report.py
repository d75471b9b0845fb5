"""One compliance report behind `watchkeeper devices` and the Devices view: the same
devices, the same thresholds from the settings, the same notes."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from watchkeeper.cli import run
from watchkeeper.compliance.policy import load_policy
from watchkeeper.compliance.report import compliance_report
from watchkeeper.core import settings as settings_file
from watchkeeper.core.settings import Settings
from watchkeeper.storage.store import Store

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "compliance"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
# more than a year after the shipped policy's supported versions were written
LATER = datetime(2028, 6, 1, 12, 0, tzinfo=UTC)
THRESHOLDS = {"screen_lock.max_minutes": 10.0, "no_such.check": 3.0}


def cli(now: datetime, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), out, err, clock=lambda: now)
    return code, out.getvalue(), err.getvalue()


def test_the_command_says_the_reports_notes_thresholds_and_stale_policy(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    for name in ("intune-all-devices-en.csv", "osquery-snapshot.log"):
        assert cli(NOW, "devices", "import", str(FIXTURES / name), "--db", str(db))[0] == 0
    settings_file.save(Settings(compliance_thresholds=dict(THRESHOLDS)))
    code, out, err = cli(LATER, "devices", "--db", str(db))
    assert code == 0, err
    said = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    with Store(db) as store:
        report = compliance_report(store, load_policy(None, THRESHOLDS), LATER)
    assert said == list(report.notes)
    assert "Settings: Screen lock max minutes is 10 minutes (the policy says 15)" in said
    assert "Settings: 'no_such.check' is not a threshold of the policy; ignored" in said
    assert sum("review them" in note for note in said) == 1
    assert len(report.rows) == len(out.splitlines()) - len(said) - 3  # header, count, key
