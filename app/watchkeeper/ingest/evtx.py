"""Windows EVTX files of any channel, read with the Rust `evtx` parser."""

from __future__ import annotations

import itertools
import json
import re
import struct
import warnings
from collections.abc import Iterator

import evtx as evtx_parser
import orjson

from watchkeeper.core.errors import ImportFailed
from watchkeeper.core.event import Parsed, Rejected, WindowsEvent
from watchkeeper.ingest.base import ParseContext, Source

FILE_MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
HEADER_SIZE = 4096
CHUNK_SIZE = 65536
RECORD_MAGIC = b"**\x00\x00"
# What the parser's warnings say it skipped: a chunk (by its records, or by its number when
# its header is unreadable) or one record.
_CHUNK_IDS = re.compile(r"chunk containing record IDs (\d+)\.\.(\d+)")
_CHUNK_NUMBER = re.compile(r"chunk number (\d+)")
_RECORD = re.compile(r"record number (\d+)")
_DETAIL = re.compile(
    r"^(?:RuntimeError: )?Failed to parse (?:chunk containing record IDs \d+\.\.\d+"
    r"|chunk number \d+|record number \d+): "
)
_MAX_CHUNK_RECORDS = (CHUNK_SIZE - 512) // 24  # a record takes at least 24 bytes
_MAX_ID = 1 << 63  # record numbers are stored as BIGINT
_CONTROL = re.compile(r"[\x00-\x1f]")


class EvtxParser:
    format = "evtx"
    label = "Windows event log (EVTX)"

    def sniff(self, head: bytes) -> int:
        return 100 if head.startswith(FILE_MAGIC) else 0

    def parse(self, source: Source, context: ParseContext) -> Iterator[Parsed]:
        with source.open() as stream:
            header = stream.read(HEADER_SIZE)
            if not header.startswith(FILE_MAGIC):
                raise ImportFailed(f"{source.name}: not an EVTX file (bad signature at byte 0)")
            chunk_count = struct.unpack_from("<H", header, 42)[0] if len(header) >= 44 else 0
            expected = HEADER_SIZE + chunk_count * CHUNK_SIZE
            if source.size < expected:
                context.notes.append(
                    f"{source.name}: file is truncated ({source.size:,} of {expected:,} bytes); "
                    "the records in its complete part were imported"
                )
            stream.seek(0)
            try:
                parser = evtx_parser.PyEvtxParser(stream, indent=False, skip_errors=True)
            except RuntimeError as error:
                raise ImportFailed(f"{source.name}: not a readable EVTX file ({error})") from error
            records = parser.records_json()
            skipped = _Skipped()
            while True:
                # The warnings filter is process-wide: hold it only while the parser runs,
                # never across a yield, and pass on what other threads warned meanwhile.
                stopped: RuntimeError | None = None
                with warnings.catch_warnings(record=True) as recorded:
                    warnings.simplefilter("always")
                    try:
                        block = list(itertools.islice(records, 2048))
                    except RuntimeError as error:
                        block, stopped = [], error
                for record in block:
                    if record is None:
                        continue
                    data, number = record["data"], record["event_record_id"]
                    if 0 <= number < _MAX_ID:
                        yield _event(number, data)
                    else:  # a damaged record header: the event is kept, not stored
                        skipped.records += 1
                        yield Rejected(
                            0,
                            data.encode("utf-8", "surrogatepass"),
                            f"record number {number} is impossible (a damaged record header)",
                        )
                yield from self._skipped_chunks(source, recorded or [], skipped)
                if stopped is not None:
                    # Not recoverable: keep what came before and say where it stopped.
                    yield Rejected(0, b"", f"{source.name}: reading stopped: {stopped}")
                if stopped is not None or not block:
                    note = skipped.note(source.name)
                    if note is not None:
                        context.notes.append(note)
                    return

    def _skipped_chunks(
        self, source: Source, caught: list[warnings.WarningMessage], skipped: _Skipped
    ) -> Iterator[Rejected]:
        """A quarantine record for each chunk or record the parser skipped, with its bytes."""
        for warning in caught:
            text = str(warning.message)
            if not text.startswith("Skipping EVTX data"):
                # another thread's warning, caught by the process-wide filter: pass it on
                warnings.warn_explicit(
                    warning.message, warning.category, warning.filename, warning.lineno
                )
                continue
            detail = _DETAIL.sub("", text.removeprefix("Skipping EVTX data: "))
            chunk = _skipped_chunk(source, text)
            record = _RECORD.search(text)
            if chunk is not None:
                index, raw, first, last = chunk
                count = last - first + 1 if first else 0
                skipped.chunks += 1
                skipped.chunk_records += count
                held = (
                    f"records {first:,} to {last:,}, {count:,} records"
                    if count
                    else "its records unknown"
                )
                where = f" {index}" if index is not None else ""
                yield Rejected(
                    first,
                    raw,
                    f"corrupt chunk{where} skipped ({held}): {detail}",
                    records=max(count, 1),
                )
            elif record is not None:
                number = int(record.group(1)) if len(record.group(1)) < 19 else 0
                skipped.records += 1
                yield Rejected(
                    number,
                    _record_bytes(source, number),
                    f"record {number:,} could not be read and was skipped: {detail}",
                )
            else:
                skipped.records += 1
                yield Rejected(0, b"", f"data skipped: {detail}")


