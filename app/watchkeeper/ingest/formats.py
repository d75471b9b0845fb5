"""The parsers Watchkeeper knows, and choosing one from a file's first bytes."""

from __future__ import annotations

from functools import cache

from watchkeeper.ingest.base import Parser, is_binary

MIN_CONFIDENCE = 20


@cache
def parsers() -> tuple[Parser, ...]:
    from watchkeeper.ingest.auditd import AuditdParser
    from watchkeeper.ingest.csvfile import CsvParser
    from watchkeeper.ingest.evtx import EvtxParser
    from watchkeeper.ingest.evtxjson import EvtxJsonParser
    from watchkeeper.ingest.forwarded import ForwardedParser
    from watchkeeper.ingest.journald import JournaldParser
    from watchkeeper.ingest.jsonlines import JsonLinesParser
    from watchkeeper.ingest.macos import MacosLogParser
    from watchkeeper.ingest.nxlog import NxlogParser
    from watchkeeper.ingest.syslog import SyslogParser
    from watchkeeper.ingest.textlog import TextLogParser
    from watchkeeper.ingest.winlogbeat import WinlogbeatParser
    from watchkeeper.ingest.winxml import WindowsXmlParser

    return (
        ForwardedParser(),
        EvtxParser(),
        WindowsXmlParser(),
        EvtxJsonParser(),
        WinlogbeatParser(),
        NxlogParser(),
        JournaldParser(),
        MacosLogParser(),
        AuditdParser(),
        SyslogParser(),
        JsonLinesParser(),
        CsvParser(),
        TextLogParser(),
    )


def sniff(head: bytes) -> tuple[Parser | None, str]:
    """The parser for a file starting with `head`, or None and why not."""
    if not head:
        return None, "the file is empty"
    scores = sorted(
        ((parser.sniff(head), index, parser) for index, parser in enumerate(parsers())),
        key=lambda item: (-item[0], item[1]),
    )
    best_score, _, best = scores[0]
    if best_score >= MIN_CONFIDENCE:
        return best, ""
    if is_binary(head):
        offset = head.find(b"\x00")
        where = f" (NUL byte at offset {offset})" if offset >= 0 else ""
        return None, f"binary content, not a log format Watchkeeper reads{where}"
    return None, "not a log format Watchkeeper recognises (" + _describe(head) + ")"


def _describe(head: bytes) -> str:
    first = head.split(b"\n", 1)[0][:60]
    text = first.decode("utf-8", "replace")
    printable = "".join(c if c.isprintable() else "?" for c in text)
    return f"first line starts {printable!r}"
