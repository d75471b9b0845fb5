"""One top-level JSON array read a piece at a time: its elements in order, however large."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from watchkeeper.core.event import Rejected
from watchkeeper.ingest.base import CHUNK, MAX_LINE

# An element of the array: (its position in the array from 1, its text, its value)
JsonElement = tuple[int, str, Any]


def array_elements(stream: BinaryIO) -> Iterator[JsonElement | Rejected]:
    """Each element of the JSON array a UTF-8 stream holds, of any JSON kind.

    An element that is not valid JSON leaves no safe place to resume, so the rest of the
    file becomes one Rejected record; so does text after the array's end.
    """
    reader = _ArrayReader(stream)
    reader.skip_space()
    reader.pos += 1  # the '['
    number = 0
    while True:
        reader.skip_space()
        if reader.at_end():
            return  # the end of the file; an array left open loses nothing
        if reader.next_char() == "]":
            rest = reader.after_array(number + 1)
            if rest is not None:
                yield rest
            return
        if number and reader.next_char() == ",":
            reader.pos += 1
            reader.skip_space()
        number += 1
        element = reader.element(number)
        yield element
        if isinstance(element, Rejected):
            return


class _ArrayReader:
    """The array's text as decoded so far, and the reading position in it."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.buffer = ""
        self.offset = 0  # characters consumed before `buffer`
        self.pos = 0
        self.eof = False
        self._decoder = json.JSONDecoder()
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def more(self) -> bool:
        """Read the next piece onto what is not yet read; False at the end of the file."""
        if self.eof:
            return False
        chunk = self.stream.read(CHUNK)
        if not chunk:
            self.eof = True
            self.buffer = self.buffer[self.pos :] + self._utf8.decode(b"", final=True)
        else:
            self.buffer = self.buffer[self.pos :] + self._utf8.decode(chunk)
        self.offset += self.pos
        self.pos = 0
        return True

    def skip_space(self) -> None:
        """Move past white space, reading on as far as it goes."""
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buffer) or not self.more():
                return

    def at_end(self) -> bool:
        return self.pos >= len(self.buffer)

    def next_char(self) -> str:
        return self.buffer[self.pos : self.pos + 1]

    def element(self, number: int) -> JsonElement | Rejected:
        """The JSON value that starts here, read on until it is whole; or the rest Rejected
        when it is not valid JSON (or longer than a line may be)."""
        while True:
            try:
                value, end = self._decoder.raw_decode(self.buffer, self.pos)
            except RecursionError:
                return self.rest_rejected(number, f"element {number}: nested too deep to read")
            except json.JSONDecodeError as error:
                if len(self.buffer) - self.pos > MAX_LINE or not self.more():
                    reason = f"element {number}: not valid JSON: {error.msg}"
                    return self.rest_rejected(number, reason)
                continue
            text = self.buffer[self.pos : end]
            self.pos = end
            return number, text, value

    def after_array(self, number: int) -> Rejected | None:
        """Past the closing ']': nothing but white space, else the rest Rejected."""
        self.pos += 1
        self.skip_space()
        if self.at_end():
            return None
        return self.rest_rejected(number, "text after the end of the JSON array")

    def rest_rejected(self, number: int, reason: str) -> Rejected:
        """The rest of the file as one Rejected record: its first MAX_LINE bytes and why."""
        text = self.buffer[self.pos :]
        kept = text.encode()[:MAX_LINE]
        length = len(text.encode())
        while len(kept) < MAX_LINE:
            chunk = self.stream.read(CHUNK)
            if not chunk:
                break
            kept += chunk[: MAX_LINE - len(kept)]
            length += len(chunk)
        for chunk in iter(lambda: self.stream.read(CHUNK), b""):
            length += len(chunk)
        return Rejected(
            number,
            kept,
            f"{reason} (at character {self.offset + self.pos:,}; the remaining "
            f"{length:,} bytes were not read as events)",
        )
