"""Linux audit logs (/var/log/audit/audit.log): the records of one event grouped into one Event."""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from watchkeeper.core.event import Event, Parsed, Rejected
from watchkeeper.ingest.base import ParseContext, Source, decode, is_binary, iter_lines

_RECORD = re.compile(r"(?:node=([^ ]+) )?type=([^ ]+) msg=audit\((\d+)\.(\d+):(\d+)\): ?(.*)", re.S)
_PAIR = re.compile(r"([^ =\x1d]+)=(\"[^\"]*\"|'[^']*'|[^ \x1d]*)")
_HEX = re.compile(r"(?:[0-9A-F]{2})+")
_ARGUMENT = re.compile(r"a(\d+)(?:\[(\d+)\])?")
_IP = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]*")
# Fields the kernel and audit userspace write as hex when the text has spaces, quotes or
# control characters (audit's "untrusted strings"); quoted, they are plain text.
_HEX_KEYS = frozenset(
    {
        "comm",
        "exe",
        "name",
        "cwd",
        "path",
        "proctitle",
        "cmd",
        "acct",
        "data",
        "key",
        "ocomm",
        "dir",
        "watch",
        "grp",
        "new_group",
        "root_dir",
        "vm",
    }
)
_UNSET_IDS = frozenset({"4294967295", "-1", "unset", "(unset)"})
_NO_VALUE = frozenset(
    {"", "?", "(none)", "(null)", "(unknown)", "(unknown user)", "(invalid user)", "unset"}
)
_ACTIONS = {
    "EXECVE": "process_started",
    "USER_LOGIN": "login",
    "USER_AUTH": "authentication",
    "USER_CMD": "command",
    "ADD_USER": "user_created",
    "DEL_USER": "user_deleted",
    "ADD_GROUP": "group_created",
    "DEL_GROUP": "group_deleted",
    "USER_CHAUTHTOK": "password_changed",
    "USER_MGMT": "user_modified",
    "USER_START": "session_opened",
    "USER_END": "session_closed",
    "ANOM_PROMISCUOUS": "promiscuous_mode",
    "AVC": "access_denied",
}
_OUTCOMES = {
    "success": "success",
    "yes": "success",
    "failed": "failure",
    "failure": "failure",
    "no": "failure",
    "fail": "failure",
}
_WINDOW = 64  # open events kept while waiting for their other records
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class _Pending:
    """The records of one audit event seen so far."""

    record_no: int
    node: str | None
    seconds: int
    fraction: str
    serial: int
    lines: list[str] = field(default_factory=list)
    records: list[tuple[str, str]] = field(default_factory=list)  # (type, body)
    encoding: str | None = None  # set when a line was not UTF-8


class AuditdParser:
    format = "auditd"
    label = "Linux audit log (auditd)"

    def sniff(self, head: bytes) -> int:
        if not head.startswith((b"type=", b"node=")) or is_binary(head):
            return 0
        first = decode(head.split(b"\n", 1)[0])[0]
        return 95 if _RECORD.match(first) else 0

    def parse(self, source: Source, context: ParseContext) -> Iterator[Parsed]:
        nodeless = 0
        for item in self._records(source):
            if isinstance(item, Event) and not item.common.get("host"):
                nodeless += 1
            yield item
        if nodeless and not context.host:
            # No convention names a machine by its audit.log's folder or file name.
            context.notes.append(
                f"{source.name}: {nodeless:,} event(s) without node= have no host; "
                "name the machine with: watchkeeper import --host NAME"
            )

    def _records(self, source: Source) -> Iterator[Parsed]:
        open_events: OrderedDict[tuple[str | None, int, int], _Pending] = OrderedDict()
        with source.open() as stream:
            for number, line in iter_lines(stream):
                if isinstance(line, Rejected):
                    yield line
                    continue
                text, encoding = decode(line)
                match = _RECORD.match(text)
                if match is None:
                    yield Rejected(
                        number,
                        line,
                        f"line {number}: not an audit record (no type=... msg=audit(...))",
                    )
                    continue
                node, kind, seconds, fraction, serial, body = match.groups()
                key = (node, int(seconds), int(serial))
                pending = open_events.get(key)
                if pending is None:
                    pending = _Pending(number, node, int(seconds), fraction, int(serial))
                    open_events[key] = pending
                    if len(open_events) > _WINDOW:
                        yield build_event(open_events.popitem(last=False)[1])
                pending.lines.append(text)
                if encoding != "utf-8":
                    pending.encoding = encoding
                if kind == "EOE":  # end of a multi-record event
                    yield build_event(open_events.pop(key))
                else:
                    pending.records.append((kind, body))
        while open_events:
            yield build_event(open_events.popitem(last=False)[1])


