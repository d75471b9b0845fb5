"""Incident and monthly summaries as a reader gets them: PDF pages read back as text and images."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from tests.incident_samples import FILES, HOSTS, sample_incident, sha

import watchkeeper.ui  # noqa: F401  (PySide6 6.12 on Python 3.11 loses references: ui.singletons)
from watchkeeper.incidents.report import write_incident_pdf, write_period_pdf
from watchkeeper.incidents.report_model import (
    Action,
    BarChart,
    DetectionSummary,
    EvidenceFile,
    HostState,
    KeyEvent,
    Notification,
    Paragraph,
    PeriodReport,
    Section,
    Table,
    TimelineEntry,
)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
    reason="pdftotext and pdftoppm (poppler-utils) are not installed",
)


def text_of(pdf: Path, *options: str) -> str:
    return subprocess.run(
        ["pdftotext", *options, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def body_text(pdf: Path) -> str:
    """The text inside each A4 page's body, page after page: what a reader sees there.

    pdftotext also reads letters that are drawn but clipped away at a page's edge; cropping to
    the body between the header and the footer leaves them out.
    """
    pages = int(info(pdf)["Pages"])
    return "".join(
        text_of(
            pdf,
            "-f",
            str(n),
            "-l",
            str(n),
            "-r",
            "72",
            "-x",
            "0",
            "-y",
            "63",
            "-W",
            "595",
            "-H",
            "722",
        )
        for n in range(1, pages + 1)
    )


def info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in out.stdout.splitlines())
    )


def images(pdf: Path, folder: Path, *pages: int) -> list[QImage]:
    found = []
    for page in pages:
        prefix = folder / f"page{page}"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "50", "-f", str(page), "-l", str(page), str(pdf), prefix],
            check=True,
        )
        found += [QImage(str(p)) for p in sorted(folder.glob(f"page{page}-*.png"))]
    return found


def test_an_incident_summary_names_what_happened_on_every_page(
    qapp: QApplication, tmp_path: Path
) -> None:
    pdf = tmp_path / "incident-7.pdf"
    pages = write_incident_pdf(sample_incident(50), pdf)

    text = text_of(pdf)
    assert "Phishing e-mail led to PowerShell" in text
    assert "On 18 November 2026 between 12:25 and 12:34 UTC, Watchkeeper recorded 50 events" in (
        " ".join(text.split())
    )
    for name in (*HOSTS, "Иван Петров", "zoë.admin", "Ōkami Bakery Ltd"):
        assert name in text
    assert "Suspicious Encoded PowerShell Command Line" in text
    assert "T1059.001" in text and "Florian Roth" in text
    for name in FILES:
        assert sha(name) in text  # whole, on one line, so it can be compared
    for page in range(1, pages + 1):
        on_page = text_of(pdf, "-f", str(page), "-l", str(page))
        assert f"Page {page} of {pages}" in on_page
        assert "Ōkami Bakery Ltd · Incident 7" in on_page  # the header
    meta = info(pdf)
    assert meta["Title"] == "Incident 7: Phishing e-mail led to PowerShell on the reception PC"
    assert meta["Author"] == "Ōkami Bakery Ltd"
    assert meta["Pages"] == str(pages)
    assert meta["Subject"] == "Incident summary"
    assert (
        "Incident summary"
        in subprocess.run(
            ["pdfinfo", "-meta", str(pdf)], capture_output=True, text=True, check=True
        ).stdout
    )
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    rows = fonts.stdout.splitlines()[2:]
    assert rows and all(re.search(r"\byes\b", row.split("Identity-H")[-1]) for row in rows)


def test_the_chart_and_the_pages_are_drawn(qapp: QApplication, tmp_path: Path) -> None:
    pdf = tmp_path / "incident.pdf"
    write_incident_pdf(sample_incident(50), pdf)
    cover, summary = images(pdf, tmp_path, 1, 2)
    assert abs(cover.height() / cover.width() - 297 / 210) < 0.01  # A4, portrait
    red = sum(
        1
        for x in range(0, summary.width(), 2)
        for y in range(0, summary.height(), 2)
        if summary.pixelColor(x, y).red() > 150 and summary.pixelColor(x, y).green() < 100
    )
    assert red > 20  # the detections' marks on the chart


def test_letter_pages_when_asked(qapp: QApplication, tmp_path: Path) -> None:
    pdf = tmp_path / "letter.pdf"
    write_incident_pdf(sample_incident(5), pdf, page_size="Letter")
    assert "612 x 792 pts (letter)" in info(pdf)["Page size"]


def test_an_incident_with_no_events_still_reads(qapp: QApplication, tmp_path: Path) -> None:
    bare = sample_incident(0, detections=(), key_events=(), actions=(), notifications=(), hosts=())
    pdf = tmp_path / "bare.pdf"
    pages = write_incident_pdf(bare, pdf)
    text = " ".join(text_of(pdf).split())
    assert "No events are linked to this incident yet." in text
    assert "No event is linked." in text
    assert "No action is recorded yet." in text
    assert f"Page 1 of {pages}" in text
    assert pages <= 5


def test_2000_events_are_listed_one_by_one(qapp: QApplication, tmp_path: Path) -> None:
    pdf = tmp_path / "2000.pdf"
    write_incident_pdf(sample_incident(2000), pdf)
    text = text_of(pdf)
    assert "2026-11-18 12:25:00" in text and "2999" in text  # the first and last records
    assert "counted per source file" not in text
    # the heading of the events table is repeated on each page it runs over
    assert text.count("Record") > 20


def test_20000_events_are_counted_per_file_and_it_says_so(
    qapp: QApplication, tmp_path: Path
) -> None:
    pdf = tmp_path / "20000.pdf"
    pages = write_incident_pdf(sample_incident(20_000), pdf)
    text = " ".join(text_of(pdf).split())
    assert "20,000 events are linked, more than the 2,000 listed one by one" in text
    assert "6,667" in text  # the events of one file
    assert pages < 15


HOSTILE = (
    "<b>bold</b><script>alert(1)</script>",
    "'; DROP TABLE incidents; --",
    "a\x1b[31mred\x07bell",
    "evil\u202eexe.txt",
    "zero\u200bwidth",
)


def test_hostile_text_in_every_field_prints_as_literal_text(
    qapp: QApplication, tmp_path: Path
) -> None:
    bad = " | ".join(HOSTILE)
    long_value = "".join(chr(ord("a") + n % 26) for n in range(10_000))
    report = sample_incident(
        3,
        organisation=f"Org {HOSTILE[0]}",
        title=f"Title {HOSTILE[3]}",
        status=HOSTILE[1],
        owner=HOSTILE[2],
        summary=bad,
        impact=bad,
        lessons=bad,
        users=HOSTILE,
        hosts=tuple(HostState(name, bad) for name in HOSTILE),
        timeline=(TimelineEntry(datetime(2026, 11, 18, 12, 30, tzinfo=UTC), bad, bad),),
        detections=(DetectionSummary(bad, bad, bad, HOSTILE, bad, None, None, 1, bad),),
        key_events=(
            KeyEvent(
                datetime(2026, 11, 18, 12, 30, tzinfo=UTC),
                bad,
                bad,
                bad,
                (("CommandLine", long_value), (bad, bad), ("Empty", "")),
            ),
        ),
        actions=(Action(bad, bad, None),),
        notifications=(Notification(bad, None, bad),),
        evidence_files=(EvidenceFile(bad, sha("x"), 3),),
    )
    pdf = tmp_path / "hostile.pdf"
    write_incident_pdf(report, pdf)
    text = text_of(pdf)
    # the value runs over pages, under the table's heading repeated on each
    flat = "".join(body_text(pdf).split()).replace("WhenHostSourceFields", "")
    assert "<b>bold</b><script>alert(1)</script>" in text
    assert "'; DROP TABLE incidents; --" in text
    assert "a\\x1b[31mred\\x07bell" in text  # the controls, shown as escapes
    assert "evil\\u202eexe.txt" in text  # the override does not turn the name around
    assert "zero\\u200bwidth" in text
    assert long_value in flat  # every letter of the long value is printed
    # wrapped inside the page: no line of text is longer than the page is wide
    assert max(len(line) for line in text_of(pdf, "-layout").splitlines()) < 160
    assert "\x1b" not in text and "\u202e" not in text and "\u200b" not in text
    assert info(pdf)["Title"] == "Incident 7: Title evil\\u202eexe.txt"
    assert info(pdf)["Author"] == "Org <b>bold</b><script>alert(1)</script>"


def test_accents_and_cyrillic_print_and_chinese_where_a_font_has_it(
    qapp: QApplication, tmp_path: Path
) -> None:
    names = ("Zoë Ångström", "Иван Петров", "王小明")
    pdf = tmp_path / "names.pdf"
    write_incident_pdf(sample_incident(3, users=names), pdf)
    text = text_of(pdf)
    assert "Zoë Ångström" in text and "Иван Петров" in text
    chinese = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    if chinese.strip():
        assert "王小明" in text


def test_export_needs_no_display(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tests.incident_samples import sample_incident\n"
        "from watchkeeper.incidents.pdf import headless_app\n"
        "from watchkeeper.incidents.report import write_incident_pdf\n"
        "headless_app()\n"
        "print(write_incident_pdf(sample_incident(20), Path(sys.argv[1])))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "QT_QPA_PLATFORM"}}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "app"), str(ROOT)])
    pdf = tmp_path / "headless.pdf"
    result = subprocess.run(
        [sys.executable, "-c", code, str(pdf)], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 3
    assert "Page 1 of" in text_of(pdf)


def test_a_monthly_summary_prints_its_sections(qapp: QApplication, tmp_path: Path) -> None:
    report = PeriodReport(
        organisation="Ōkami Bakery Ltd",
        title="Monthly security summary, November 2026",
        start=datetime(2026, 11, 1, tzinfo=UTC),
        end=datetime(2026, 12, 1, tzinfo=UTC),
        summary=("12,345 events were collected from 4 sources; one went silent for 2 days.",),
        sections=(
            Section(
                "What was collected",
                (
                    Table(
                        ("Source", "Events", "Silent periods"),
                        (("evtx", "10,000", ""), ("syslog <fw>", "2,345", "3-4 Nov")),
                        numeric=(1,),
                    ),
                    BarChart("Events per source", (("evtx", 10_000), ("syslog", 2_345))),
                ),
            ),
            Section("Incidents", (Paragraph("2 opened, 1 closed."), Table(("Incident",), ()))),
        ),
    )
    pdf = tmp_path / "month.pdf"
    pages = write_period_pdf(report, pdf)
    text = " ".join(text_of(pdf).split())
    assert "Monthly security summary, November 2026" in text
    assert "syslog <fw>" in text and "3-4 Nov" in text and "2 opened, 1 closed." in text
    assert "None." in text  # the empty table says so
    assert f"Page {pages} of {pages}" in text
    assert info(pdf)["Title"] == "Monthly security summary, November 2026"


def test_a_month_of_figures_prints_with_its_charts(qapp: QApplication, tmp_path: Path) -> None:
    from datetime import date

    from watchkeeper.incidents.report_month import (
        DetectionFigures,
        DeviceLine,
        MonthlyFigures,
        SourceFigures,
        monthly_report,
    )

    figures = MonthlyFigures(
        organisation="Ōkami Bakery Ltd",
        month=date(2026, 11, 1),
        sources=(SourceFigures("evtx", 10_000), SourceFigures("syslog", 2_345, ("3-4 Nov",))),
        detections=(DetectionFigures("high", "new", 3), DetectionFigures("low", "benign", 9)),
        devices=(DeviceLine("PC-RECEPTION", "disk not encrypted", "encryption off", False),),
        stored_bytes=5 * 1024**2,
        retention_days=395,
    )
    pdf = tmp_path / "month.pdf"
    pages = write_period_pdf(monthly_report(figures), pdf, page_size="Letter")
    text = " ".join(text_of(pdf).split())
    assert "In November 2026, Watchkeeper collected 12,345 events from 2 sources." in text
    assert "PC-RECEPTION disk not encrypted encryption off" in text
    assert "No incident was open between 1 Nov 2026 00:00:00 UTC" in text
    assert f"Page 1 of {pages}" in text
    summary = images(pdf, tmp_path, 2)[0]
    blue = sum(
        1
        for x in range(0, summary.width(), 2)
        for y in range(0, summary.height(), 2)
        if summary.pixelColor(x, y).blue() > 140 and summary.pixelColor(x, y).red() < 110
    )
    assert blue > 50  # the bars of events per source


def test_fonts_in_a_folder_are_registered_once(qapp: QApplication, tmp_path: Path) -> None:
    from watchkeeper.incidents.pdf import register_fonts

    folder = tmp_path / "fonts"
    folder.mkdir()
    system = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
    if not system.is_file():
        pytest.skip("DejaVu Sans Mono is not installed")
    shutil.copy(system, folder / "mono.ttf")
    (folder / "notes.txt").write_text("not a font")
    assert register_fonts(folder) == ["DejaVu Sans Mono"]
    assert register_fonts(folder) == ["DejaVu Sans Mono"]
    assert register_fonts(tmp_path / "absent") == []


def test_hostile_text_in_a_monthly_summary_prints_as_literal_text(
    qapp: QApplication, tmp_path: Path
) -> None:
    bad = " | ".join(HOSTILE)
    report = PeriodReport(
        organisation=bad,
        title=f"Month {HOSTILE[3]}",
        start=datetime(2026, 11, 1, tzinfo=UTC),
        end=datetime(2026, 11, 30, tzinfo=UTC),
        summary=(bad,),
        sections=(
            Section(bad, (Paragraph(bad), Table((bad,), ((bad,),)), BarChart(bad, ((bad, 3),)))),
        ),
    )
    pdf = tmp_path / "hostile-month.pdf"
    write_period_pdf(report, pdf)
    text = text_of(pdf)
    assert text.count("<b>bold</b><script>alert(1)</script>") >= 4
    assert "a\\x1b[31mred\\x07bell" in text and "evil\\u202eexe.txt" in text
    assert "\x1b" not in text and "\u202e" not in text


def test_the_charts_host_labels_drop_the_domain_where_names_stay_apart() -> None:
    from watchkeeper.incidents.chart import short_names

    assert short_names(["PC-ACCT-01.contoso.local", "DC01.contoso.local", "10.0.0.7"]) == {
        "PC-ACCT-01.contoso.local": "PC-ACCT-01",
        "DC01.contoso.local": "DC01",
        "10.0.0.7": "10.0.0.7",
    }
    # two domains with one machine name each: the full names, or the reader cannot tell
    both = ["web01.shop.example", "web01.office.example"]
    assert short_names(both) == {name: name for name in both}
