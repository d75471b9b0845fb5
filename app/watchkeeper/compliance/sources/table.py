"""Spreadsheet exports as text: the encoding, the delimiter, the header row and the rows.

Exports come as UTF-8 (with or without a byte-order mark), as UTF-16 (Excel's "Unicode
text", tab-separated), as Windows-1252, and separated by commas, semicolons (German and
French Excel) or tabs, sometimes with Excel's "sep=;" first line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from watchkeeper.compliance.model import ImportProblem, InventoryError
from watchkeeper.core.text import decode as decode_text
from watchkeeper.core.text import detect_dialect, text_encoding

_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_SNIFF_LINES = 20
# what the text layer calls the encodings, as the import summary names them
_ENCODING_NAMES = {"utf-8": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1"}
_EXCEL_SEPARATOR = re.compile(r"sep=(.)[ \t]*(?:\r\n|\r|\n)")
_POWERSHELL_TYPE = re.compile(r"#TYPE [^\r\n]*(?:\r\n|\r|\n)")  # Export-Csv's first line
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


@dataclass
class Table:
    """A header row and the rows under it, numbered as a spreadsheet shows them."""

    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number, cells); the header is row 1
    how: str  # "UTF-16, tab-separated"
    problems: list[ImportProblem] = field(default_factory=list)


def decode(data: bytes, label: str) -> tuple[str, str]:
    """The text of an export and its encoding's name; InventoryError when it is not text."""
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise InventoryError(f"{label}: the file is empty")
    utf16, mark = text_encoding(data)
    if utf16 is not None:
        text, encoding = data.decode(utf16, errors="replace"), "UTF-16"
    else:
        text, encoding = decode_text(data[mark:])
        encoding = "UTF-8 with BOM" if mark and encoding == "utf-8" else _ENCODING_NAMES[encoding]
    sample = text[:4096]
    if len(_BINARY.findall(sample)) > max(8, len(sample) // 50):
        raise InventoryError(f"{label}: not a text export (it looks like binary data)")
    return text, encoding


def read_table(text: str, encoding: str, label: str) -> Table:
    """The header and rows of a delimited export; InventoryError when it has no header."""
    # Only CR and LF end a row: csv splits the text itself, so a cell may hold any other
    # character (str.splitlines would also split at \x85, \u2028 and friends).
    body = text.lstrip("\r\n")
    powershell = _POWERSHELL_TYPE.match(body)
    if powershell is not None:
        body = body[powershell.end() :]
    excel = _EXCEL_SEPARATOR.match(body)
    if excel is not None:
        body = body[excel.end() :].lstrip("\r\n")
    if not body.strip():
        raise InventoryError(f"{label}: the file has no header row")
    delimiter = excel.group(1) if excel else _delimiter(body)
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter, strict=False)
    try:
        records = [[cell.strip() for cell in record] for record in reader]
    except csv.Error as error:
        raise InventoryError(f"{label}: not readable as a table ({error})") from error
    header = [cell.lstrip("\ufeff").strip() for cell in records[0]]
    named = _DELIMITERS.get(delimiter, repr(delimiter))
    table = Table(header, [], f"{encoding}, {named}-separated")
    width = len(header)
    for number, cells in enumerate(records[1:], 2):
        if not any(cells):
            continue
        if len(cells) > width and any(cells[width:]):
            table.problems.append(
                ImportProblem(
                    "Row read in part",
                    f"{label}: row {number} has {len(cells)} values for {width} columns; "
                    "the values past the last column were left out",
                )
            )
        table.rows.append((number, (cells + [""] * width)[:width]))
    return table


def _delimiter(body: str) -> str:
    """The delimiter of the header row and the rows under it; a comma when none fits."""
    lines = [line for line in re.split(r"\r\n|\r|\n", body[: 64 * 1024]) if line.strip()]
    dialect = detect_dialect(lines[:_SNIFF_LINES], "".join(_DELIMITERS))
    return dialect.delimiter if dialect is not None else ","
