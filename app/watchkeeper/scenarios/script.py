"""A story's pen: writes its lines in each source's own shape and sums up what it did."""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass, field

from watchkeeper.scenarios.clock import Clock, from_ms
from watchkeeper.scenarios.linux_audit import AuditRecord
from watchkeeper.scenarios.linux_syslog import SyslogLine
from watchkeeper.scenarios.network import Packet
from watchkeeper.scenarios.nxlog import SYSTEM_ACCOUNT, Account, guid_prefix
from watchkeeper.scenarios.office import DOMAIN, USER_BY_NAME, WindowsHost
from watchkeeper.scenarios.sources import StoryLine
from watchkeeper.scenarios.summary import Story
from watchkeeper.scenarios.windows import WinRecord

MINUTE_MS = 60_000
FIREWALL = "network/fw01.log"


@dataclass
class Plan:
    """Every story line, the stories' summaries, and where a story silenced Sysmon."""

    lines: list[StoryLine] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)
    sysmon_off: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


class Script:
    """Writes one story's lines in the sources' own shapes."""

    def __init__(self, plan: Plan, clock: Clock, rng: random.Random) -> None:
        self.plan = plan
        self.clock = clock
        self.rng = rng
        self.first = len(plan.lines)
        self.hosts: set[str] = set()

    def add(self, t: int, host: str, path: str, payload: object) -> None:
        self.hosts.add(host)
        self.plan.lines.append(StoryLine(t, path, payload))

    def win(
        self,
        t: int,
        host: WindowsHost,
        kind: str,
        message: str,
        fields: tuple[tuple[str, object], ...],
        *,
        process_id: int | None = None,
        account: Account | None = None,
    ) -> None:
        self.add(t, host.name, host.path, WinRecord(kind, fields, message, process_id, account))

    def syslog(
        self, t: int, host: str, file: str, program: str, pid: int | None, text: str
    ) -> None:
        self.add(t, host, f"linux/{host}-{file}.log", SyslogLine(program, pid, text))

    def audit(self, t: int, kind: str, body: str, *, first: bool = True) -> None:
        self.add(t, "files01", "linux/files01-audit.log", AuditRecord(kind, body, first))

    def packet(self, t: int, packet: Packet) -> None:
        self.add(t, "fw01", FIREWALL, packet)

    def port(self) -> int:
        return 49152 + self.rng.getrandbits(14)

    def process(
        self,
        t: int,
        host: WindowsHost,
        *,
        image: str,
        command: str,
        user: str,
        parent: tuple[str, str, str, int],
        parent_user: str | None = None,
        integrity: str = "Medium",
        describe: tuple[str, str, str, str, str] = ("-", "-", "-", "-", "-"),
        directory: str = "C:\\Windows\\system32\\",
    ) -> tuple[str, int]:
        """Sysmon 1; returns the new process's (guid, pid). `describe`: version, description,
        product, company, original file name."""
        guid = (
            f"{{{guid_prefix(host)}-{self.rng.getrandbits(16):04x}-{self.rng.getrandbits(16):04x}-"
            f"{self.rng.getrandbits(16):04x}-000000001300}}"
        )
        pid = 4 * self.rng.randrange(1000, 4000)
        parent_image, parent_command, parent_guid, parent_pid = parent
        seed = image.lower().encode()
        hashes = (
            f"MD5={hashlib.md5(seed).hexdigest().upper()},"
            f"SHA256={hashlib.sha256(seed).hexdigest().upper()},"
            f"IMPHASH={hashlib.md5(seed + b'imp').hexdigest().upper()}"
        )
        utc = self.clock.utc_time(t)
        version, description, product, company, original = describe
        self.win(
            t,
            host,
            "sysmon1",
            (
                f"Process Create:\r\nRuleName: -\r\nUtcTime: {utc}\r\nProcessId: {pid}\r\nImage: {image}\r\n"
                f"User: {user}"
            ),
            (
                ("RuleName", "-"),
                ("UtcTime", utc),
                ("ProcessGuid", guid),
                ("ProcessId", str(pid)),
                ("Image", image),
                ("FileVersion", version),
                ("Description", description),
                ("Product", product),
                ("Company", company),
                ("OriginalFileName", original),
                ("CommandLine", command),
                ("CurrentDirectory", directory),
                ("User", user),
                ("LogonGuid", f"{{{guid_prefix(host)}-0000-0000-0000-00208a3c2f00}}"),
                ("LogonId", "0x3e7" if user.startswith("NT AUTHORITY") else "0x2f8a3c"),
                ("TerminalSessionId", "0" if user.startswith("NT AUTHORITY") else "1"),
                ("IntegrityLevel", integrity),
                ("Hashes", hashes),
                ("ParentProcessGuid", parent_guid),
                ("ParentProcessId", str(parent_pid)),
                ("ParentImage", parent_image),
                ("ParentCommandLine", parent_command),
                ("ParentUser", parent_user or user),
            ),
            account=SYSTEM_ACCOUNT,
        )
        return guid, pid

    def connect(
        self,
        t: int,
        host: WindowsHost,
        *,
        image: str,
        guid: str,
        pid: int,
        user: str,
        dst: str,
        port: int,
    ) -> None:
        """Sysmon 3, and the firewall letting the connection out."""
        utc, sport = self.clock.utc_time(t), self.port()
        self.win(
            t,
            host,
            "sysmon3",
            (
                f"Network connection detected:\r\nRuleName: -\r\nUtcTime: {utc}\r\nImage: {image}\r\n"
                f"DestinationIp: {dst}\r\nDestinationPort: {port}"
            ),
            (
                ("RuleName", "-"),
                ("UtcTime", utc),
                ("ProcessGuid", guid),
                ("ProcessId", str(pid)),
                ("Image", image),
                ("User", user),
                ("Protocol", "tcp"),
                ("Initiated", "true"),
                ("SourceIsIpv6", "false"),
                ("SourceIp", host.ip),
                ("SourceHostname", host.fqdn),
                ("SourcePort", str(sport)),
                ("SourcePortName", "-"),
                ("DestinationIsIpv6", "false"),
                ("DestinationIp", dst),
                ("DestinationHostname", "-"),
                ("DestinationPort", str(port)),
                (
                    "DestinationPortName",
                    {80: "http", 443: "https", 445: "microsoft-ds"}.get(port, "-"),
                ),
            ),
            account=SYSTEM_ACCOUNT,
        )
        if not dst.startswith("10."):
            self.packet(t, Packet("ALLOW", False, host.ip, dst, "TCP", sport, port))

    def file(
        self, t: int, host: WindowsHost, *, image: str, guid: str, pid: int, user: str, target: str
    ) -> None:
        """Sysmon 11."""
        utc = self.clock.utc_time(t)
        self.win(
            t,
            host,
            "sysmon11",
            (
                f"File created:\r\nRuleName: -\r\nUtcTime: {utc}\r\nImage: {image}\r\nTargetFilename: {target}"
            ),
            (
                ("RuleName", "-"),
                ("UtcTime", utc),
                ("ProcessGuid", guid),
                ("ProcessId", str(pid)),
                ("Image", image),
                ("TargetFilename", target),
                ("CreationUtcTime", utc),
                ("User", user),
            ),
            account=SYSTEM_ACCOUNT,
        )

    def script_block(self, t: int, host: WindowsHost, *, text: str, pid: int, user: str) -> None:
        """PowerShell 4104 at warning level, as PowerShell logs suspicious script blocks."""
        block = (
            f"{self.rng.getrandbits(32):08x}-{self.rng.getrandbits(16):04x}-4{self.rng.getrandbits(12):03x}-"
            f"a{self.rng.getrandbits(12):03x}-{self.rng.getrandbits(48):012x}"
        )
        self.win(
            t,
            host,
            "4104w",
            (
                f"Creating Scriptblock text (1 of 1):\r\n{text}\r\n\r\nScriptBlock ID: {block}\r\nPath: "
            ),
            (
                ("MessageNumber", "1"),
                ("MessageTotal", "1"),
                ("ScriptBlockText", text),
                ("ScriptBlockId", block),
                ("Path", ""),
            ),
            process_id=pid,
            account=Account(DOMAIN, user, USER_BY_NAME[user].sid),
        )

    def story(
        self,
        key: str,
        title: str,
        techniques: tuple[str, ...],
        *,
        users: tuple[str, ...],
        source_ips: tuple[str, ...],
        details: dict[str, str],
    ) -> None:
        mine = self.plan.lines[self.first :]
        files = tuple(sorted({line.path for line in mine}))
        hosts = tuple(sorted(self.hosts))
        self.plan.stories.append(
            Story(
                key,
                title,
                techniques,
                from_ms(min(line.t_ms for line in mine)),
                from_ms(max(line.t_ms for line in mine) + 1000),
                hosts,
                users,
                source_ips,
                files,
                len(mine),
                details,
            )
        )


def encode_powershell(command: str) -> str:
    """What `powershell -EncodedCommand` takes: base64 of the UTF-16LE text."""
    return base64.b64encode(command.encode("utf-16-le")).decode("ascii")
