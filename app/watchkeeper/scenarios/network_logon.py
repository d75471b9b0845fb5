"""A network logon with NTLM as the stories write it: event 4624's fields and message."""

from __future__ import annotations

from watchkeeper.scenarios.office import DOMAIN, WindowsHost


def logon_fields(
    name: str, sid: str, lid: str, source: WindowsHost, port: int
) -> tuple[tuple[str, object], ...]:
    return (
        ("SubjectUserSid", "S-1-0-0"),
        ("SubjectUserName", "-"),
        ("SubjectDomainName", "-"),
        ("SubjectLogonId", "0x0"),
        ("TargetUserSid", sid),
        ("TargetUserName", name),
        ("TargetDomainName", DOMAIN),
        ("TargetLogonId", lid),
        ("LogonType", "3"),
        ("LogonProcessName", "NtLmSsp "),
        ("AuthenticationPackageName", "NTLM"),
        ("WorkstationName", source.name),
        ("LogonGuid", "{00000000-0000-0000-0000-000000000000}"),
        ("TransmittedServices", "-"),
        ("LmPackageName", "NTLM V2"),
        ("KeyLength", "128"),
        ("ProcessId", "0x0"),
        ("ProcessName", "-"),
        ("IpAddress", source.ip),
        ("IpPort", str(port)),
        ("ImpersonationLevel", "%%1833"),
        ("RestrictedAdminMode", "-"),
        ("TargetOutboundUserName", "-"),
        ("TargetOutboundDomainName", "-"),
        ("VirtualAccount", "%%1843"),
        ("TargetLinkedLogonId", "0x0"),
        ("ElevatedToken", "%%1842"),
    )


def logon_message(name: str, sid: str, lid: str, source: WindowsHost, port: int) -> str:
    return (
        "An account was successfully logged on.\r\n\r\nLogon Information:\r\n\tLogon Type:\t\t3\r\n\r\n"
        f"New Logon:\r\n\tSecurity ID:\t\t{sid}\r\n\tAccount Name:\t\t{name}\r\n\tAccount Domain:\t\t{DOMAIN}"
        f"\r\n\tLogon ID:\t\t{lid}\r\n\r\nNetwork Information:\r\n\tWorkstation Name:\t{source.name}\r\n"
        f"\tSource Network Address:\t{source.ip}\r\n\tSource Port:\t\t{port}"
    )
