"""A Windows PC or the domain controller: Sysmon, System and PowerShell activity, as NXLog JSON."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from watchkeeper.scenarios import catalog, eventlogs, people_programs, system_programs
from watchkeeper.scenarios.clock import Clock, milliseconds, time_of_day
from watchkeeper.scenarios.nxlog import (
    CHANNELS,
    KINDS,
    Account,
    Slot,
    Template,
    build,
    guid_prefix,
)
from watchkeeper.scenarios.office import (
    DC_RHYTHM,
    DOMAIN,
    PC_RHYTHM,
    USER_BY_NAME,
    WIN10,
    WIN11,
    User,
    WindowsHost,
)
from watchkeeper.scenarios.programs import Program
from watchkeeper.scenarios.sources import Action, Activity, Source, StoryLine
from watchkeeper.scenarios.sysmon import sysmon_activity

WINVER = {
    WIN10: "10.0.19041.5072 (WinBuild.160101.0800)",
    WIN11: "10.0.22621.4317 (WinBuild.160101.0800)",
    "Windows Server 2022": "10.0.20348.2849 (WinBuild.160101.0800)",
}
_NUMBER = re.compile(r"\{n(?::([^}]*))?\}")


@dataclass(frozen=True)
class WinRecord:
    """A story's Windows event: its kind (a key of nxlog.KINDS), EventData and message."""

    kind: str
    fields: tuple[tuple[str, object], ...]
    message: str
    process_id: int | None = None  # None: the provider's usual process on the host
    account: Account | None = None


