"""What every parser is given and gives back, and the shared readers of a file's text:
the file as UTF-8, its head for sniffing, its lines."""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO, Protocol

from watchkeeper.core.event import Parsed, Rejected
from watchkeeper.core.text import decode as decode  # every parser reads records with it
from watchkeeper.core.text import text_encoding
from watchkeeper.core.timeparse import YearInference

MAX_LINE = 1 << 20  # a longer line is quarantined whole, not parsed
HEAD_SIZE = 64 * 1024  # bytes a parser's sniff() is shown
CHUNK = 1 << 16  # bytes read at a time from a stream


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
    host: str | None = None  # the machine the user said the files came from, if they did

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


def iter_lines(
    stream: BinaryIO, max_line: int = MAX_LINE
) -> Iterator[tuple[int, bytes | Rejected]]:
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
            yield (
                number,
                Rejected(
                    number,
                    head,
                    f"line {number} is {length:,} bytes, over the {max_line:,}-byte limit "
                    f"(first {len(head):,} bytes kept)",
                ),
            )
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


class _Recoded(io.RawIOBase):
    """A byte stream as UTF-8: the bytes already read first, then the rest, re-encoded if needed."""

    def __init__(self, stream: BinaryIO, first: bytes, encoding: str | None) -> None:
        self._stream = stream
        self._decoder = (
            codecs.getincrementaldecoder(encoding)(errors="replace") if encoding else None
        )
        self._pending = self._recode(first) if first else b""
        self._eof = False

    def _recode(self, data: bytes, final: bool = False) -> bytes:
        if self._decoder is None:
            return data
        return self._decoder.decode(data, final).encode("utf-8", "surrogatepass")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not self._eof:
            chunk = self._stream.read(CHUNK)
            if not chunk:
                self._eof = True
                self._pending = self._recode(b"", final=True)
            else:
                self._pending = self._recode(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def utf8_stream(stream: BinaryIO) -> tuple[BinaryIO, str]:
    """The stream as UTF-8 bytes with any byte-order mark dropped, and the file's encoding."""
    first = stream.read(256)  # enough to tell UTF-16 by its NULs
    encoding, mark = text_encoding(first)
    raw = _Recoded(stream, first[mark:], encoding)
    return io.BufferedReader(raw, buffer_size=CHUNK), encoding or "utf-8"


def head_text(head: bytes) -> str | None:
    """A sniffer's head as text (UTF-8 or UTF-16); None when it is binary."""
    encoding, mark = text_encoding(head)
    if encoding is not None:
        return head[mark:].decode(encoding, "replace")
    if is_binary(head):
        return None
    return head[mark:].decode("utf-8", "replace")


def complete_lines(text: str, limit: int, whole: bool) -> list[str]:
    """Up to `limit` non-empty lines of a head; the last is dropped when it may be cut off."""
    lines = text.splitlines()
    if not whole and lines and not text.endswith(("\n", "\r")):
        lines.pop()
    return [line for line in lines if line.strip()][:limit]
