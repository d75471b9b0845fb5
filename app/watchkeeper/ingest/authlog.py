"""What auth.log programs say: sshd, sudo, su, pam, account tools, logind and cron."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Handler = Callable[[re.Match[str], dict[str, Any], dict[str, Any]], None]
Rule = tuple[re.Pattern[str], Handler]

_IP = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]*")
_KEY_VALUE = re.compile(r"(\w+)=([^ ]*)")
_REPEATED = re.compile(r"message repeated (\d+) times: \[ ?(.*?) ?\]$", re.S)
_PAM = re.compile(r"pam_unix\(([^:)]+):([^)]+)\): (.*)", re.S)
_PAM_SESSION = re.compile(
    r"session (opened|closed) for user ([^ (]+)(?:\(uid=\d+\))?"
    r"(?: by ([^ (]*)(?:\(uid=\d+\))?)?"
)
_PAM_FAILURE = re.compile(r"(?:authentication failure|(\d+) more authentication failures?); (.*)")
_PAM_UNKNOWN = re.compile(r"check pass; user unknown")
_PAM_PASSWORD = re.compile(r"password changed for ([^ ]+)")
_AUTH_ACTIONS = {"sshd": "ssh_login", "sudo": "sudo", "su": "su", "su-l": "su", "login": "login"}
# One refused attempt is one failure. These programs log their own line for it (sshd's
# "Failed password for ... from ... port", su's "FAILED SU", sudo's "incorrect password
# attempts"), so the pam_unix line the same attempt leaves beside it is context, under this
# action, and not counted again. For other services (login, display managers) pam_unix's
# line is the only trace, and stays the failure.
PAM_CONTEXT = "pam_authentication"
_OWN_FAILURE_LINE = frozenset({"sshd", "su", "su-l", "sudo"})
# sshd's other lines about a refused attempt (invalid user, too many failures, PAM's error)
# come before or after its "Failed ..." line for the same attempt: context too.
SSH_CONTEXT = "ssh_auth_context"


def _set_source(
    common: dict[str, Any], fields: dict[str, Any], address: str | None, port: str | None = None
) -> None:
    if not address:
        return
    if _IP.fullmatch(address):
        common["src_ip"] = address
        if port:
            common["src_port"] = int(port)
    else:
        fields["src_host"] = address


def _ssh_login(
    outcome: str, user_group: int, address_group: int | None = None, port_group: int | None = None
) -> Handler:
    def handle(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
        fields["action"] = "ssh_login"
        fields["outcome"] = outcome
        if match.group(user_group):
            common["username"] = match.group(user_group)
        if address_group is not None:
            _set_source(
                common,
                fields,
                match.group(address_group),
                match.group(port_group) if port_group else None,
            )

    return handle


_ssh_accepted = _ssh_login("success", 4, 5, 6)
_ssh_failed = _ssh_login("failure", 4, 5, 6)


def _ssh_password(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
    (_ssh_accepted if match.group(1) == "Accepted" else _ssh_failed)(match, common, fields)
    fields["auth_method"] = match.group(2)
    if match.group(3):
        fields["invalid_user"] = True


def _ssh_context(
    user_group: int, address_group: int | None = None, port_group: int | None = None
) -> Handler:
    """A line about a refused attempt that sshd also logs as "Failed ...": context."""
    counted = _ssh_login("failure", user_group, address_group, port_group)

    def handle(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
        counted(match, common, fields)
        fields["action"] = SSH_CONTEXT

    return handle


def _ssh_connection(action: str) -> Handler:
    def handle(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
        fields["action"] = action
        if match.group(1):
            common["username"] = match.group(1)
        _set_source(common, fields, match.group(2), match.group(3))

    return handle


def _pam(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
    service = match.group(1)
    _pam_body(service, match.group(3), common, fields, context=service in _OWN_FAILURE_LINE)


def _ssh_pam(match: re.Match[str], common: dict[str, Any], fields: dict[str, Any]) -> None:
    # "PAM 2 more authentication failures": a tally of attempts sshd already logged one by one
    _pam_body("sshd", match.group(1), common, fields, context=True)


def _pam_body(
    service: str, body: str, common: dict[str, Any], fields: dict[str, Any], *, context: bool
) -> None:
    """What a pam_unix message says, for whichever program (service) logged it.

    `context`: the program logs a line of its own for a refused attempt, so a failure here
    is kept as context rather than counted a second time.
    """
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
        fields["action"] = PAM_CONTEXT if context else _AUTH_ACTIONS.get(service, "login")
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
    if _PAM_UNKNOWN.match(body):  # always followed by the "authentication failure" line
        fields["action"] = PAM_CONTEXT
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


def _account(
    action: str, name_field: str | None = None, user_group: int | None = 1, **extra_groups: int
) -> Handler:
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
    (
        re.compile(r"(Failed|Accepted) ([^ ]+) for (invalid user )?(.*?) from ([^ ]+) port (\d+)"),
        _ssh_password,
    ),
    (
        re.compile(r"Invalid user (.*?) from ([^ ]+)(?: port (\d+))?"),
        _ssh_context(1, 2, 3),
    ),
    (
        re.compile(r"input_userauth_request: invalid user (.*?) \[preauth\]"),
        _ssh_context(1),
    ),
    (
        re.compile(
            r"(?:error: )?maximum authentication attempts exceeded for (?:invalid user )?"
            r"(.*?) from ([^ ]+) port (\d+)"
        ),
        _ssh_context(1, 2, 3),
    ),
    (
        re.compile(
            r"Disconnecting (?:authenticating|invalid) user (.*?) ([^ ]+) port (\d+): "
            r"Too many authentication failures"
        ),
        _ssh_context(1, 2, 3),
    ),
    (
        re.compile(
            r"Disconnecting: Too many authentication failures for (?:invalid user )?(.*?) "
            r"\[preauth\]"
        ),
        _ssh_context(1),
    ),
    (
        re.compile(
            r"(?:error: )?PAM: Authentication failure for (?:illegal |invalid )?user (.*?) "
            r"from ([^ ]+)"
        ),
        _ssh_context(1, 2),
    ),
    (
        re.compile(
            r"Connection closed by (?:(?:authenticating|invalid) user (.*?) )?([^ ]+)"
            r"(?: port (\d+))?"
        ),
        _ssh_connection("ssh_connection_closed"),
    ),
    (
        re.compile(
            r"Disconnected from (?:(?:authenticating |invalid )?user (.*?) )?([^ ]+)"
            r" port (\d+)"
        ),
        _ssh_connection("ssh_disconnected"),
    ),
    (
        re.compile(r"(?:error: )?Received disconnect from ()([^ ]+?)(?: port (\d+))?: ?\d+: "),
        _ssh_connection("ssh_disconnected"),
    ),
    (re.compile(r"PAM (\d+ more authentication failures?; .*)"), _ssh_pam),
    (
        re.compile(r"reverse mapping checking getaddrinfo for [^ ]+ \[()([^\]]+)\]()"),
        _ssh_connection("ssh_reverse_mapping_failed"),
    ),
    (
        re.compile(r"Did not receive identification string from ()([^ ]+)(?: port (\d+))?"),
        _ssh_connection("ssh_connection"),
    ),
)
_SSH_FALLBACK = re.compile(r"(?:from|by|with|for) ([0-9A-Fa-f.:]*[0-9A-Fa-f]) port (\d+)")
_SUDO_RULES: tuple[Rule, ...] = ((re.compile(r" *([^ ]+) : (.*(?:TTY|PWD|USER)=.*)", re.S), _sudo),)
_SU_RULES: tuple[Rule, ...] = (
    (re.compile(r"(FAILED SU )?\(to ([^)]+)\) ([^ ]+) on ([^ ]+)"), _su),
    (re.compile(r"(Successful su|FAILED SU|BAD SU) for ([^ ]+) by ([^ ]+)"), _su_old),
)
_ACCOUNT_RULES: tuple[Rule, ...] = (
    (
        re.compile(r"new user: name=([^,]+), UID=(\d+), GID=(\d+), home=([^,]*), shell=([^,]*)"),
        _account("user_created", "new_user", uid=2, gid=3, home=4, shell=5),
    ),
    (
        re.compile(r"(?:new group|group added to [^:]+): name=([^,]+)(?:, GID=(\d+))?"),
        _account("group_created", "new_group", None, gid=2),
    ),
    (
        re.compile(r"add '([^']+)' to (?:shadow )?group '([^']+)'"),
        _account("user_added_to_group", None, 1, group=2),
    ),
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
    "sshd": _SSH_RULES,
    "sshd-session": _SSH_RULES,
    "sshd-auth": _SSH_RULES,
    "sudo": _SUDO_RULES,
    "su": _SU_RULES,
    "systemd-logind": _LOGIND_RULES,
    "cron": _CRON_RULES,
    "crond": _CRON_RULES,
    **{
        name: _ACCOUNT_RULES
        for name in (
            "useradd",
            "groupadd",
            "usermod",
            "userdel",
            "groupdel",
            "groupmod",
            "passwd",
            "chpasswd",
            "gpasswd",
            "chage",
        )
    },
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


def extract_message_fields(
    tag: str, message: str, common: dict[str, Any], fields: dict[str, Any]
) -> None:
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
    if pam_tag:
        # The old "sshd(pam_unix)[123]: authentication failure; ..." form. Its programs logged
        # their own lines under another facility, to another file: here pam's is the trace.
        _pam_body(program, message, common, fields, context=False)
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