def _event(number: int, data: str) -> WindowsEvent | Rejected:
    """One record; a damaged one can come out as JSON with raw control characters in its
    text, which is made valid here (DuckDB would refuse the whole batch)."""
    if _CONTROL.search(data) is None:
        return WindowsEvent(number, data, data, "evtx")
    try:
        event_json = orjson.dumps(json.loads(data, strict=False)).decode()
    except (ValueError, TypeError, RecursionError) as error:
        return Rejected(
            number,
            data.encode("utf-8", "surrogatepass"),
            f"record {number:,} came out as unreadable JSON: {error}",
        )
    return WindowsEvent(number, data, event_json, "evtx")


def _skipped_chunk(source: Source, text: str) -> tuple[int | None, bytes, int, int] | None:
    """The number, bytes and first and last record ids of the chunk a warning names."""
    by_ids = _CHUNK_IDS.search(text)
    if by_ids is not None:
        first, last = int(by_ids.group(1)), int(by_ids.group(2))
        index, raw = _chunk_with(source, first)
        if index is not None:
            first, last = _chunk_range(source, index)
        elif not 0 < first <= last < first + _MAX_CHUNK_RECORDS or last >= _MAX_ID:
            first = last = 0
        return index, raw, first, last
    by_number = _CHUNK_NUMBER.search(text)
    if by_number is not None:
        index = int(by_number.group(1))
        return (index, _chunk_at(source, index), *_chunk_range(source, index))
    return None


class _Skipped:
    """What the parser skipped in one file, for the import summary."""

    def __init__(self) -> None:
        self.chunks = 0
        self.chunk_records = 0
        self.records = 0

    def note(self, name: str) -> str | None:
        parts = []
        if self.chunks:
            held = f" holding {self.chunk_records:,} record(s)" if self.chunk_records else ""
            parts.append(f"{self.chunks} corrupt chunk(s){held}")
        if self.records:
            parts.append(f"{self.records} unreadable record(s)")
        if not parts:
            return None
        return f"{name}: {' and '.join(parts)} skipped and quarantined"


def _chunk_at(source: Source, index: int) -> bytes:
    """The bytes of chunk `index` (from 0), as far as the file holds them."""
    with source.open() as stream:
        stream.seek(HEADER_SIZE + index * CHUNK_SIZE)
        return stream.read(CHUNK_SIZE)


def _ids(chunk: bytes) -> tuple[int, int] | None:
    """The first and last record ids a chunk's header gives, when they are believable."""
    if len(chunk) < 40:
        return None
    first, last = struct.unpack_from("<QQ", chunk, 24)
    if 0 < first <= last < first + _MAX_CHUNK_RECORDS and last < _MAX_ID:
        return first, last
    return None


def _chunk_range(source: Source, index: int) -> tuple[int, int]:
    """The record ids of chunk `index`: from its header when they fit between its
    neighbours', else the ids between its neighbours'; (0, 0) when unknown."""
    own = _ids(_chunk_at(source, index))
    before = _ids(_chunk_at(source, index - 1)) if index > 0 else None
    after = _ids(_chunk_at(source, index + 1))
    if (
        own is not None
        and (before is None or before[1] < own[0])
        and (after is None or own[1] < after[0])
    ):
        return own
    if before is not None and after is not None and before[1] < after[0] - 1:
        return before[1] + 1, after[0] - 1
    return 0, 0


def _chunks(source: Source) -> Iterator[tuple[int, bytes]]:
    with source.open() as stream:
        index = 0
        while True:
            stream.seek(HEADER_SIZE + index * CHUNK_SIZE)
            chunk = stream.read(CHUNK_SIZE)
            if len(chunk) < 40:
                return
            yield index, chunk
            index += 1


def _chunk_with(source: Source, first_record: int) -> tuple[int | None, bytes]:
    """The number and bytes of the chunk whose header says it starts at `first_record`."""
    for index, chunk in _chunks(source):
        if struct.unpack_from("<Q", chunk, 24)[0] == first_record:
            return index, chunk
    return None, b""


def _record_bytes(source: Source, record_id: int) -> bytes:
    """The bytes of record `record_id`: from its header's magic to its size, within its chunk."""
    wanted = struct.pack("<Q", record_id)
    for _, chunk in _chunks(source):
        ids = _ids(chunk)
        if ids is not None and not ids[0] <= record_id <= ids[1]:
            continue
        at = chunk.find(RECORD_MAGIC, 512)
        while at >= 0:
            if chunk[at + 8 : at + 16] == wanted:
                size = struct.unpack_from("<I", chunk, at + 4)[0] if at + 8 <= len(chunk) else 0
                end = at + size if 24 <= size <= len(chunk) - at else len(chunk)
                return chunk[at:end]
            at = chunk.find(RECORD_MAGIC, at + 4)
    return b""
