"""Syslog text files: RFC 3164, RFC 5424 and rsyslog's ISO-stamped lines, with auth details."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from watchkeeper.core.event import Event, Parsed, Rejected
from watchkeeper.core.fields import SYSLOG_SEVERITIES
from watchkeeper.core.timeparse import MONTHS, YearInference, parse_iso
from watchkeeper.ingest.authlog import extract_message_fields
from watchkeeper.ingest.base import ParseContext, Source, decode, is_binary, iter_lines

# The tail shared by the 3164 and ISO shapes: optional host, optional tag[pid], message.
# Literal spaces, not \s: control characters in the message must stay where they are.
_TAIL = (
    r"(?:([^ \[]*[^ \[:]) )?"  # host: a word not ending in ':' and without '['
    r"(?:([^ \[:]+)(?:\[(\d*)\]:?|:) ?)?"  # tag, with [pid] and/or ':'
    r"(.*)"
)
_RFC3164 = re.compile(
    r"(?:<(\d{1,3})>)?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) "
    r"(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?:? " + _TAIL,
    re.S,
)
_ISO = re.compile(
    r"(?:<(\d{1,3})>)?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:?\d\d)?) " + _TAIL,
    re.S,
)
_RFC5424 = re.compile(
    r"<(\d{1,3})>\d{1,2} ([^ ]+) ([^ ]+) ([^ ]+) ([^ ]+) ([^ ]+) "
    r"(-|(?:\[(?:[^\]\"]|\"(?:[^\"\\]|\\.)*\")*\])+)(?: (.*))?",
    re.S,
)
_SD_ELEMENT = re.compile(r"\[([^ \]]+)((?:[^\]\"]|\"(?:[^\"\\]|\\.)*\")*)\]", re.S)
_SD_PARAM = re.compile(r"([^ =\]\"]+)=\"((?:[^\"\\]|\\.)*)\"", re.S)
_SD_ESCAPE = re.compile(r"\\([\"\\\]])")

_MONTH_NUMBERS = {name.title(): number for name, number in MONTHS.items()}
_FACILITIES = (
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
)
_SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
# PRI -> (facility, severity, level), computed once.
_PRIORITIES = tuple(
    (_FACILITIES[pri >> 3], _SEVERITIES[pri & 7], SYSLOG_SEVERITIES[pri & 7]) for pri in range(192)
)


class SyslogParser:
    format = "syslog"
    label = "Syslog (RFC 3164 / 5424)"

    def sniff(self, head: bytes) -> int:
        if not head or head[:1] in b"{[" or is_binary(head):
            return 0
        lines = head.split(b"\n")
        if len(lines) > 1 and not head.endswith(b"\n"):
            lines.pop()  # cut off mid-line by the head's size
        sample = [line.rstrip(b"\r") for line in lines[:40] if line.strip()][:20]
        if not sample:
            return 0
        score = 0.0
        for line in sample:
            text = decode(line)[0]
            match = _RFC3164.match(text) or _ISO.match(text)
            if match is not None:
                # A tag (or a PRI) is what makes a stamped line syslog rather than any log.
                score += 1.0 if match.group(1) or match.group(match.re.groups - 2) else 0.6
            elif _RFC5424.match(text):
                score += 1.0
        return int(95 * score / len(sample))

    def parse(self, source: Source, context: ParseContext) -> Iterator[Parsed]:
        years = context.years
        with source.open() as stream:
            for number, line in iter_lines(stream):
                if isinstance(line, Rejected):
                    yield line
                    continue
                text, encoding = decode(line)
                parsed = parse_line(text, number, years)
                if isinstance(parsed, str):
                    yield Rejected(number, line, parsed)
                    continue
                if encoding != "utf-8":
                    parsed.fields["encoding"] = encoding
                yield parsed


def parse_line(text: str, number: int, years: YearInference) -> Event | str:
    """One syslog line as an Event, or the reason it is not one."""
    fields: dict[str, Any] = {}
    match = _RFC3164.match(text)
    if match is not None:
        pri, month, day, hour, minute, second, fraction, host, tag, pid, message = match.groups()
        micro = int(fraction.ljust(6, "0")) if fraction else 0
        stamp = _resolve_3164(
            years, _MONTH_NUMBERS[month], int(day), int(hour), int(minute), int(second), micro
        )
        if stamp is None:
            return f"line {number}: no such date or time: {text[match.start(2) : match.end(6)]!r}"
        common: dict[str, Any] = {"time": stamp, "time_inferred": "year,zone"}
    else:
        match = _ISO.match(text)
        if match is not None:
            pri, iso, host, tag, pid, message = match.groups()
            stamp = parse_iso(iso)
            if stamp is None:
                return f"line {number}: bad timestamp {iso!r}"
            common = {"time": stamp}
            if stamp.tzinfo is None:
                common["time"] = stamp.replace(tzinfo=years.zone)
                common["time_inferred"] = "zone"
        else:
            match = _RFC5424.match(text)
            if match is None:
                return f"line {number}: not a syslog line (no timestamp)"
            return _rfc5424_event(match, number, text, years)
    if pri is not None:
        level = _apply_pri(int(pri), fields)
        if level is None:
            return f"line {number}: PRI <{pri}> is out of range (0-191)"
        common["level"] = level
    common["source"] = "syslog"
    if host:
        common["host"] = host
    if tag:
        common["process"] = tag
        if pid:
            common["pid"] = int(pid)
    common["message"] = message
    if tag:
        extract_message_fields(tag, message, common, fields)
    return Event(number, text, common, fields)


def _resolve_3164(
    years: YearInference, month: int, day: int, hour: int, minute: int, second: int, micro: int
) -> datetime | None:
    stamp = years.resolve(month, day, hour, minute, second, micro)
    if stamp is not None or (month, day) != (2, 29) or hour > 23 or minute > 59 or second > 59:
        return stamp
    # 29 February exists, just not this year or last: take the latest leap year before.
    year = years.reference.year - 2
    while not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        year -= 1
    return datetime(year, 2, 29, hour, minute, second, micro, tzinfo=years.zone)


def _apply_pri(pri: int, fields: dict[str, Any]) -> str | None:
    if pri > 191:
        return None
    facility, severity, level = _PRIORITIES[pri]
    fields["facility"] = facility
    fields["severity"] = severity
    return level


def _rfc5424_event(
    match: re.Match[str], number: int, text: str, years: YearInference
) -> Event | str:
    pri, stamp_text, host, app, procid, msgid, data, message = match.groups()
    fields: dict[str, Any] = {}
    level = _apply_pri(int(pri), fields)
    if level is None:
        return f"line {number}: PRI <{pri}> is out of range (0-191)"
    common: dict[str, Any] = {"source": "syslog", "level": level}
    if stamp_text == "-":
        common["time"] = None
        common["time_inferred"] = "missing"
    else:
        stamp = parse_iso(stamp_text)
        if stamp is None:
            return f"line {number}: bad timestamp {stamp_text!r}"
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=years.zone)
            common["time_inferred"] = "zone"
        common["time"] = stamp
    if host != "-":
        common["host"] = host
    if app != "-":
        common["process"] = app
    if procid != "-":
        if procid.isdigit():
            common["pid"] = int(procid)
        else:
            fields["procid"] = procid
    if msgid != "-":
        fields["msgid"] = msgid
    if data != "-":
        for element in _SD_ELEMENT.finditer(data):
            prefix = f"sd.{element.group(1)}."
            for param in _SD_PARAM.finditer(element.group(2)):
                fields[prefix + param.group(1)] = _SD_ESCAPE.sub(r"\1", param.group(2))
    message = message or ""
    if message.startswith("\ufeff"):  # RFC 5424's BOM marks UTF-8; it is not content
        message = message[1:]
    common["message"] = message
    if app != "-":
        extract_message_fields(app, message, common, fields)
    return Event(number, text, common, fields)
