"""Sysmon on a Windows host: the mix of its events, and connections (3), DNS (22) and files (11)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from watchkeeper.scenarios import catalog, destinations
from watchkeeper.scenarios.catalog import PROGRAMS
from watchkeeper.scenarios.clock import milliseconds, time_of_day
from watchkeeper.scenarios.nxlog import SYSMON, SYSTEM_ACCOUNT, Slot, escape
from watchkeeper.scenarios.programs import Program
from watchkeeper.scenarios.sources import EPHEMERAL_PORTS, Action, Activity
from watchkeeper.scenarios.sysmon_processes import process_create, process_end

if TYPE_CHECKING:
    from watchkeeper.scenarios.windows import WindowsSource

PORT_NAMES = {443: "https", 80: "http", 445: "microsoft-ds", 389: "ldap", 88: "kerberos"}


def sysmon_activity(
    src: WindowsSource, programs: Sequence[tuple[float, str]], *, people: bool, scale: float
) -> list[Activity]:
    """Process starts and ends, connections, DNS queries and file creations."""
    activities: list[Activity] = []
    for weight, key in programs:
        program = PROGRAMS[key]
        activities.append(Activity(weight * 1.2 * scale, process_create(src, program), sysmon=True))
        activities.append(Activity(weight * 0.6 * scale, process_end(src, program), sysmon=True))
    for key in destinations.PEOPLE_CONNECTIONS if people else destinations.SYSTEM_CONNECTIONS:
        program = PROGRAMS[key]
        targets = destinations.DESTINATIONS[key]
        for ip, port, name in targets:
            activities.append(
                Activity(
                    3.0 * scale / len(targets),
                    _connection(src, program, ip, port, name),
                    sysmon=True,
                )
            )
    for key, query, results in destinations.DNS_QUERIES:
        program = PROGRAMS[key]
        if program.system == people:
            continue
        activities.append(Activity(1.5 * scale, _dns(src, program, query, results), sysmon=True))
    for key, pattern in catalog.FILES if people else catalog.SYSTEM_FILES:
        activities.append(Activity(2.5 * scale, _file(src, PROGRAMS[key], pattern), sysmon=True))
    return activities


def _connection(src: WindowsSource, program: Program, ip: str, port: int, name: str) -> Action:
    """Sysmon 3: the program's long-running process connects out from an ephemeral port."""
    guid, pid = src.instance(program.key)
    user = src.runs_as(program)
    template = src.template(
        "sysmon3",
        (
            f"Network connection detected:\r\nRuleName: -\r\nUtcTime: «utc»\r\nImage: {program.image}\r\n"
            f"DestinationIp: {ip}\r\nDestinationPort: {port}"
        ),
        (
            ("RuleName", "-"),
            ("UtcTime", Slot("utc")),
            ("ProcessGuid", guid),
            ("ProcessId", pid),
            ("Image", program.image),
            ("User", user),
            ("Protocol", "tcp"),
            ("Initiated", "true"),
            ("SourceIsIpv6", "false"),
            ("SourceIp", src.host.ip),
            ("SourceHostname", src.host.fqdn),
            ("SourcePort", Slot("port")),
            ("SourcePortName", "-"),
            ("DestinationIsIpv6", "false"),
            ("DestinationIp", ip),
            ("DestinationHostname", name),
            ("DestinationPort", str(port)),
            ("DestinationPortName", PORT_NAMES.get(port, "-")),
        ),
        account=SYSTEM_ACCOUNT,
    )
    p = template.expect("time", "rec", "tid", "utc", "utc", "port", "time")
    write, rec, tids = src.write, src.records[SYSMON], src.tids("sysmon3")
    days, seconds, millis = src.clock.windows, time_of_day(), milliseconds()
    bits, join = src.rng.getrandbits, "".join
    ports = EPHEMERAL_PORTS

    def connect(t: int) -> int:
        s = t // 1000
        et = days[s // 86400] + seconds[s % 86400]
        utc = et + millis[t % 1000]
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
                    utc,
                    p[4],
                    utc,
                    p[5],
                    ports[bits(14)],
                    p[6],
                    et,
                    p[7],
                )
            )
        )
        return 1

    return connect


def _dns(src: WindowsSource, program: Program, query: str, results: str) -> Action:
    """Sysmon 22: the program's process resolves a name."""
    guid, pid = src.instance(program.key)
    user = src.runs_as(program)
    template = src.template(
        "sysmon22",
        (
            f"Dns query:\r\nRuleName: -\r\nUtcTime: «utc»\r\nQueryName: {query}\r\n"
            f"Image: {program.image}"
        ),
        (
            ("RuleName", "-"),
            ("UtcTime", Slot("utc")),
            ("ProcessGuid", guid),
            ("ProcessId", pid),
            ("QueryName", query),
            ("QueryStatus", "0"),
            ("QueryResults", results),
            ("Image", program.image),
            ("User", user),
        ),
        account=SYSTEM_ACCOUNT,
    )
    return src.stamped(template, "sysmon22")


def _file(src: WindowsSource, program: Program, pattern: str) -> Action:
    """Sysmon 11: the program creates one of the files its pattern names on this host."""
    guid, pid = src.instance(program.key)
    user = src.runs_as(program)
    names = [
        escape(text) for n in range(24) for text in src.expand(pattern, src.rng.getrandbits(40))
    ][:48]
    template = src.template(
        "sysmon11",
        (
            f"File created:\r\nRuleName: -\r\nUtcTime: «utc»\r\nImage: {program.image}\r\n"
            "TargetFilename: «file»"
        ),
        (
            ("RuleName", "-"),
            ("UtcTime", Slot("utc")),
            ("ProcessGuid", guid),
            ("ProcessId", pid),
            ("Image", program.image),
            ("TargetFilename", Slot("file")),
            ("CreationUtcTime", Slot("utc")),
            ("User", user),
        ),
        account=SYSTEM_ACCOUNT,
    )
    p = template.expect("time", "rec", "tid", "utc", "file", "utc", "file", "utc", "time")
    write, rec, tids = src.write, src.records[SYSMON], src.tids("sysmon11")
    days, seconds, millis = src.clock.windows, time_of_day(), milliseconds()
    bits, rand, join = src.rng.getrandbits, src.rng.random, "".join
    count = len(names)

    def create(t: int) -> int:
        s = t // 1000
        et = days[s // 86400] + seconds[s % 86400]
        utc = et + millis[t % 1000]
        name = names[int(rand() * count)]
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
                    utc,
                    p[4],
                    name,
                    p[5],
                    utc,
                    p[6],
                    name,
                    p[7],
                    utc,
                    p[8],
                    et,
                    p[9],
                )
            )
        )
        return 1

    return create
