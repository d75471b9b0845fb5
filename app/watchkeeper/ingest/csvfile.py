"""CSV, TSV and semicolon-separated exports with a header row: every column a field."""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from itertools import chain, islice
from typing import Any, BinaryIO

from watchkeeper.core.event import Event, Parsed, Rejected
from watchkeeper.core.text import Dialect, decode, detect_dialect
from watchkeeper.ingest.base import (
    HEAD_SIZE,
    MAX_LINE,
    ParseContext,
    Source,
    complete_lines,
    head_text,
    utf8_stream,
)
from watchkeeper.ingest.mapping import FieldMapper
from watchkeeper.ingest.times import TimeOutOfRange, date_order_evidence

_SNIFF_LINES = 20
_LOOKAHEAD = 1000  # rows read before the first event, to settle day/month order
_DATA_LIKE = re.compile(r"[\d.:/\- ]+")
# A time of day, a date or an address in a "name" means the first line is data, not a header.
_VALUE_INSIDE = re.compile(r"\d:\d\d|\d{4}-\d\d-\d\d|\d{1,3}(?:\.\d{1,3}){3}")
# Event Viewer's "Save as CSV" writes five column names and six values: the sixth is the
# event's description.
_EVENT_VIEWER_HEADER = ("Level", "Date and Time", "Source", "Event ID", "Task Category")
_NAMES_ONLY = FieldMapper(UTC)  # sniffing asks only which header names are times


@dataclass(slots=True)
class _Row:
    number: int  # row number as a spreadsheet shows it: the header is row 1
    raw: bytes
    text: str
    values: list[str] | None
    problem: str | None
    encoding: str


def _looks_like_header(cells: list[str]) -> bool:
    named = [cell.strip() for cell in cells if cell.strip()]
    if len(named) < max(2, len(cells) - 1):
        return False
    return all(
        len(cell) <= 128 and not _DATA_LIKE.fullmatch(cell) and not _VALUE_INSIDE.search(cell)
        for cell in named
    )


def column_names(cells: list[str]) -> list[str]:
    """Header cells as field names: trimmed, empty ones numbered, repeats made unique."""
    names: list[str] = []
    seen: Counter[str] = Counter()
    for index, cell in enumerate(cells, 1):
        name = cell.strip().lstrip("\ufeff") or f"column_{index}"
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return names


class CsvParser:
    format = "csv"
    label = "CSV / TSV with a header row"

    def sniff(self, head: bytes) -> int:
        text = head_text(head)
        if text is None:
            return 0
        lines = complete_lines(text, _SNIFF_LINES, len(head) < HEAD_SIZE)
        if len(lines) < 2 or lines[0].lstrip()[:1] in ("{", "[", "<"):
            return 0
        dialect = detect_dialect(lines)
        if dialect is None:
            return 0
        if dialect.skip_first_line:
            lines = lines[1:]
        header = next(csv.reader(lines[:1], delimiter=dialect.delimiter), [])
        if not _looks_like_header(header):
            return 0
        return 50 if _NAMES_ONLY.time_fields(column_names(header)) else 30

    def parse(self, source: Source, context: ParseContext) -> Iterator[Parsed]:
        with source.open() as probe:
            head = probe.read(HEAD_SIZE)
        text = head_text(head) or ""
        dialect = detect_dialect(complete_lines(text, _SNIFF_LINES, len(head) < HEAD_SIZE))
        dialect = dialect or Dialect(",")
        with source.open() as opened:
            stream, file_encoding = utf8_stream(opened)
            rows = _RowReader(stream, dialect, file_encoding).rows()
            yield from self._records(rows, source.name, context)

    def _records(self, rows: Iterator[_Row], name: str, context: ParseContext) -> Iterator[Parsed]:
        header: list[str] | None = None
        for row in rows:
            if row.values is None:
                yield Rejected(row.number, row.raw, f"row {row.number}: {row.problem}")
            elif row.values:
                header = column_names(row.values)
                break
        if header is None:
            return
        mapper = FieldMapper(context.years.zone)
        ahead = list(islice(rows, _LOOKAHEAD))
        mapper.day_first = self._day_first(header, ahead, mapper, name, context)
        header = self._unnamed_last_column(header, ahead, context, name)
        width = len(header)
        for row in chain(ahead, rows):
            if row.values is None:
                yield Rejected(row.number, row.raw, f"row {row.number}: {row.problem}")
                continue
            values = row.values
            if not values or (len(values) == 1 and not values[0].strip()):
                continue  # a blank line
            if len(values) != width and not (len(values) > width and not any(values[width:])):
                count = f"{len(values)} value" + ("" if len(values) == 1 else "s")
                yield Rejected(
                    row.number, row.raw, f"row {row.number} has {count} for {width} columns"
                )
                continue
            fields: dict[str, Any] = dict(zip(header, values, strict=False))
            try:
                common = mapper.common(fields, "csv")
            except TimeOutOfRange as error:
                yield Rejected(row.number, row.raw, f"row {row.number}: {error}")
                continue
            if row.encoding != "utf-8":
                fields["encoding"] = row.encoding
            yield Event(row.number, row.text, common, fields)

    @staticmethod
    def _day_first(
        header: list[str], ahead: list[_Row], mapper: FieldMapper, name: str, context: ParseContext
    ) -> bool:
        """Day first (23/11/2026) unless the file's own dates show month first (11/23/2026).

        Day first is the default because it is the order in the UK and most of the world;
        one date whose second number is over 12, and none whose first is, settles it.
        """
        columns = [header.index(field) for field in mapper.time_fields(header)]
        if not columns:
            return True
        column = columns[0]
        day_first_seen = month_first_seen = ambiguous = False
        for row in ahead:
            if row.values is None or len(row.values) <= column:
                continue
            evidence = date_order_evidence(row.values[column])
            if evidence is None:
                continue
            first, second = evidence
            day_first_seen |= first > 12
            month_first_seen |= second > 12
            ambiguous |= first <= 12 and second <= 12 and first != second
        if month_first_seen and not day_first_seen:
            context.notes.append(
                f"{name}: dates in column {header[column]!r} read as month/day/year (US order)"
            )
            return False
        if ambiguous and not day_first_seen:
            context.notes.append(
                f"{name}: dates in column {header[column]!r} such as "
                "05/06/2026 were read as day/month/year; nothing in the file "
                "showed the order"
            )
        return True

    @staticmethod
    def _unnamed_last_column(
        header: list[str], ahead: list[_Row], context: ParseContext, name: str
    ) -> list[str]:
        """A header one name short of every row (Event Viewer's CSV) gets the missing name."""
        widths = [len(row.values) for row in ahead if row.values]
        if not widths or sum(1 for width in widths if width == len(header) + 1) < 0.9 * len(widths):
            return header
        extra = (
            "Description" if tuple(header) == _EVENT_VIEWER_HEADER else f"column_{len(header) + 1}"
        )
        context.notes.append(
            f"{name}: the last column has no name in the header; it is kept as {extra!r}"
        )
        return [*header, extra]


