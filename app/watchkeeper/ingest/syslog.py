"""Syslog text files: RFC 3164, RFC 5424 and rsyslog's ISO-stamped lines, with auth details."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from watchkeeper.core.event import Event, Parsed, Rejected
from watchkeeper.core.fields import SYSLOG_SEVERITIES
from watchkeeper.core.timeparse import MONTHS, YearInference, parse_iso
from watchkeeper.ingest.base import ParseContext, Source, decode, is_binary, iter_lines

# The tail shared by the 3164 and ISO shapes: optional host, optional tag[pid], message.
# Literal spaces, not \s: control characters in the message must stay where they are.
_TAIL = (r"(?:([^ \[]*[^ \[:]) )?"  # host: a word not ending in ':' and without '['
         r"(?:([^ \[:]+)(?:\[(\d*)\]:?|:) ?)?"  # tag, with [pid] and/or ':'
         r"(.*)")
_RFC3164 = re.compile(
    r"(?:<(\d{1,3})>)?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) "
    r"(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?:? " + _TAIL, re.S)
_ISO = re.compile(
    r"(?:<(\d{1,3})>)?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:?\d\d)?) "
    + _TAIL, re.S)
_RFC5424 = re.compile(
    r"<(\d{1,3})>\d{1,2} ([^ ]+) ([^ ]+) ([^ ]+) ([^ ]+) ([^ ]+) "
    r"(-|(?:\[(?:[^\]\"]|\"(?:[^\"\\]|\\.)*\")*\])+)(?: (.*))?", re.S)
_SD_ELEMENT = re.compile(r"\[([^ \]]+)((?:[^\]\"]|\"(?:[^\"\\]|\\.)*\")*)\]", re.S)
_SD_PARAM = re.compile(r"([^ =\]\"]+)=\"((?:[^\"\\]|\\.)*)\"", re.S)
_SD_ESCAPE = re.compile(r"\\([\"\\\]])")

_MONTH_NUMBERS = {name.title(): number for name, number in MONTHS.items()}
_FACILITIES = ("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
               "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
               "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7")
_SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
# PRI -> (facility, severity, level), computed once.
_PRIORITIES = tuple((_FACILITIES[pri >> 3], _SEVERITIES[pri & 7], SYSLOG_SEVERITIES[pri & 7])
                    for pri in range(192))

Handler = Callable[[re.Match[str], dict[str, Any], dict[str, Any]], None]
Rule = tuple[re.Pattern[str], Handler]


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
                if not line.strip():
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
        stamp = _resolve_3164(years, _MONTH_NUMBERS[month], int(day), int(hour), int(minute),
                              int(second), micro)
        if stamp is None:
            return f"line {number}: no such date or time: {text[match.start(2):match.end(6)]!r}"
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


def _resolve_3164(years: YearInference, month: int, day: int, hour: int, minute: int,
                  second: int, micro: int) -> datetime | None:
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


def _rfc5424_event(match: re.Match[str], number: int, text: str,
                   years: YearInference) -> Event | str:
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


# ---- what the message says: auth.log programs ---------------------------------------------

_IP = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]*")
_KEY_VALUE = re.compile(r"(\w+)=([^ ]*)")
_REPEATED = re.compile(r"message repeated (\d+) times: \[ ?(.*?) ?\]$", re.S)
_PAM = re.compile(r"pam_unix\(([^:)]+):([^)]+)\): (.*)", re.S)
_PAM_SESSION = re.compile(r"session (opened|closed) for user ([^ (]+)(?:\(uid=\d+\))?"
                          r"(?: by ([^ (]*)(?:\(uid=\d+\))?)?")
_PAM_FAILURE = re.compile(r"(?:authentication failure|(\d+) more authentication failures?); (.*)")
_PAM_UNKNOWN = re.compile(r"check pass; user unknown")
_PAM_PASSWORD = re.compile(r"password changed for ([^ ]+)")
_AUTH_ACTIONS = {"sshd": "ssh_login", "sudo": "sudo", "su": "su", "su-l": "su", "login": "login"}


def _set_source(common: dict[str, Any], fields: dict[str, Any], address: str | None,
                port: str | None = None) -> None:
    if not address:
        return
    if _IP.fullmatch(address):
        common["src_ip"] = address
        if port:
            common["src_port"] = int(port)
    else:
        fields["src_host"] = address


def _ssh_login(outcome: str, user_group: int, address_group: int | None = None,
               port_group: int | None = None) -> Handler:
    def handle(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
        fields["action"] = "ssh_login"
        fields["outcome"] = outcome
        if match.group(user_group):
            common["username"] = match.group(user_group)
        if address_group is not None:
            _set_source(common, fields, match.group(address_group),
                        match.group(port_group) if port_group else None)
    return handle


_ssh_accepted = _ssh_login("success", 4, 5, 6)
_ssh_failed = _ssh_login("failure", 4, 5, 6)


def _ssh_password(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
    (_ssh_accepted if match.group(1) == "Accepted" else _ssh_failed)(match, common, fields)
    fields["auth_method"] = match.group(2)
    if match.group(3):
        fields["invalid_user"] = True


def _ssh_connection(action: str) -> Handler:
    def handle(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
        fields["action"] = action
        if match.group(1):
            common["username"] = match.group(1)
        _set_source(common, fields, match.group(2), match.group(3))
    return handle


def _pam(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
    _pam_body(match.group(1), match.group(3), common, fields)


def _ssh_pam(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
    _pam_body("sshd", match.group(1), common, fields)


def _pam_body(service: str, body: str, common: dict[str, Any], fields: dict[str, Any]) -> None:
    """What a pam_unix message says, for whichever program (service) logged it."""
    acting_service = service in ("sudo", "su", "su-l")
    session = _PAM_SESSION.match(body)
    if session is not None:
        state, user, by = session.groups()
        fields["action"] = f"session_{state}"
        fields["outcome"] = "success"
        if acting_service and by:
            common["username"] = by
            fields[f"{service}.target_user"] = user
        else:
            common["username"] = user
        return
    failure = _PAM_FAILURE.match(body)
    if failure is not None:
        pairs = dict(_KEY_VALUE.findall(failure.group(2)))
        fields["action"] = _AUTH_ACTIONS.get(service, "login")
        fields["outcome"] = "failure"
        if failure.group(1):
            fields["failures"] = int(failure.group(1)) + 1
        user = pairs.get("user")
        actor = pairs.get("ruser") or pairs.get("logname")
        if acting_service and actor:
            common["username"] = actor
            if user:
                fields[f"{service}.target_user"] = user
        elif user:
            common["username"] = user
        _set_source(common, fields, pairs.get("rhost"))
        return
    if _PAM_UNKNOWN.match(body):
        fields["action"] = _AUTH_ACTIONS.get(service, "login")
        fields["outcome"] = "failure"
        return
    changed = _PAM_PASSWORD.match(body)
    if changed is not None:
        fields["action"] = "password_changed"
        fields["outcome"] = "success"
        common["username"] = changed.group(1)


def _sudo(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
    common["username"] = match.group(1)
    fields["action"] = "sudo"
    head, _, command = match.group(2).partition("COMMAND=")
    reason = None
    for item in head.split(" ; "):
        key, equals, value = item.strip().partition("=")
        if equals:
            fields["sudo." + ("target_user" if key == "USER" else key.lower())] = value
        elif key:
            reason = key
    fields["outcome"] = "failure" if reason else "success"
    if reason:
        fields["sudo.reason"] = reason
    if command:
        common["command_line"] = command


def _su(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
    failed, target, user, tty = match.groups()
    common["username"] = user
    fields["action"] = "su"
    fields["outcome"] = "failure" if failed else "success"
    fields["su.target_user"] = target
    fields["su.tty"] = tty


def _su_old(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
    common["username"] = match.group(3)
    fields["action"] = "su"
    fields["outcome"] = "success" if match.group(1) == "Successful su" else "failure"
    fields["su.target_user"] = match.group(2)


def _account(action: str, name_field: str | None = None, user_group: int | None = 1,
             **extra_groups: int) -> Handler:
    def handle(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
        fields["action"] = action
        fields["outcome"] = "success"
        if user_group is not None:
            common["username"] = match.group(user_group)
        if name_field:
            fields[name_field] = match.group(1)
        for name, group in extra_groups.items():
            if match.group(group) is not None:
                fields[name] = match.group(group)
    return handle


def _logind(action: str) -> Handler:
    def handle(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
        fields["action"] = action
        fields["session_id"] = match.group(1)
        if match.lastindex and match.lastindex >= 2:
            common["username"] = match.group(2)
    return handle


def _cron(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
    common["username"] = match.group(1)
    common["command_line"] = match.group(2)
    fields["action"] = "cron_command"


def _ssh_fallback(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
    _set_source(common, fields, match.group(1), match.group(2))


_SSH_RULES: tuple[Rule, ...] = (
    (re.compile(r"(Failed|Accepted) ([^ ]+) for (invalid user )?(.*?) from ([^ ]+) port (\d+)"),
     _ssh_password),
    (re.compile(r"Invalid user (.*?) from ([^ ]+)(?: port (\d+))?"), _ssh_login("failure", 1, 2, 3)),
    (re.compile(r"input_userauth_request: invalid user (.*?) \[preauth\]"),
     _ssh_login("failure", 1)),
    (re.compile(r"(?:error: )?maximum authentication attempts exceeded for (?:invalid user )?"
                r"(.*?) from ([^ ]+) port (\d+)"), _ssh_login("failure", 1, 2, 3)),
    (re.compile(r"Disconnecting (?:authenticating|invalid) user (.*?) ([^ ]+) port (\d+): "
                r"Too many authentication failures"), _ssh_login("failure", 1, 2, 3)),
    (re.compile(r"Disconnecting: Too many authentication failures for (?:invalid user )?(.*?) "
                r"\[preauth\]"), _ssh_login("failure", 1)),
    (re.compile(r"(?:error: )?PAM: Authentication failure for (?:illegal |invalid )?user (.*?) "
                r"from ([^ ]+)"), _ssh_login("failure", 1, 2)),
    (re.compile(r"Connection closed by (?:(?:authenticating|invalid) user (.*?) )?([^ ]+)"
                r"(?: port (\d+))?"), _ssh_connection("ssh_connection_closed")),
    (re.compile(r"Disconnected from (?:(?:authenticating |invalid )?user (.*?) )?([^ ]+)"
                r" port (\d+)"), _ssh_connection("ssh_disconnected")),
    (re.compile(r"(?:error: )?Received disconnect from ()([^ ]+?)(?: port (\d+))?: ?\d+: "),
     _ssh_connection("ssh_disconnected")),
    (re.compile(r"PAM (\d+ more authentication failures?; .*)"), _ssh_pam),
    (re.compile(r"reverse mapping checking getaddrinfo for [^ ]+ \[()([^\]]+)\]()"),
     _ssh_connection("ssh_reverse_mapping_failed")),
    (re.compile(r"Did not receive identification string from ()([^ ]+)(?: port (\d+))?"),
     _ssh_connection("ssh_connection")),
)
_SSH_FALLBACK = re.compile(r"(?:from|by|with|for) ([0-9A-Fa-f.:]*[0-9A-Fa-f]) port (\d+)")
_SUDO_RULES: tuple[Rule, ...] = (
    (re.compile(r" *([^ ]+) : (.*(?:TTY|PWD|USER)=.*)", re.S), _sudo),
)
_SU_RULES: tuple[Rule, ...] = (
    (re.compile(r"(FAILED SU )?\(to ([^)]+)\) ([^ ]+) on ([^ ]+)"), _su),
    (re.compile(r"(Successful su|FAILED SU|BAD SU) for ([^ ]+) by ([^ ]+)"), _su_old),
)
_ACCOUNT_RULES: tuple[Rule, ...] = (
    (re.compile(r"new user: name=([^,]+), UID=(\d+), GID=(\d+), home=([^,]*), shell=([^,]*)"),
     _account("user_created", "new_user", uid=2, gid=3, home=4, shell=5)),
    (re.compile(r"(?:new group|group added to [^:]+): name=([^,]+)(?:, GID=(\d+))?"),
     _account("group_created", "new_group", None, gid=2)),
    (re.compile(r"add '([^']+)' to (?:shadow )?group '([^']+)'"),
     _account("user_added_to_group", None, 1, group=2)),
    (re.compile(r"delete user '([^']+)'"), _account("user_deleted")),
    (re.compile(r"removed group '([^']+)'"), _account("group_deleted", "group", None)),
    (re.compile(r"group '([^']+)' removed"), _account("group_deleted", "group", None)),
    (re.compile(r"change user '([^']+)' password"), _account("password_changed")),
    (re.compile(r"(?:change|lock|unlock) user '([^']+)'"), _account("user_modified")),
    (re.compile(r"password for '([^']+)' changed"), _account("password_changed")),
    (re.compile(r"password changed for ([^ ]+)"), _account("password_changed")),
)
_LOGIND_RULES: tuple[Rule, ...] = (
    (re.compile(r"New session ([^ ]+) of user ([^ ]+?)\.?$"), _logind("session_opened")),
    (re.compile(r"Session ([^ ]+) logged out"), _logind("session_closed")),
    (re.compile(r"Removed session ([^ ]+?)\.?$"), _logind("session_closed")),
)
_CRON_RULES: tuple[Rule, ...] = ((re.compile(r"\(([^)]+)\) CMD \((.*)\)$", re.S), _cron),)

_RULES_BY_PROGRAM: dict[str, tuple[Rule, ...]] = {
    "sshd": _SSH_RULES, "sshd-session": _SSH_RULES, "sshd-auth": _SSH_RULES,
    "sudo": _SUDO_RULES, "su": _SU_RULES,
    "systemd-logind": _LOGIND_RULES, "cron": _CRON_RULES, "crond": _CRON_RULES,
    **{name: _ACCOUNT_RULES for name in ("useradd", "groupadd", "usermod", "userdel", "groupdel",
                                         "groupmod", "passwd", "chpasswd", "gpasswd", "chage")},
}
_program_cache: dict[str, tuple[str, bool, tuple[Rule, ...]]] = {}


def _program(tag: str) -> tuple[str, bool, tuple[Rule, ...]]:
    """(program, whether the tag says pam_unix, the rules) for a syslog tag, cached."""
    known = _program_cache.get(tag)
    if known is not None:
        return known
    name = tag.rsplit("/", 1)[-1].lower()
    pam = name.endswith("(pam_unix)")
    if pam:
        name = name[: -len("(pam_unix)")]
    known = (name, pam, _RULES_BY_PROGRAM.get(name, ()))
    if len(_program_cache) < 4096:  # tags are few; a hostile file must not grow this forever
        _program_cache[tag] = known
    return known


def extract_message_fields(tag: str, message: str, common: dict[str, Any],
                           fields: dict[str, Any]) -> None:
    """Fill username, addresses, command line, `action` and `outcome` from an auth message.

    Only the rules of the program that logged the message are tried, so other programs
    cost one dictionary look-up.
    """
    program, pam_tag, rules = _program(tag)
    if not rules and not pam_tag and not message.startswith("pam_unix("):
        return
    if message.startswith("message repeated "):
        repeated = _REPEATED.match(message)
        if repeated is not None:
            fields["repeated"] = int(repeated.group(1))
            message = repeated.group(2)
    if pam_tag:  # the old "sshd(pam_unix)[123]: authentication failure; ..." form
        _pam_body(program, message, common, fields)
        return
    if message.startswith("pam_unix("):
        pam = _PAM.match(message)
        if pam is not None:
            _pam(pam, common, fields)
        return
    for pattern, handler in rules:
        match = pattern.match(message)
        if match is not None:
            handler(match, common, fields)
            return
    if rules is _SSH_RULES:
        fallback = _SSH_FALLBACK.search(message)
        if fallback is not None:
            _ssh_fallback(fallback, common, fields)
