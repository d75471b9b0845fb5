"""A short message for Windows events, composed from their channel, id and key fields.

The description Event Viewer shows is rendered from the publisher's message DLL, which is
not at hand when a log is imported on another machine. For the events people read most a
template names the key fields; any other event shows its data as Key=Value pairs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence

from watchkeeper.core.fields import clean_field_name, quote_text

SYSMON = "Microsoft-Windows-Sysmon/Operational"
DEFENDER = "Microsoft-Windows-Windows Defender/Operational"

# (channel, event id) -> template: {Field} is the field's value ("-" when it has none); a
# part in [brackets] is shown only when every field in it has a value.
TEMPLATES: dict[tuple[str, int], str] = {
    ("Security", 1102): "The audit log was cleared[ by {SubjectDomainName}\\{SubjectUserName}]",
    ("Security", 4624): "An account was successfully logged on: user [{TargetDomainName}\\]"
    "{TargetUserName}[ from {IpAddress}][, logon type {LogonType}]",
    ("Security", 4625): "An account failed to log on: user [{TargetDomainName}\\]"
    "{TargetUserName}[ from {IpAddress}][, logon type {LogonType}]",
    ("Security", 4634): "An account was logged off: user [{TargetDomainName}\\]{TargetUserName}",
    ("Security", 4647): "User initiated logoff: user [{TargetDomainName}\\]{TargetUserName}",
    ("Security", 4648): "A logon was attempted using explicit credentials: "
    "{SubjectUserName} as {TargetUserName}[ on {TargetServerName}]"
    "[ by {ProcessName}]",
    ("Security", 4672): "Special privileges assigned to new logon: user "
    "[{SubjectDomainName}\\]{SubjectUserName}",
    ("Security", 4688): "A new process has been created: {NewProcessName}[ ({CommandLine})]"
    " by [{SubjectDomainName}\\]{SubjectUserName}",
    ("Security", 4689): "A process has exited: {ProcessName}",
    ("Security", 4697): "A service was installed: {ServiceName}[ ({ServiceFileName})]"
    "[ by {SubjectUserName}]",
    ("Security", 4698): "A scheduled task was created: {TaskName}[ by {SubjectUserName}]",
    ("Security", 4699): "A scheduled task was deleted: {TaskName}[ by {SubjectUserName}]",
    ("Security", 4719): "System audit policy was changed[ by {SubjectUserName}]",
    ("Security", 4720): "A user account was created: {TargetUserName}[ by {SubjectUserName}]",
    ("Security", 4722): "A user account was enabled: {TargetUserName}[ by {SubjectUserName}]",
    ("Security", 4723): "An attempt was made to change the password of {TargetUserName}",
    ("Security", 4724): "An attempt was made to reset the password of {TargetUserName}"
    "[ by {SubjectUserName}]",
    ("Security", 4725): "A user account was disabled: {TargetUserName}[ by {SubjectUserName}]",
    ("Security", 4726): "A user account was deleted: {TargetUserName}[ by {SubjectUserName}]",
    ("Security", 4728): "A member was added to global group {TargetUserName}: {MemberName}"
    "[ by {SubjectUserName}]",
    ("Security", 4732): "A member was added to local group {TargetUserName}: {MemberName}"
    "[ by {SubjectUserName}]",
    ("Security", 4738): "A user account was changed: {TargetUserName}[ by {SubjectUserName}]",
    ("Security", 4740): "A user account was locked out: {TargetUserName}"
    "[ (caller {TargetDomainName})]",
    ("Security", 4756): "A member was added to universal group {TargetUserName}: {MemberName}"
    "[ by {SubjectUserName}]",
    ("Security", 4768): "A Kerberos ticket (TGT) was requested: user {TargetUserName}"
    "[ from {IpAddress}][, result {Status}]",
    ("Security", 4769): "A Kerberos service ticket was requested: {ServiceName} for "
    "{TargetUserName}[ from {IpAddress}][, result {Status}]",
    ("Security", 4771): "Kerberos pre-authentication failed: user {TargetUserName}"
    "[ from {IpAddress}][, result {Status}]",
    ("Security", 4776): "Credential validation: user {TargetUserName}[ from {Workstation}]"
    "[, result {Status}]",
    ("Security", 4663): "An object was accessed: {ObjectName}[ by {ProcessName}]"
    "[ as {SubjectUserName}]",
    ("Security", 5140): "A network share was accessed: {ShareName}[ by {SubjectUserName}]"
    "[ from {IpAddress}]",
    ("Security", 5145): "A network share object was checked: {ShareName}\\{RelativeTargetName}"
    "[ by {SubjectUserName}][ from {IpAddress}]",
    ("Security", 5156): "A connection was allowed: {Application}[ {SourceAddress}:"
    "{SourcePort} to {DestAddress}:{DestPort}]",
    ("System", 104): "The {Channel} log was cleared[ by {SubjectDomainName}\\{SubjectUserName}]",
    ("System", 7036): "The {param1} service entered the {param2} state",
    ("System", 7045): "A service was installed: {ServiceName}[ ({ImagePath})][ as {AccountName}]",
    (SYSMON, 1): "Process created: {Image}[ ({CommandLine})][ by {User}]",
    (SYSMON, 3): "Network connection: {Image}[ {SourceIp}:{SourcePort}] to "
    "{DestinationIp}:{DestinationPort}[ ({DestinationHostname})]",
    (SYSMON, 5): "Process ended: {Image}",
    (SYSMON, 6): "Driver loaded: {ImageLoaded}",
    (SYSMON, 7): "Image loaded: {ImageLoaded}[ by {Image}]",
    (SYSMON, 8): "Remote thread created: {SourceImage} into {TargetImage}",
    (SYSMON, 10): "Process accessed: {TargetImage}[ by {SourceImage}]",
    (SYSMON, 11): "File created: {TargetFilename}[ by {Image}]",
    (SYSMON, 12): "Registry key or value {EventType}: {TargetObject}[ by {Image}]",
    (SYSMON, 13): "Registry value set: {TargetObject}[ to {Details}][ by {Image}]",
    (SYSMON, 14): "Registry key or value renamed: {TargetObject}[ to {NewName}][ by {Image}]",
    (SYSMON, 15): "File stream created: {TargetFilename}[ by {Image}]",
    (SYSMON, 17): "Pipe created: {PipeName}[ by {Image}]",
    (SYSMON, 18): "Pipe connected: {PipeName}[ by {Image}]",
    (SYSMON, 22): "DNS query: {QueryName}[ by {Image}][ answered {QueryResults}]",
    (SYSMON, 23): "File deleted: {TargetFilename}[ by {Image}]",
    (SYSMON, 25): "Process tampering: {Image}[ ({Type})]",
    (SYSMON, 26): "File deleted: {TargetFilename}[ by {Image}]",
    (DEFENDER, 1116): "Malware detected: {ThreatName}[ in {Path}][ by {ProcessName}]",
    (DEFENDER, 1117): "Action taken on malware: {ThreatName}[ in {Path}][ ({ActionName})]",
    (DEFENDER, 5001): "Real-time protection was disabled",
    (DEFENDER, 5007): "Configuration changed: [{OldValue} to ]{NewValue}",
}
MAX_LENGTH = 300
_PART = re.compile(r"\[([^\]]*)\]|([^\[]+)")
_FIELD = re.compile(r"\{([^{}]+)\}")


def templated_sql(
    channel: str,
    event_id: str,
    field: Callable[[str], str | None],
    present: Collection[tuple[str, int]],
) -> str:
    """SQL for the message of an event that has a template; NULL for other events.

    `channel` and `event_id` are SQL for those values, `field(name)` the SQL of an EventData
    or UserData field (None when the batch has no such field), and `present` the (channel,
    event id) pairs of the batch: only their templates are written out, since a statement
    with every template takes longer to plan than to run.
    """
    by_channel: dict[str, list[str]] = {}
    for key in sorted(set(present) & TEMPLATES.keys()):
        by_channel.setdefault(key[0], []).append(
            f"WHEN {key[1]} THEN {_template_sql(TEMPLATES[key], field)}"
        )
    if not by_channel:
        return "NULL::VARCHAR"
    return "CASE {} {} END".format(
        channel,
        " ".join(
            f"WHEN {quote_text(name)} THEN CASE {event_id} {' '.join(branches)} END"
            for name, branches in by_channel.items()
        ),
    )


def message_sql(
    templated: str,
    provider: str,
    event_id: str,
    pairs: Sequence[tuple[str, str]],
    data_text: str | None,
) -> str:
    """SQL for the message of a Windows event without one of its own.

    `templated` is the column holding `templated_sql`, worked out beforehand so that it is
    evaluated once; `provider` and `event_id` are SQL for those values, `pairs` the names and
    SQL of the batch's EventData and UserData fields in order, and `data_text` the SQL for
    the text of unnamed Data.
    """
    # CASE evaluates only the branch taken, so rows with a template skip the pairs
    shown = [
        f"{quote_text(clean_field_name(name) + '=')} || {_value(expression)}"
        for name, expression in pairs
    ]
    if data_text is not None:  # one value a line: one after another, with commas
        shown.append(
            f"nullif(trim(regexp_replace({data_text}, '\\s*\\n\\s*', ', ', 'g'), ', '), '')"
        )
    listed = f"nullif(concat_ws(' ', {', '.join(shown)}), '')" if shown else "NULL"
    bare = (
        f"CASE WHEN {provider} IS NOT NULL OR {event_id} IS NOT NULL "
        f"THEN concat_ws(' ', {provider}, 'event', {event_id}) END"
    )
    return _one_line(
        f"CASE WHEN {templated} IS NOT NULL THEN {templated} ELSE coalesce({listed}, {bare}) END"
    )


def _template_sql(template: str, field: Callable[[str], str | None]) -> str:
    # `||` gives NULL when a value is absent, which drops an optional part; concat() keeps
    # the rest
    parts = []
    for optional, plain in _PART.findall(template):
        text = optional or plain
        pieces: list[str] = []
        at = 0
        for match in _FIELD.finditer(text):
            if match.start() > at:
                pieces.append(quote_text(text[at : match.start()]))
            value = _value(field(match.group(1)))
            pieces.append(value if optional else f"coalesce({value}, '-')")
            at = match.end()
        if at < len(text):
            pieces.append(quote_text(text[at:]))
        parts.append(" || ".join(pieces) if len(pieces) > 1 else pieces[0])
    return f"concat({', '.join(parts)})" if len(parts) > 1 else parts[0]


def _value(expression: str | None) -> str:
    if expression is None:
        return "NULL::VARCHAR"
    return f"nullif(nullif({expression}, '-'), '')"


def _one_line(text: str) -> str:
    """The text on one line of at most MAX_LENGTH characters."""
    flat = f"trim(replace(replace(replace({text}, chr(13), ''), chr(10), ' '), chr(9), ' '))"
    # a one-item list, so the text is worked out once, then measured
    return (
        f"list_transform([{flat}], lambda t: CASE WHEN length(t) > {MAX_LENGTH} "
        f"THEN left(t, {MAX_LENGTH - 1}) || '…' ELSE t END)[1]"
    )