class WindowsSource(Source):
    """One Windows host's event logs, forwarded by NXLog into one JSON-lines file."""

    def __init__(self, host: WindowsHost, clock: Clock, rng: random.Random, share: float) -> None:
        super().__init__(host.path, share, DC_RHYTHM if host.is_dc else PC_RHYTHM, clock, rng)
        self.host = host
        self.owner: User | None = USER_BY_NAME[host.owner] if host.owner else None
        self.winver = WINVER[host.os]
        # A log that has been running for months does not start at record 1.
        self.records: dict[str, Callable[[], int]] = {
            channel: itertools.count(rng.randrange(20_000, 2_000_000)).__next__
            for channel in CHANNELS
        }
        self.provider_pids = {
            "Microsoft-Windows-Security-Auditing": 4 * rng.randrange(150, 220),  # lsass
            "Microsoft-Windows-Sysmon": 4 * rng.randrange(700, 1100),
            "Service Control Manager": 4 * rng.randrange(150, 200),  # services.exe
            "Microsoft-Windows-Eventlog": 4 * rng.randrange(300, 500),
            "Microsoft-Windows-PowerShell": 4 * rng.randrange(1500, 4000),
        }
        self.thread_ids = {
            provider: tuple(str(4 * rng.randrange(100, 3000)) for _ in range(8))
            for provider in self.provider_pids
        }
        self.guid_prefix = guid_prefix(host)
        self.logon_id = f"0x{rng.randrange(0x100000, 0xFFFFFF):x}"  # the owner's desktop session
        self.logon_guid = self.guid()
        self.sysmon_off: list[tuple[int, int]] = []  # windows where a story stopped Sysmon
        self._instances: dict[str, tuple[str, str]] = {}
        self._people: list[Activity] = []
        self._background: list[Activity] = []

    # -- identities -------------------------------------------------------------------------

    def guid(self) -> str:
        bits = self.rng.getrandbits(64)
        return (
            f"{{{self.guid_prefix}-{bits & 0xFFFF:04x}-{bits >> 16 & 0xFFFF:04x}-"
            f"{bits >> 32 & 0xFFFF:04x}-0000000{bits >> 48 & 0xFFFF:04x}0}}"
        )

    def instance(self, key: str) -> tuple[str, str]:
        """(ProcessGuid, ProcessId) of a long-running process, such as the user's browser."""
        found = self._instances.get(key)
        if found is None:
            found = (self.guid(), str(4 * self.rng.randrange(100, 4000)))
            self._instances[key] = found
        return found

    def runs_as(self, program: Program) -> str:
        """Sysmon's User field for a program."""
        if program.system or self.owner is None:
            return "NT AUTHORITY\\SYSTEM"
        return f"{DOMAIN}\\{self.owner.name}"

    def account(self, user: User) -> Account:
        return Account(DOMAIN, user.name, user.sid)

    def expand(self, pattern: str, n: int = 0) -> list[str]:
        """A catalogue pattern made concrete for this host: one text per document name.

        Plain replacement, not str.format: command lines carry literal braces (CLSIDs).
        """
        home = self.owner.home if self.owner else "C:\\Windows\\ServiceProfiles\\LocalService"
        name = self.owner.name if self.owner else "administrator"
        docs = catalog.DOCUMENTS[self.owner.department] if self.owner else ("report",)
        text = (
            pattern.replace("{home}", home)
            .replace("{user}", name)
            .replace("{winver}", self.winver)
            .replace("{exe}", "SVCHOST.EXE")
        )
        text = _NUMBER.sub(lambda m: format(n, m.group(1) or "d"), text)
        if "{doc}" not in text:
            return [text]
        return [text.replace("{doc}", doc) for doc in docs]

    # -- templates ----------------------------------------------------------------------------

    def template(
        self,
        kind: str,
        message: str,
        fields: Sequence[tuple[str, object]],
        *,
        process_id: int | Slot | None = None,
        account: Account | None = None,
    ) -> Template:
        spec = KINDS[kind]
        pid = self.provider_pids[spec.provider.name] if process_id is None else process_id
        return build(
            self.host, spec, process_id=pid, message=message, fields=fields, account=account
        )

    def record_counter(self, kind: str) -> Callable[[], int]:
        return self.records[KINDS[kind].channel]

    def tids(self, kind: str) -> tuple[str, ...]:
        return self.thread_ids[KINDS[kind].provider.name]

    def write_story(self, line: StoryLine) -> None:
        record = line.payload
        if not isinstance(record, WinRecord):
            raise TypeError(f"{self.path}: not a Windows record: {record!r}")
        template = self.template(
            record.kind,
            record.message,
            record.fields,
            process_id=record.process_id,
            account=record.account,
        )
        self.write(
            template.fill(
                {
                    "time": self.clock.windows_stamp(line.t_ms),
                    "rec": str(self.record_counter(record.kind)()),
                    "tid": self.tids(record.kind)[0],
                }
            )
        )

    # -- activity -----------------------------------------------------------------------------

    def start(self, write: Callable[[str], object]) -> None:
        super().start(write)
        self._people, self._background = [], []
        if self.host.is_dc:
            self._people += eventlogs.dc_people(self)
            self._background += eventlogs.dc_background(self)
            self._background += sysmon_activity(
                self, system_programs.SYSTEM_PROGRAMS, people=False, scale=0.4
            )
        else:
            self._people += eventlogs.pc_people(self)
            self._background += eventlogs.pc_background(self)
            programs: tuple[tuple[float, str], ...] = people_programs.PEOPLE_PROGRAMS
            if self.owner is not None and self.owner.admin:
                programs = (*programs, *people_programs.ADMIN_PROGRAMS)
            self._people += sysmon_activity(self, programs, people=True, scale=1.0)
            self._background += sysmon_activity(
                self, system_programs.SYSTEM_PROGRAMS, people=False, scale=1.0
            )
            if self.owner is not None and self.owner.admin:
                self._people += eventlogs.admin_scripts(self)
        self._background += eventlogs.system_activity(self)

    def people(self) -> list[Activity]:
        return self._people

    def background(self) -> list[Activity]:
        return self._background

    def filler(self) -> Action:
        return self._background[0].action

    def breakpoints(self) -> list[int]:
        return [t for window in self.sysmon_off for t in window]

    def mode_at(self, t_ms: int) -> object:
        return any(start <= t_ms < end for start, end in self.sysmon_off)

    def _filter(self, activities: list[Activity], mode: object) -> list[Activity]:
        return [a for a in activities if not a.sysmon] if mode else activities

    def stamped(self, template: Template, kind: str) -> Action:
        """An event whose only per-event values are its time (and Sysmon's UtcTime)."""
        write, rec, tids = self.write, self.record_counter(kind), self.tids(kind)
        days, seconds, millis = self.clock.windows, time_of_day(), milliseconds()
        bits, join = self.rng.getrandbits, "".join
        if template.slots == ("time", "rec", "tid", "utc", "utc", "time"):
            p = template.pieces

            def stamped_utc(t: int) -> int:
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
                            et,
                            p[6],
                        )
                    )
                )
                return 1

            return stamped_utc
        q = template.expect("time", "rec", "tid", "time")

        def stamped(t: int) -> int:
            s = t // 1000
            et = days[s // 86400] + seconds[s % 86400]
            write(join((q[0], et, q[1], str(rec()), q[2], tids[bits(3)], q[3], et, q[4])))
            return 1

        return stamped
