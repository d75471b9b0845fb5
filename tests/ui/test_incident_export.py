"""`watchkeeper incidents export ID --pdf FILE`: an incident from a real detection, read back
from the PDF with pdftotext and drawn into PNG pages with pdftoppm."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.unit.test_cli_incidents import _detection, _store, cli, ok

# the app's QApplication, as in the window: the export would otherwise start a bare one
pytestmark = [
    pytest.mark.usefixtures("qapp"),
    pytest.mark.skipif(
        not shutil.which("pdftotext") or not shutil.which("pdftoppm"),
        reason="poppler-utils is not installed (installer/bootstrap.sh test installs it)",
    ),
]


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _page_size(pdf: Path) -> str:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return next(line for line in info.stdout.splitlines() if line.startswith("Page size"))


def test_an_incident_from_a_detection_prints_what_a_reader_needs(tmp_path: Path) -> None:
    db, log = _store(tmp_path)
    detection = _detection(db, "web01")
    ok("incidents", "new", "--from-detection", str(detection["id"]), "--db", db)
    ok("incidents", "set", "INC-1", "--owner", "Ana Müller", "--db", db)
    ok("incidents", "action", "INC-1", "Blocked 203.0.113.7 at the firewall", "--db", db)
    ok("incidents", "notify", "INC-1", "--to", "Insurer", "--db", db)
    pdf = tmp_path / "INC-1.pdf"
    out = ok("incidents", "export", "INC-1", "--pdf", str(pdf), "--db", db)
    assert out.startswith(f"INC-1 written to {pdf} (")
    text = _text(pdf)
    for expected in (
        "SSH failed password",  # the rule
        "Jane Doe, Example Org",  # its author, as the rules' licence asks
        "web01",
        "Ana Müller",
        "Blocked 203.0.113.7 at the firewall",
        "Insurer",
        "Page 1 of",
        hashlib.sha256(log.read_bytes()).hexdigest(),  # the evidence's hash
    ):
        assert expected in text.replace("\n", " ") or expected in text, expected
    assert "A4" in _page_size(pdf)
    letter = tmp_path / "letter.pdf"
    ok("incidents", "export", "INC-1", "--pdf", str(letter), "--page-size", "Letter", "--db", db)
    assert "612 x 792" in _page_size(letter)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3 and all(page.stat().st_size > 2000 for page in pages)


def test_ten_incidents_exported_at_once_and_hostile_titles_print_as_text(tmp_path: Path) -> None:
    db, _ = _store(tmp_path)
    hostile = "<script>alert(1)</script> & x'); DROP TABLE incidents; --"
    for n in range(10):
        ok("incidents", "new", "--title", f"{hostile} {n}", "--db", db)
    for n in range(1, 11):
        pdf = tmp_path / f"INC-{n}.pdf"
        ok("incidents", "export", f"INC-{n}", "--pdf", str(pdf), "--db", db)
        assert f"{hostile} {n - 1}" in _text(pdf)


def test_export_errors_are_one_line(tmp_path: Path) -> None:
    db, _ = _store(tmp_path)
    code, _out, err = cli(
        "incidents", "export", "INC-9", "--pdf", str(tmp_path / "x.pdf"), "--db", db
    )
    assert code == 1 and len(err.strip().splitlines()) == 1 and "INC-9" in err
    code, _out, err = cli("incidents", "export", "INC-1", "--db", db)
    assert code == 2 and "--pdf" in err
