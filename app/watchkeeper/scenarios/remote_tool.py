"""A remote access tool: liam installs AnyDesk for a caller, who then stops Sysmon on his PC."""

from __future__ import annotations

from watchkeeper.scenarios.clock import DAY_MS, HOUR_MS, from_ms
from watchkeeper.scenarios.network import Packet
from watchkeeper.scenarios.nxlog import SYSTEM_ACCOUNT
from watchkeeper.scenarios.office import DOMAIN, HOST_BY_NAME, USER_BY_NAME, WindowsHost
from watchkeeper.scenarios.script import MINUTE_MS, Script

RELAY_IP = "198.51.100.77"
ANYDESK = "C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe"
ANYDESK_DESCRIBED = ("8.1.0", "AnyDesk", "AnyDesk", "AnyDesk Software GmbH", "AnyDesk.exe")
SERVICE_COMMAND = f'"{ANYDESK}" --service'
SYSTEM = "NT AUTHORITY\\SYSTEM"
STOP_SYSMON = 'cmd.exe /c "sc stop Sysmon64"'
NO_GUID = "{00000000-0000-0000-0000-000000000000}"
# (image, command line, process GUID, process id) of the tool's parent processes
EDGE = (
    "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
    '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" ',
    NO_GUID,
    9180,
)
EXPLORER = ("C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", NO_GUID, 5124)
SERVICES = (
    "C:\\Windows\\System32\\services.exe",
    "C:\\Windows\\system32\\services.exe",
    NO_GUID,
    720,
)
BEACONS = 12


def remote_tool(s: Script, t: int) -> None:
    """liam installs AnyDesk for a caller 'from IT support', who then stops Sysmon."""
    host, user = HOST_BY_NAME["PC-HR-01"], USER_BY_NAME["liam"]
    _anydesk_installed(s, t, host, f"{DOMAIN}\\{user.name}", f"{user.home}\\Downloads")
    service = _anydesk_service_started(s, t + 65_000, host)
    stopped = _sysmon_stopped(s, t + 15 * MINUTE_MS + s.rng.randrange(5 * MINUTE_MS), host, service)
    _relay_beacons(s, stopped, host)
    resumed = _sysmon_resumed(s, stopped, host)
    s.plan.sysmon_off.setdefault(host.name, []).append((stopped + 1, resumed + 1001))
    s.story(
        "remote_tool",
        "Remote access tool installed as a service, then Sysmon stopped",
        ("T1219", "T1543.003", "T1562.001"),
        users=(user.name,),
        source_ips=(RELAY_IP,),
        details={
            "host": host.name,
            "service": "AnyDesk Service",
            "sysmon_stopped": from_ms(stopped).isoformat(),
            "sysmon_resumed": from_ms(resumed).isoformat() if resumed < s.clock.end_ms else "",
        },
    )


def _anydesk_installed(s: Script, t: int, host: WindowsHost, who: str, downloads: str) -> None:
    """Downloaded with Edge, run from Explorer, then installed to start with Windows."""
    download = f"{downloads}\\AnyDesk.exe"
    s.file(t, host, image=EDGE[0], guid=EDGE[2], pid=EDGE[3], user=who, target=download)
    guid, pid = s.process(
        t + 30_000,
        host,
        image=download,
        command=f'"{download}" ',
        user=who,
        parent=EXPLORER,
        describe=ANYDESK_DESCRIBED,
        directory=f"{downloads}\\",
    )
    s.process(
        t + 60_000,
        host,
        image=download,
        command=(
            f'"{download}" --install "C:\\Program Files (x86)\\AnyDesk" --start-with-win --silent'
        ),
        user=who,
        integrity="High",
        parent=(download, f'"{download}" ', guid, pid),
        describe=ANYDESK_DESCRIBED,
        directory=f"{downloads}\\",
    )


