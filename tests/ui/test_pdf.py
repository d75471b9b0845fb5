"""The PDF writer: real pages, checked by turning them into PNG images."""

from __future__ import annotations

import html
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from watchkeeper.incidents.pdf import PdfFailed, write_pdf

HOSTILE = "<script>alert(1)</script>'; DROP TABLE events; --\x1b[31m"


def pages_as_png(pdf: Path, folder: Path) -> list[QImage]:
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(folder / "page")], check=True)
    return [QImage(str(p)) for p in sorted(folder.glob("page*.png"))]


def test_a_long_report_flows_onto_several_a4_pages(qapp: QApplication, tmp_path: Path) -> None:
    rows = "".join(f"<tr><td>{n}</td><td>{html.escape(HOSTILE)}</td></tr>" for n in range(300))
    pdf = tmp_path / "report.pdf"
    pages = write_pdf(f"<h1>Incident</h1><table>{rows}</table>", pdf, title="Incident 1")
    assert pages > 1
    assert pdf.read_bytes().startswith(b"%PDF-")
    images = pages_as_png(pdf, tmp_path)
    assert len(images) == pages
    first = images[0]
    assert abs(first.height() / first.width() - 297 / 210) < 0.01  # A4, portrait
    # ink on the page: text was drawn, not an empty page
    dark = sum(
        1
        for x in range(0, first.width(), 3)
        for y in range(0, first.height(), 3)
        if first.pixelColor(x, y).lightness() < 128
    )
    assert dark > 200
    # the hostile text is printed as the letters it is, not taken as markup
    text = subprocess.run(
        ["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "<script>alert(1)</script>'; DROP TABLE events; --" in text


def test_a_folder_that_cannot_be_written_is_a_clear_error(
    qapp: QApplication, tmp_path: Path
) -> None:
    target = tmp_path / "taken"
    target.mkdir()  # a folder where the file should go
    with pytest.raises(PdfFailed) as raised:
        write_pdf("<p>x</p>", target, title="x")
    assert raised.value.title == "PDF not written"
    assert "taken" in raised.value.message
