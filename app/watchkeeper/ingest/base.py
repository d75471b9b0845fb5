"""What every parser is given and gives back, and the shared line reader."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO, Protocol

from watchkeeper.core.event import Parsed, Rejected
from watchkeeper.core.timeparse import YearInference

MAX_LINE = 1 << 20  # a longer line is quarantined whole, not parsed
HEAD_SIZE = 64 * 1024  # bytes a parser's sniff() is shown


@dataclass
class Source:
    """A file (or an archive member) to parse."""

    name: str
    opener: Callable[[], BinaryIO]
    size: int
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    path: str | None = None  # a real file on disk, for parsers that need one (EVTX)

    def open(self) -> BinaryIO:
        return self.opener()

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Source:
        return cls(name=name, opener=lambda: io.BytesIO(data), size=len(data))


@dataclass
class ParseContext:
    """What a parser may need besides the bytes: the clock for inferring years, notes."""

    years: YearInference
    notes: list[str] = field(default_factory=list)  # file-level remarks for the summary

    @classmethod
    def for_source(cls, source: Source) -> ParseContext:
        return cls(years=YearInference(source.modified))


class Parser(Protocol):
    format: str  # short id stored with each event as its source type, e.g. "syslog"
    label: str  # what the user is shown, e.g. "Syslog (RFC 3164 / 5424)"

    def sniff(self, head: bytes) -> int:
        """How sure (0-100) that a file starting with `head` is this format."""
        ...

    def parse(self, source: Source, context: ParseContext) -> Iterator[Parsed]:
        """Every record of the file: events, and Rejected for what cannot be read."""
        ...


def decode(data: bytes) -> tuple[str, str]:
    """Text of one record, and the encoding used: UTF-8, else Windows-1252, else Latin-1.

    Latin-1 maps every byte, so nothing is lost; the encoding is recorded with the event.
    """
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def iter_lines(stream: BinaryIO, max_line: int = MAX_LINE) -> Iterator[tuple[int, bytes | Rejected]]:
    """(line number, line without its end) for each line that is not blank; an over-long line
    comes as Rejected.

    Memory stays bounded: a line longer than `max_line` is read in pieces, and only its
    first `max_line` bytes are kept, with the reason saying how long it was.
    """
    number = 0
    while True:
        line = stream.readline(max_line + 1)
        if not line:
            return
        number += 1
        if len(line) > max_line and not line.endswith(b"\n"):
            head = line
            length = len(line)
            while True:
                more = stream.readline(1 << 20)
                length += len(more)
                if not more or more.endswith(b"\n"):
                    break
            yield number, Rejected(
                number, head,
                f"line {number} is {length:,} bytes, over the {max_line:,}-byte limit "
                f"(first {len(head):,} bytes kept)")
            continue
        line = line.rstrip(b"\r\n")
        if line.strip():
            yield number, line


def is_binary(head: bytes) -> bool:
    """True for content that is not text: NUL bytes, or mostly control bytes."""
    if not head:
        return False
    if b"\x00" in head[:8192]:
        return True
    sample = head[:8192]
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control / len(sample) > 0.1
