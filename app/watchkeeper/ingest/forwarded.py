"""Messages the collector received, as it spooled them: one JSON envelope a line.

The collector (collect/spool.py) writes segment files of envelopes; the store's owner
imports them like any other file, so a segment is recorded in the import ledger and is
loaded exactly once. Each message inside is parsed by the parser of its kind: syslog lines
by the syslog parser, JSON objects as NXLog or Winlogbeat Windows events or by the JSON-lines
mapping.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from watchkeeper.core.event import Event, Parsed, Rejected, WindowsEvent
from watchkeeper.ingest.base import ParseContext, Source, decode, iter_lines
from watchkeeper.ingest.jsonlines import event_from_object
from watchkeeper.ingest.macos import forwarded_entry, is_unified_log_entry
from watchkeeper.ingest.mapping import FieldMapper
from watchkeeper.ingest.nxlog import is_nxlog_windows, nxlog_json
from watchkeeper.ingest.syslog import parse_line
from watchkeeper.ingest.winlogbeat import is_winlogbeat, winlogbeat_json

HEADER = b'{"watchkeeper_spool":1}\n'  # the first line of every segment


def envelope(received: datetime, peer: str, transport: str, kind: str, message: bytes) -> bytes:
    """One spooled message as a line: when and from whom it came, how, and its text."""
    text, encoding = decode(message)
    record: dict[str, Any] = {
        "r": received.astimezone(UTC).isoformat(),
        "p": peer,
        "t": transport,
        "k": kind,
        "m": text,
    }
    if encoding != "utf-8":
        record["e"] = encoding
    return orjson.dumps(record) + b"\n"


class ForwardedParser:
    format = "forwarded"
    label = "Forwarded messages (the collector's spool)"

    def sniff(self, head: bytes) -> int:
        return 100 if head.startswith(HEADER) else 0

    def parse(self, source: Source, context: ParseContext) -> Iterator[Parsed]:
        mapper = FieldMapper(context.years.zone)
        with source.open() as stream:
            for number, line in iter_lines(stream):
                if number == 1 or isinstance(line, Rejected):
                    if isinstance(line, Rejected):
                        yield line
                    continue
                yield _message(number, line, context, mapper)


def _message(number: int, line: bytes, context: ParseContext, mapper: FieldMapper) -> Parsed:
    try:
        record = orjson.loads(line)
        received = datetime.fromisoformat(record["r"])
        peer, transport, kind, text = record["p"], record["t"], record["k"], record["m"]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        # a segment cut short by a crash ends in a torn line: kept, never half-parsed
        return Rejected(number, line, f"line {number}: not a whole spooled message")
    parsed: Event | WindowsEvent | str
    if kind == "json":
        parsed = _json_message(number, text, mapper, context)
    else:
        parsed = parse_line(text.rstrip("\r\n"), number, context.years)
    if isinstance(parsed, str):
        return Rejected(
            number, text.encode("utf-8", "surrogatepass"), f"from {peer} over {transport}: {parsed}"
        )
    if isinstance(parsed, WindowsEvent):
        parsed.received, parsed.sender, parsed.transport = received, peer, transport
        return parsed
    parsed.common["received"] = received
    parsed.fields["sender"] = peer
    parsed.fields["transport"] = transport
    if "e" in record:
        parsed.fields["encoding"] = record["e"]
    if not parsed.common.get("host"):
        parsed.common["host"] = peer
    return parsed


def _json_message(
    number: int, text: str, mapper: FieldMapper, context: ParseContext
) -> Event | WindowsEvent | str:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        return f"line {number}: not JSON ({error.msg})"
    if not isinstance(value, dict):
        return f"line {number}: a JSON {type(value).__name__}, not an object"
    if is_nxlog_windows(value):  # NXLog's to_json() of a Windows event
        try:
            return WindowsEvent(number, text, nxlog_json(value, context.years.zone), source="nxlog")
        except (TypeError, ValueError) as error:
            return f"line {number}: NXLog event not understood ({error})"
    if is_winlogbeat(value):  # Winlogbeat's JSON, sent on by Logstash or an HTTP output
        try:
            return WindowsEvent(
                number, text, winlogbeat_json(value, value["winlog"]), source="winlogbeat"
            )
        except (TypeError, ValueError) as error:
            return f"line {number}: Winlogbeat event not understood ({error})"
    if is_unified_log_entry(value):  # a Mac's `log stream --style ndjson`, posted
        return forwarded_entry(value, number, text)
    parsed = event_from_object(number, text, value, "utf-8", mapper)
    return parsed.reason if isinstance(parsed, Rejected) else parsed