def build_event(pending: _Pending) -> Event | Rejected:
    """One Event from the records that share an audit serial; Rejected if its time cannot be."""
    micro = int(pending.fraction.ljust(6, "0")[:6])
    try:
        stamp = _EPOCH + timedelta(seconds=pending.seconds, microseconds=micro)
    except OverflowError:
        raw = "\n".join(pending.lines).encode("utf-8", "surrogatepass")
        return Rejected(
            pending.record_no,
            raw,
            f"line {pending.record_no}: audit time {pending.seconds}.{pending.fraction}"
            " is out of range (years 1 to 9999 in UTC)",
        )
    types = [kind for kind, _ in pending.records]
    counts = Counter(types)
    seen: Counter[str] = Counter()
    fields: dict[str, Any] = {"types": orjson.dumps(types).decode(), "serial": pending.serial}
    first: dict[str, str] = {}  # first value of each key over all records, for the columns
    arguments: dict[int, dict[int, str]] = {}
    inner_message = None
    for kind, body in pending.records:
        prefix = kind.lower() + "."
        if counts[kind] > 1:
            prefix = f"{kind.lower()}.{seen[kind]}."
            seen[kind] += 1
        message = _parse_body(body, prefix, fields, first, arguments if kind == "EXECVE" else None)
        if inner_message is None and message is not None:
            inner_message = message
    if pending.node:
        fields["node"] = pending.node
    if pending.encoding:
        fields["encoding"] = pending.encoding

    common: dict[str, Any] = {
        "time": stamp,
        "source": "auditd",
    }
    if pending.node:
        common["host"] = pending.node
    _fill_common(common, fields, first, arguments, types)
    summary = common.get("command_line") or inner_message
    common["message"] = " ".join(types) + (f": {summary}" if summary else "")
    return Event(pending.record_no, "\n".join(pending.lines), common, fields)


def _parse_body(
    body: str,
    prefix: str,
    fields: dict[str, Any],
    first: dict[str, str],
    arguments: dict[int, dict[int, str]] | None,
) -> str | None:
    """Put a record's key=value pairs in fields; the text of a msg='...' if it has one."""
    main, _, enriched = body.partition("\x1d")
    inner_message = None
    if main.startswith("avc:"):
        fields[prefix + "text"] = main
    for key, value in _PAIR.findall(main):
        if value[:1] == "'":
            inner_message = value[1:-1] if value.endswith("'") and len(value) > 1 else value[1:]
            fields[prefix + key] = inner_message
            for inner_key, inner_value in _PAIR.findall(inner_message):
                _store(prefix, inner_key, inner_value, fields, first, None)
            continue
        _store(prefix, key, value, fields, first, arguments)
    # The enriched form's names (AUID="alice") sit beside the numbers (auid=1000); a suffix
    # keeps the two apart, since field names are compared without regard to case.
    for key, value in _PAIR.findall(enriched):
        text = _unquote(value)
        fields[f"{prefix}{key.lower()}_name"] = text
        first.setdefault(key, text)
    return inner_message


def _store(
    prefix: str,
    key: str,
    value: str,
    fields: dict[str, Any],
    first: dict[str, str],
    arguments: dict[int, dict[int, str]] | None,
) -> None:
    argument = _ARGUMENT.fullmatch(key) if arguments is not None else None
    if value[:1] == '"':
        value = _unquote(value)
    elif (argument is not None or key in _HEX_KEYS) and _HEX.fullmatch(value):
        raw = bytes.fromhex(value)
        if key == "proctitle":  # the command line, its arguments separated by NULs
            raw = raw.rstrip(b"\x00").replace(b"\x00", b" ")
        value = decode(raw)[0]
    fields[prefix + key] = value
    first.setdefault(key, value)
    if argument is not None and arguments is not None:
        index, part = argument.groups()
        arguments.setdefault(int(index), {})[int(part or 0)] = value


def _unquote(value: str) -> str:
    if value[:1] == '"':
        return value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:]
    return value


def _fill_common(
    common: dict[str, Any],
    fields: dict[str, Any],
    first: dict[str, str],
    arguments: dict[int, dict[int, str]],
    types: list[str],
) -> None:
    if arguments:
        common["command_line"] = " ".join(
            "".join(parts[i] for i in sorted(parts)) for _, parts in sorted(arguments.items())
        )
    else:
        command = _known(first, "cmd") or _known(first, "proctitle")
        if command:
            common["command_line"] = command
    exe = _known(first, "exe")
    if exe:
        common["process"] = exe
    pid = _known(first, "pid")
    if pid and pid.isascii() and pid.isdigit():
        common["pid"] = int(pid)
    # The person behind the event: the account named, else the login (audit) user.
    for key in ("acct", "AUID", "auid"):
        user = _known(first, key)
        if user and user not in _UNSET_IDS:
            common["username"] = user
            break
    address = _known(first, "addr")
    if address and _IP.fullmatch(address):
        common["src_ip"] = address
    outcome = _OUTCOMES.get(first.get("res") or first.get("success") or "")
    if outcome:
        fields["outcome"] = outcome
    for kind in types:
        action = _ACTIONS.get(kind)
        if action:
            fields["action"] = action
            break


def _known(first: dict[str, str], key: str) -> str | None:
    """A value that says something: not missing, '?', '(none)' and the like."""
    value = first.get(key)
    return None if value is None or value in _NO_VALUE else value
