"""Sysmon's process events on a Windows host: process creation (1) and termination (5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchkeeper.scenarios.catalog import PROGRAMS
from watchkeeper.scenarios.clock import milliseconds, time_of_day
from watchkeeper.scenarios.nxlog import SYSMON, SYSTEM_ACCOUNT, Slot, escape
from watchkeeper.scenarios.office import DOMAIN
from watchkeeper.scenarios.programs import Program
from watchkeeper.scenarios.sources import Action, hex4

if TYPE_CHECKING:
    from watchkeeper.scenarios.windows import WindowsSource


def process_create(src: WindowsSource, program: Program) -> Action:
    """Sysmon 1 for a program: one of its command lines, started by its usual parent."""
    parent = PROGRAMS[program.parent]
    parent_guid, parent_pid = src.instance(parent.key)
    user = src.runs_as(program)
    commands = [escape(text) for pattern in program.command_lines for text in src.expand(pattern)]
    parent_command = src.expand(parent.command_lines[0])[0]
    image = program.image
    template = src.template(
        "sysmon1",
        (
            "Process Create:\r\nRuleName: -\r\nUtcTime: «utc»\r\nProcessId: «pid»\r\n"
            f"Image: {image}\r\nUser: {user}"
        ),
        (
            ("RuleName", "-"),
            ("UtcTime", Slot("utc")),
            ("ProcessGuid", Slot("guid")),
            ("ProcessId", Slot("pid")),
            ("Image", image),
            ("FileVersion", program.version.replace("{winver}", src.winver)),
            ("Description", program.description),
            ("Product", program.product),
            ("Company", program.company),
            ("OriginalFileName", program.original),
            ("CommandLine", Slot("cmd")),
            (
                "CurrentDirectory",
                (src.owner.home + "\\")
                if user.startswith(DOMAIN) and src.owner
                else "C:\\Windows\\system32\\",
            ),
            ("User", user),
            (
                "LogonGuid",
                src.logon_guid
                if user.startswith(DOMAIN)
                else f"{{{src.guid_prefix}-0000-0000-e703-000000000000}}",
            ),
            ("LogonId", src.logon_id if user.startswith(DOMAIN) else "0x3e7"),
            ("TerminalSessionId", "1" if user.startswith(DOMAIN) else "0"),
            ("IntegrityLevel", program.integrity),
            ("Hashes", program.hashes(src.winver)),
            ("ParentProcessGuid", parent_guid),
            ("ParentProcessId", parent_pid),
            ("ParentImage", parent.image),
            ("ParentCommandLine", parent_command),
            ("ParentUser", src.runs_as(parent)),
        ),
        account=SYSTEM_ACCOUNT,
    )
    p = template.expect("time", "rec", "tid", "utc", "pid", "utc", "guid", "pid", "cmd", "time")
    return _process_action(src, p, commands)


def _process_action(src: WindowsSource, p: tuple[str, ...], commands: list[str]) -> Action:
    """Writes a process creation: a new guid and pid, a command line drawn from `commands`."""
    write, rec, tids = src.write, src.records[SYSMON], src.tids("sysmon1")
    days, seconds, millis, h4 = src.clock.windows, time_of_day(), milliseconds(), hex4()
    bits, rand, join = src.rng.getrandbits, src.rng.random, "".join
    prefix = "{" + src.guid_prefix + "-"
    count = len(commands)

    def process(t: int) -> int:
        s = t // 1000
        et = days[s // 86400] + seconds[s % 86400]
        utc = et + millis[t % 1000]
        guid = join(
            (
                prefix,
                h4[s & 0xFFFF],
                "-",
                h4[(s >> 16) & 0xFFFF],
                "-",
                h4[bits(16)],
                "-00000000",
                h4[bits(16)],
                "}",
            )
        )
        pid = str((bits(13) + 64) << 2)
        cmd = commands[int(rand() * count)]
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
                    pid,
                    p[5],
                    utc,
                    p[6],
                    guid,
                    p[7],
                    pid,
                    p[8],
                    cmd,
                    p[9],
                    et,
                    p[10],
                )
            )
        )
        return 1

    return process


def process_end(src: WindowsSource, program: Program) -> Action:
    """Sysmon 5 for a program that started up to an hour before."""
    user = src.runs_as(program)
    template = src.template(
        "sysmon5",
        (
            "Process terminated:\r\nRuleName: -\r\nUtcTime: «utc»\r\nProcessId: «pid»\r\n"
            f"Image: {program.image}"
        ),
        (
            ("RuleName", "-"),
            ("UtcTime", Slot("utc")),
            ("ProcessGuid", Slot("guid")),
            ("ProcessId", Slot("pid")),
            ("Image", program.image),
            ("User", user),
        ),
        account=SYSTEM_ACCOUNT,
    )
    p = template.expect("time", "rec", "tid", "utc", "pid", "utc", "guid", "pid", "time")
    write, rec, tids = src.write, src.records[SYSMON], src.tids("sysmon5")
    days, seconds, millis, h4 = src.clock.windows, time_of_day(), milliseconds(), hex4()
    bits, join = src.rng.getrandbits, "".join
    prefix = "{" + src.guid_prefix + "-"

    def end(t: int) -> int:
        s = t // 1000
        et = days[s // 86400] + seconds[s % 86400]
        utc = et + millis[t % 1000]
        born = s - bits(12)  # started up to an hour before
        guid = join(
            (
                prefix,
                h4[born & 0xFFFF],
                "-",
                h4[(born >> 16) & 0xFFFF],
                "-",
                h4[bits(16)],
                "-00000000",
                h4[bits(16)],
                "}",
            )
        )
        pid = str((bits(13) + 64) << 2)
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
                    pid,
                    p[5],
                    utc,
                    p[6],
                    guid,
                    p[7],
                    pid,
                    p[8],
                    et,
                    p[9],
                )
            )
        )
        return 1

    return end
