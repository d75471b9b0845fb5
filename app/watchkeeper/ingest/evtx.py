"""Windows EVTX files of any channel, read with the Rust `evtx` parser."""

from __future__ import annotations

import itertools
import re
import struct
import warnings
from collections.abc import Iterator

import evtx as evtx_parser

from watchkeeper.core.errors import ImportFailed
from watchkeeper.core.event import Parsed, Rejected, WindowsEvent
from watchkeeper.ingest.base import ParseContext, Source

FILE_MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
HEADER_SIZE = 4096
CHUNK_SIZE = 65536
_SKIPPED = re.compile(r"record IDs (\d+)\.\.(\d+)")


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
                    "the records in its complete part were imported")
            stream.seek(0)
            try:
                parser = evtx_parser.PyEvtxParser(stream, indent=False, skip_errors=True)
            except RuntimeError as error:
                raise ImportFailed(f"{source.name}: not a readable EVTX file ({error})") from error
            records = parser.records_json()
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
                    if record is not None:
                        data = record["data"]
                        yield WindowsEvent(record["event_record_id"], data, data, "evtx")
                yield from self._skipped_chunks(source, recorded or [])
                if stopped is not None:
                    # Not recoverable: keep what came before and say where it stopped.
                    yield Rejected(0, b"", f"{source.name}: reading stopped: {stopped}")
                    return
                if not block:
                    return

    def _skipped_chunks(self, source: Source,
                        caught: list[warnings.WarningMessage]) -> Iterator[Rejected]:
        """A quarantine record, with the chunk's bytes, for each chunk the parser skipped."""
        for warning in caught:
            text = str(warning.message)
            if not text.startswith("Skipping EVTX data"):
                # another thread's warning, caught by the process-wide filter: pass it on
                warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                       warning.lineno)
                continue
            match = _SKIPPED.search(text)
            first = int(match.group(1)) if match else 0
            raw = _find_chunk(source, first) if match else b""
            count = f" ({int(match.group(2)) - first + 1} records)" if match else ""
            yield Rejected(first, raw, f"corrupt chunk skipped{count}: "
                           + text.removeprefix("Skipping EVTX data: "))


def _find_chunk(source: Source, first_record: int) -> bytes:
    """The bytes of the chunk whose header says it starts at `first_record`."""
    with source.open() as stream:
        offset = HEADER_SIZE
        while True:
            stream.seek(offset)
            chunk = stream.read(CHUNK_SIZE)
            if len(chunk) < 24:
                return b""
            if chunk.startswith(CHUNK_MAGIC) and struct.unpack_from("<Q", chunk, 24)[0] == first_record:
                return chunk
            offset += CHUNK_SIZE
