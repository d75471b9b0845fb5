"""The incident summary's figures: export time, pages and file size for 50, 2,000 and 20,000
linked events; and the measurement behind the PDF library (Qt against fpdf2, when installed).

Run: .venv/bin/python tests/benchmarks/bench_report.py [--compare]

Past 2,000 events the evidence appendix counts events per source file instead of listing each,
so the 20,000-event report is shorter than the 2,000-event one; the baseline beside it is the
same report with every event listed (what the limit saves). `--compare` writes one long table
(a heading repeated on every page, "Page X of Y", accents and Cyrillic) with Qt's writer and,
if it is installed, with fpdf2.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "app"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.incident_samples import sample_incident  # noqa: E402

import watchkeeper.ui  # noqa: E402, F401  (PySide6 6.12 on Python 3.11: ui.singletons)
from watchkeeper.incidents.pdf import headless_app, write_pdf  # noqa: E402
from watchkeeper.incidents.report import write_incident_pdf  # noqa: E402
from watchkeeper.incidents.report_model import EVIDENCE_ROW_LIMIT  # noqa: E402

SIZES = (50, 2_000, 20_000)
TABLE_ROWS = 20_000
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def timed(folder: Path, name: str, events: int, listed: int) -> tuple[float, int, int]:
    report = sample_incident(events)
    path = folder / f"{name}.pdf"
    start = time.perf_counter()
    pages = write_incident_pdf(report, path, evidence_rows=listed)
    return time.perf_counter() - start, pages, path.stat().st_size


def incidents(folder: Path) -> None:
    print(f"{'linked events':>14} {'seconds':>8} {'pages':>6} {'size':>9}   baseline (all listed)")
    for events in SIZES:
        seconds, pages, size = timed(folder, f"incident-{events}", events, EVIDENCE_ROW_LIMIT)
        baseline = ""
        if events > EVIDENCE_ROW_LIMIT:
            b_seconds, b_pages, b_size = timed(folder, f"all-{events}", events, events)
            baseline = f"{b_seconds:.2f} s, {b_pages} pages, {b_size / 1024:,.0f} KB"
        print(f"{events:>14,} {seconds:>8.2f} {pages:>6} {size / 1024:>6,.0f} KB   {baseline}")


def qt_table(path: Path) -> int:
    rows = "".join(
        f"<tr><td>{n}</td><td>Zoë Ångström Иван pc-{n % 9}</td><td>&lt;b&gt;x&lt;/b&gt;</td></tr>"
        for n in range(TABLE_ROWS)
    )
    html = (
        "<h1>Sample</h1><table border=1 cellspacing=0 width=100%>"
        f"<thead><tr><th>#</th><th>Name</th><th>Text</th></tr></thead>{rows}</table>"
    )
    return write_pdf(html, path, title="Sample", header="Acme Ltd · Sample")


def fpdf_table(path: Path) -> int:
    fpdf: Any = importlib.import_module("fpdf")  # not a dependency: measured when installed

    class Sample(fpdf.FPDF):  # type: ignore[misc]
        def header(self) -> None:
            self.set_font("dejavu", size=8)
            self.cell(0, 6, "Acme Ltd · Sample")
            self.ln(10)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("dejavu", size=8)
            self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="R")

    pdf = Sample(format="A4")
    pdf.set_title("Sample")
    pdf.add_font("dejavu", "", str(FONT))
    pdf.add_font("dejavu", "B", str(FONT.with_name("DejaVuSans-Bold.ttf")))
    pdf.add_page()
    pdf.set_font("dejavu", size=9)
    with pdf.table(col_widths=(10, 80, 60), repeat_headings=1) as table:
        table.row(["#", "Name", "Text"])
        for n in range(TABLE_ROWS):
            table.row([str(n), f"Zoë Ångström Иван pc-{n % 9}", "<b>x</b>"])
    pdf.output(str(path))
    return int(pdf.pages_count)


def compare(folder: Path) -> None:
    print(f"\n{TABLE_ROWS:,}-row table: {'library':>8} {'seconds':>8} {'pages':>6} {'size':>9}")
    writers = {"Qt": qt_table, "fpdf2": fpdf_table}
    for name, write in writers.items():
        path = folder / f"table-{name}.pdf"
        start = time.perf_counter()
        try:
            pages = write(path)
        except ImportError:
            print(f"{'':>19}{name:>8}  not installed")
            continue
        seconds = time.perf_counter() - start
        print(
            f"{'':>19}{name:>8} {seconds:>8.2f} {pages:>6} {path.stat().st_size / 1024:>6,.0f} KB"
        )


def main() -> None:
    headless_app()
    with tempfile.TemporaryDirectory(prefix="wk-bench-report-") as folder:
        incidents(Path(folder))
        if "--compare" in sys.argv:
            compare(Path(folder))


if __name__ == "__main__":
    main()