def _anydesk_service_started(s: Script, t: int, host: WindowsHost) -> tuple[str, int]:
    """The AnyDesk service installed and running, and talking to its relay: its GUID and id."""
    s.win(
        t,
        host,
        "7045",
        (
            "A service was installed in the system.\r\n\r\nService Name:  AnyDesk Service\r\n"
            f"Service File Name:  {SERVICE_COMMAND}\r\nService Type:  user mode service\r\n"
            "Service Start Type:  auto start\r\nService Account:  LocalSystem"
        ),
        (
            ("ServiceName", "AnyDesk Service"),
            ("ImagePath", SERVICE_COMMAND),
            ("ServiceType", "user mode service"),
            ("StartType", "auto start"),
            ("AccountName", "LocalSystem"),
        ),
        account=SYSTEM_ACCOUNT,
    )
    _service_state(s, t + 1000, host, "AnyDesk Service", "running")
    guid, pid = s.process(
        t + 2000,
        host,
        image=ANYDESK,
        command=SERVICE_COMMAND,
        user=SYSTEM,
        integrity="System",
        parent=SERVICES,
        describe=ANYDESK_DESCRIBED,
        directory="C:\\Windows\\system32\\",
    )
    s.connect(
        t + 5000, host, image=ANYDESK, guid=guid, pid=pid, user=SYSTEM, dst=RELAY_IP, port=443
    )
    return guid, pid


def _sysmon_stopped(s: Script, t: int, host: WindowsHost, service: tuple[str, int]) -> int:
    """The AnyDesk service starts cmd, which runs sc to stop Sysmon; when Sysmon stopped."""
    cmd_guid, cmd_pid = s.process(
        t,
        host,
        image="C:\\Windows\\System32\\cmd.exe",
        user=SYSTEM,
        command=STOP_SYSMON,
        integrity="System",
        parent=(ANYDESK, SERVICE_COMMAND, *service),
    )
    s.process(
        t + 500,
        host,
        image="C:\\Windows\\System32\\sc.exe",
        command="sc  stop Sysmon64",
        user=SYSTEM,
        integrity="System",
        parent=("C:\\Windows\\System32\\cmd.exe", STOP_SYSMON, cmd_guid, cmd_pid),
    )
    stopped = t + 2000
    _sysmon_state(s, stopped, host, "Stopped")
    _service_state(s, stopped + 1000, host, "Sysmon64", "stopped")
    return stopped


def _relay_beacons(s: Script, stopped: int, host: WindowsHost) -> None:
    """The firewall still sees the tool talk to its relay while the PC's Sysmon is silent."""
    for beacon in range(BEACONS):
        beacon_t = stopped + (beacon + 1) * 10 * MINUTE_MS + s.rng.randrange(60_000)
        if beacon_t < s.clock.end_ms:
            s.packet(beacon_t, Packet("ALLOW", False, host.ip, RELAY_IP, "TCP", s.port(), 443))


def _sysmon_resumed(s: Script, stopped: int, host: WindowsHost) -> int:
    """Sysmon comes back when the PC is restarted: the next working morning, if the office's
    range reaches it; when it did (or the range's end)."""
    day = stopped // DAY_MS + 1
    while s.clock.weekday.get(day, 0) >= 5:
        day += 1
    resumed = min(day * DAY_MS + 8 * HOUR_MS + s.rng.randrange(10, 40) * MINUTE_MS, s.clock.end_ms)
    if resumed < s.clock.end_ms - 2000:
        _service_state(s, resumed, host, "Sysmon64", "running")
        _sysmon_state(s, resumed + 1000, host, "Started")
    return resumed


def _service_state(s: Script, t: int, host: WindowsHost, service: str, state: str) -> None:
    s.win(
        t,
        host,
        "7036",
        f"The {service} service entered the {state} state.",
        (("param1", service), ("param2", state)),
        account=SYSTEM_ACCOUNT,
    )


def _sysmon_state(s: Script, t: int, host: WindowsHost, state: str) -> None:
    utc = s.clock.utc_time(t)
    s.win(
        t,
        host,
        "sysmon4",
        (
            f"Sysmon service state changed:\r\nUtcTime: {utc}\r\nState: {state}\r\nVersion: 15.15\r\n"
            "SchemaVersion: 4.90"
        ),
        (("UtcTime", utc), ("State", state), ("SchemaVersion", "4.90")),
        account=SYSTEM_ACCOUNT,
    )
