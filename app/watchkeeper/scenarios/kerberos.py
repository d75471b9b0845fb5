"""Kerberos on the domain controller: TGT requests (4768) and service tickets (4769)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from watchkeeper.scenarios.clock import time_of_day
from watchkeeper.scenarios.logon_sessions import Who
from watchkeeper.scenarios.nxlog import SECURITY, Slot
from watchkeeper.scenarios.office import DOMAIN, DOMAIN_SID, REALM
from watchkeeper.scenarios.sources import EPHEMERAL_PORTS, Action, Activity

if TYPE_CHECKING:
    from watchkeeper.scenarios.windows import WindowsSource

Pool = tuple[tuple[str, str, str, str, str], ...]  # name, SID, address, UPN, address as IPv6


def kerberos(src: WindowsSource, weight: float, who: Sequence[Who], *, service: bool) -> Activity:
    """A TGT request (4768), or a service ticket (4769) for the DC or the file server."""
    pool = tuple((w.name, w.sid, w.ip, f"{w.name}@{REALM}", f"::ffff:{w.ip}") for w in who)
    if service:
        return Activity(weight, _service_ticket(src, _service_ticket_pieces(src), pool))
    return Activity(weight, _tgt(src, _tgt_pieces(src), pool))


def _service_ticket_pieces(src: WindowsSource) -> tuple[str, ...]:
    """4769's text around its slots: who asks for a ticket to which service, from where."""
    template = src.template(
        "4769",
        (
            "A Kerberos service ticket was requested.\r\n\r\nAccount Information:\r\n"
            f"\tAccount Name:\t\t«user»@{REALM}\r\n\tAccount Domain:\t\t{REALM}\r\n\r\n"
            "Service Information:\r\n\tService Name:\t\t«svc»\r\n\r\nNetwork Information:\r\n"
            "\tClient Address:\t\t::ffff:«ip»\r\n\tClient Port:\t\t«port»"
        ),
        (
            ("TargetUserName", Slot("upn")),
            ("TargetDomainName", REALM),
            ("ServiceName", Slot("svc")),
            ("ServiceSid", Slot("svcsid")),
            ("TicketOptions", "0x40810000"),
            ("TicketEncryptionType", "0x12"),
            ("IpAddress", Slot("kip")),
            ("IpPort", Slot("port")),
            ("Status", "0x0"),
            ("LogonGuid", src.guid()),
            ("TransmittedServices", "-"),
        ),
    )
    return template.expect(
        "time",
        "rec",
        "tid",
        "user",
        "svc",
        "ip",
        "port",
        "upn",
        "svc",
        "svcsid",
        "kip",
        "port",
        "time",
    )


def _tgt_pieces(src: WindowsSource) -> tuple[str, ...]:
    """4768's text around its slots: who asks for a TGT, from where."""
    template = src.template(
        "4768",
        (
            "A Kerberos authentication ticket (TGT) was requested.\r\n\r\nAccount Information:\r\n"
            f"\tAccount Name:\t\t«user»\r\n\tSupplied Realm Name:\t{DOMAIN}\r\n\tUser ID:\t\t\t«sid»\r\n\r\n"
            "Service Information:\r\n\tService Name:\t\tkrbtgt\r\n\r\nNetwork Information:\r\n"
            "\tClient Address:\t\t::ffff:«ip»\r\n\tClient Port:\t\t«port»"
        ),
        (
            ("TargetUserName", Slot("user")),
            ("TargetDomainName", DOMAIN),
            ("TargetSid", Slot("sid")),
            ("ServiceName", "krbtgt"),
            ("ServiceSid", f"{DOMAIN_SID}-502"),
            ("TicketOptions", "0x40810010"),
            ("Status", "0x0"),
            ("TicketEncryptionType", "0x12"),
            ("PreAuthType", "2"),
            ("IpAddress", Slot("kip")),
            ("IpPort", Slot("port")),
            ("CertIssuerName", ""),
            ("CertSerialNumber", ""),
            ("CertThumbprint", ""),
        ),
    )
    return template.expect(
        "time", "rec", "tid", "user", "sid", "ip", "port", "user", "sid", "kip", "port", "time"
    )


def _service_ticket(src: WindowsSource, p: tuple[str, ...], pool: Pool) -> Action:
    """4769 for the DC, the file server or krbtgt."""
    services = (
        ("DC01$", f"{DOMAIN_SID}-1000"),
        ("FILES01$", f"{DOMAIN_SID}-1301"),
        ("krbtgt", f"{DOMAIN_SID}-502"),
    )
    write, rec, tids = src.write, src.records[SECURITY], src.tids("4768")
    days, seconds = src.clock.windows, time_of_day()
    bits, rand, join = src.rng.getrandbits, src.rng.random, "".join
    count = len(pool)

    def ticket(t: int) -> int:
        s = t // 1000
        et = days[s // 86400] + seconds[s % 86400]
        user, _, ip, upn, kip = pool[int(rand() * count)]
        port = EPHEMERAL_PORTS[bits(14)]
        svc, svcsid = services[bits(2) % 3]
        write(
            join(
                (
                    p[0],
                    et,
                    p[1],
                    str(rec()),
                    p[2],
                    tids[bits(3)],
                    p[3],
                    user,
                    p[4],
                    svc,
                    p[5],
                    ip,
                    p[6],
                    port,
                    p[7],
                    upn,
                    p[8],
                    svc,
                    p[9],
                    svcsid,
                    p[10],
                    kip,
                    p[11],
                    port,
                    p[12],
                    et,
                    p[13],
                )
            )
        )
        return 1

    return ticket


def _tgt(src: WindowsSource, p: tuple[str, ...], pool: Pool) -> Action:
    """4768 for a person or a computer."""
    write, rec, tids = src.write, src.records[SECURITY], src.tids("4768")
    days, seconds = src.clock.windows, time_of_day()
    bits, rand, join = src.rng.getrandbits, src.rng.random, "".join
    count = len(pool)

    def ticket(t: int) -> int:
        s = t // 1000
        et = days[s // 86400] + seconds[s % 86400]
        user, sid, ip, _, kip = pool[int(rand() * count)]
        port = EPHEMERAL_PORTS[bits(14)]
        write(
            join(
                (
                    p[0],
                    et,
                    p[1],
                    str(rec()),
                    p[2],
                    tids[bits(3)],
                    p[3],
                    user,
                    p[4],
                    sid,
                    p[5],
                    ip,
                    p[6],
                    port,
                    p[7],
                    user,
                    p[8],
                    sid,
                    p[9],
                    kip,
                    p[10],
                    port,
                    p[11],
                    et,
                    p[12],
                )
            )
        )
        return 1

    return ticket
