"""Plain-text logs whose lines start with a time stamp: web servers, Android logcat, Windows
CBS and setup logs, proxies and the many applications that write their own text logs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from watchkeeper.core.event import Event, Parsed, Rejected
from watchkeeper.core.fields import normalise_level
from watchkeeper.core.timeparse import MONTHS, YearInference, parse_iso
from watchkeeper.ingest.base import ParseContext, Source, decode, is_binary, iter_lines

_MONTH = {name.title(): number for name, number in MONTHS.items()}
Shape = tuple[str, re.Pattern[str], Callable[[re.Match[str], YearInference], dict[str, Any]]]


def _clf_time(text: str) -> datetime | None:
    """10/Oct/2000:13:55:36 -0700, the Common Log Format's stamp."""
    try:
        return datetime.strptime(text, "%d/%b/%Y:%H:%M:%S %z")
    except ValueError:
        return None


def _access(match: re.Match[str], years: YearInference) -> dict[str, Any]:
    client, user, stamp, request, status, size, referrer, agent = match.groups()
    method, _, rest = request.partition(" ")
    fields: dict[str, Any] = {
        "http.request": request,
        "http.method": method,
        "http.path": rest.rsplit(" ", 1)[0] if rest else "",
        "http.status": status,
        "http.bytes": size,
    }
    if referrer is not None:
        fields["http.referrer"], fields["http.user_agent"] = referrer, agent
    status_code = int(status)
    return {
        "time": _clf_time(stamp),
        "src_ip": client,
        "username": None if user == "-" else user,
        "level": "error"
        if status_code >= 500
        else "warning"
        if status_code >= 400
        else "information",
        "message": request,
        "fields": fields,
        "channel": "access",
    }


def _apache_error(match: re.Match[str], years: YearInference) -> dict[str, Any]:
    stamp, level, message = match.groups()
    parts = stamp.split()
    clock = parts[3].split(".")[0].split(":")
    try:
        when = datetime(
            int(parts[4]),
            _MONTH[parts[1]],
            int(parts[2]),
            int(clock[0]),
            int(clock[1]),
            int(clock[2]),
            tzinfo=years.zone,
        )
    except (KeyError, ValueError, IndexError):
        when = None
    client = re.search(r"\[client ([0-9A-Fa-f.:]+)(?::\d+)?\]", message)
    return {
        "time": when,
        "time_inferred": "zone",
        "level": normalise_level(level.split(":")[-1]),
        "message": message,
        "src_ip": client.group(1) if client else None,
        "fields": {"apache.level": level},
        "channel": "error",
    }


def _logcat(match: re.Match[str], years: YearInference) -> dict[str, Any]:
    month, day, hour, minute, second, milli, pid, tid, level, tag, message = match.groups()
    when = years.resolve(
        int(month), int(day), int(hour), int(minute), int(second), int(milli) * 1000
    )
    return {
        "time": when,
        "time_inferred": "year,zone",
        "pid": int(pid),
        "process": tag.strip(),
        "level": _LOGCAT_LEVELS.get(level),
        "message": message,
        "fields": {"tid": tid, "logcat.priority": level},
        "channel": "logcat",
    }


_LOGCAT_LEVELS = {
    "V": "verbose",
    "D": "verbose",
    "I": "information",
    "W": "warning",
    "E": "error",
    "F": "critical",
    "A": "critical",
}


def _iso_line(match: re.Match[str], years: YearInference) -> dict[str, Any]:
    stamp, rest = match.groups()
    when = parse_iso(stamp.replace(",", ".").rstrip("."))
    inferred = None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=years.zone)
        inferred = "zone"
    words = rest.split(None, 2)
    level = normalise_level(words[0].rstrip(":,")) if words else None
    fields: dict[str, Any] = {}
    if level is not None and len(words) >= 2:
        fields["level_word"] = words[0].rstrip(":,")
    return {
        "time": when,
        "time_inferred": inferred,
        "level": level,
        "message": rest,
        "fields": fields,
    }


def _bracketed_no_year(match: re.Match[str], years: YearInference) -> dict[str, Any]:
    month, day, hour, minute, second, message = match.groups()
    when = years.resolve(int(month), int(day), int(hour), int(minute), int(second))
    program = message.split(" ", 1)[0] if " - " in message else None
    return {
        "time": when,
        "time_inferred": "year,zone",
        "message": message,
        "process": program,
        "fields": {},
    }


SHAPES: tuple[Shape, ...] = (
    (
        "access",
        re.compile(
            r"([0-9A-Fa-f.:]+|\S+) \S+ (\S+) \[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "
            r'"((?:[^"\\]|\\.)*)" (\d{3}) (\S+)(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?'
        ),
        _access,
    ),
    (
        "apache-error",
        re.compile(
            r"\[(\w{3} \w{3} \d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d+)? \d{4})\] \[([\w:]+)\] (.*)", re.S
        ),
        _apache_error,
    ),
    (
        "logcat",
        re.compile(
            r"(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})\s+(\d+)\s+(\d+) ([VDIWEFA]) "
            r"([^:]*?)\s*: ?(.*)",
            re.S,
        ),
        _logcat,
    ),
    (
        "iso",
        re.compile(
            r"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?),?\s+(.*)",
            re.S,
        ),
        _iso_line,
    ),
    (
        "bracketed",
        re.compile(r"\[(\d{2})\.(\d{2}) (\d{2}):(\d{2}):(\d{2})\] (.*)", re.S),
        _bracketed_no_year,
    ),
)


def _shape_of(lines: list[str]) -> Shape | None:
    """The shape most of the sample lines have, if most lines have one."""
    best: tuple[int, Shape | None] = (0, None)
    for shape in SHAPES:
        hits = sum(1 for line in lines if shape[1].match(line))
        if hits > best[0]:
            best = (hits, shape)
    return best[1] if lines and best[0] * 2 > len(lines) else None


def _sample(head: bytes) -> list[str]:
    lines = head.decode("utf-8", "replace").splitlines()[:40]
    if len(head) >= 4096 and lines:
        lines = lines[:-1]  # the last line of a head may be cut
    return [line for line in lines if line.strip()]


class TextLogParser:
    format = "text"
    label = "Time-stamped text log (web server, logcat, CBS, application logs)"

    def sniff(self, head: bytes) -> int:
        if is_binary(head):
            return 0
        return 30 if _shape_of(_sample(head)) is not None else 0

    def parse(self, source: Source, context: ParseContext) -> Iterator[Parsed]:
        with source.open() as stream:
            shape = _shape_of(_sample(stream.read(16384)))
            stream.seek(0)
            if shape is None:
                yield Rejected(0, b"", f"{source.name}: no time-stamped lines found")
                return
            name, pattern, build = shape
            context.notes.append(f"{source.name}: read as a text log ({name} time stamps)")
            last_stamped = 0
            for number, line in iter_lines(stream):
                if isinstance(line, Rejected):
                    yield line
                    continue
                text, encoding = decode(line)
                match = pattern.match(text)
                if match is None:
                    where = f" (after line {last_stamped})" if last_stamped else ""
                    yield Rejected(
                        number,
                        line,
                        f"line {number}: no time stamp of the file's {name} shape{where}",
                    )
                    continue
                last_stamped = number
                values = build(match, context.years)
                fields = values.pop("fields")
                if encoding != "utf-8":
                    fields["encoding"] = encoding
                common = {k: v for k, v in values.items() if v is not None}
                common["source"] = self.format
                if common.get("time") is None:
                    common["time_inferred"] = "missing"
                yield Event(number, text, common, fields)
