"""`watchkeeper report --month YYYY-MM --pdf FILE` on a demo office of a pinned month, read
back with pdftotext."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from tests.ui.window_helpers import settle

from watchkeeper.cli import run
from watchkeeper.incidents.month import monthly_figures
from watchkeeper.ingest.importer import import_paths
from watchkeeper.scenarios import generate
from watchkeeper.storage.store import Store
from watchkeeper.ui.incidents.monthly import export_monthly_summary, last_month, parse_month
from watchkeeper.ui.main_window import MainWindow

# the app's QApplication, as in the window: the export would otherwise start a bare one
pytestmark = [
    pytest.mark.usefixtures("qapp"),
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed"),
]
END = datetime(2026, 12, 1, tzinfo=UTC)  # the office's 30 days are November's
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _cli(*args: str, now: datetime = NOW) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return run(list(args), out, err, clock=lambda: now), out.getvalue(), err.getvalue()


def test_the_month_of_a_small_office_in_one_pdf(tmp_path: Path) -> None:
    generate(tmp_path / "logs", events=8_000, seed=2, end=END)
    db = tmp_path / "office.duckdb"
    with Store(db) as store:
        import_paths(store, [tmp_path / "logs"])
    code, _out, err = _cli("detect", "--db", str(db))
    assert code == 0, err
    opened = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    code, out, err = _cli(
        "incidents", "new", "--title", "Spray on DC01", "--db", str(db), now=opened
    )
    assert code == 0, err
    pdf = tmp_path / "november.pdf"
    code, out, err = _cli("report", "--month", "2026-11", "--pdf", str(pdf), "--db", str(db))
    assert code == 0, err
    assert out.startswith(f"The summary of November 2026 written to {pdf} (")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = " ".join(text.split())  # table cells wrap
    for expected in ("November 2026", "nxlog", "syslog", "INC-1", "Spray on DC01", "Page 1 of"):
        assert expected in text, expected
    with Store(db) as store:
        figures = monthly_figures(store, NOW.date().replace(month=11, day=1), NOW)
    assert sum(s.events for s in figures.sources) > 7_000
    assert sum(d.count for d in figures.detections if d.level in ("high", "critical")) >= 4
    # the last month is the default; a month that is not one is a usage error
    code, out, _ = _cli("report", "--pdf", str(tmp_path / "last.pdf"), "--db", str(db))
    assert code == 0 and "November 2026" in out
    code, _, err = _cli("report", "--month", "November", "--pdf", str(pdf), "--db", str(db))
    assert code == 2 and "not a month such as 2026-11" in err


def test_the_window_writes_the_monthly_summary(
    qtbot: QtBot, make_window: Callable[..., MainWindow], store: Store, tmp_path: Path
) -> None:
    window = make_window()
    pdf = tmp_path / "month.pdf"
    export_monthly_summary(
        window,
        store,
        window.settings,
        window.runner,
        window.status_line.say,
        month=parse_month("2026-11"),
        path=pdf,
        now=NOW,
    )
    settle(qtbot, window)
    assert "The summary of November 2026 written to month.pdf" in (
        window.statusBar().currentMessage()
    )
    assert pdf.stat().st_size > 1000
    assert last_month(NOW) == parse_month("2026-11")
    assert parse_month("Nov") is None and parse_month("2026-13") is None