class _RowReader:
    """Rows of a CSV stream with their row numbers and their own bytes.

    csv.reader pulls one physical line at a time and never reads ahead, so the lines
    pulled while it builds a row are exactly that row's text, even with quoted newlines.
    """

    def __init__(self, stream: BinaryIO, dialect: Dialect, file_encoding: str) -> None:
        self._stream = stream
        self._dialect = dialect
        self._file_encoding = file_encoding
        self._raw: list[bytes] = []
        self._texts: list[str] = []
        self._encoding = "utf-8"
        self._overlong: int | None = None

    def _lines(self) -> Iterator[str]:
        stream = self._stream
        while True:
            line = stream.readline(MAX_LINE + 1)
            if not line:
                return
            if len(line) > MAX_LINE and not line.endswith(b"\n"):
                length = len(line)
                while (more := stream.readline(MAX_LINE)) and not more.endswith(b"\n"):
                    length += len(more)
                length += len(more)
                self._overlong = length
                self._raw.append(line[:MAX_LINE])
                self._texts.append("")
                yield "\n"  # ends the row here; it is rejected whole
                continue
            self._raw.append(line)
            text, encoding = decode(line)
            if encoding != "utf-8":
                self._encoding = encoding
            self._texts.append(text)
            yield text

    def rows(self) -> Iterator[_Row]:
        lines = self._lines()
        if self._dialect.skip_first_line:
            next(lines, None)
            self._raw.clear()
            self._texts.clear()
        reader = csv.reader(
            lines,
            delimiter=self._dialect.delimiter,
            skipinitialspace=self._dialect.skip_initial_space,
            strict=False,
        )
        number = 0
        while True:
            values: list[str] | None
            problem = None
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                values, problem = None, str(error)
            number += 1
            raw = b"".join(self._raw).rstrip(b"\r\n")
            text = "".join(self._texts).rstrip("\r\n")
            self._raw.clear()
            self._texts.clear()
            if self._overlong is not None:
                values, problem = (
                    None,
                    (
                        f"a line of {self._overlong:,} bytes, over the "
                        f"{MAX_LINE:,}-byte limit (first {MAX_LINE:,} kept)"
                    ),
                )
                self._overlong = None
            encoding = self._file_encoding if self._file_encoding != "utf-8" else self._encoding
            self._encoding = "utf-8"
            yield _Row(number, raw, text, values, problem, encoding)
