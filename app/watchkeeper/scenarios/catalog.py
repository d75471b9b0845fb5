"""What runs on the office's Windows PCs: programs, where they connect, what they resolve and write."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

MS = "Microsoft Corporation"
WINDOWS = "Microsoft® Windows® Operating System"
OFFICE16 = "C:\\Program Files\\Microsoft Office\\root\\Office16"
CHROME = "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"
EDGE = "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe"
DEFENDER = "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0"
SYS32 = "C:\\Windows\\System32"
POWERSHELL_EXE = f"{SYS32}\\WindowsPowerShell\\v1.0\\powershell.exe"


@dataclass(frozen=True)
class Program:
    """An executable as Sysmon describes it, with the command lines it is started with.

    Command lines may name {home} (the user's profile), {user}, {doc} (a document of the
    user's department) and {winver}; `parent` is the key of the program that starts it.
    """

    key: str
    image: str
    original: str
    description: str
    product: str
    company: str
    version: str
    command_lines: tuple[str, ...]
    parent: str
    system: bool = False  # runs as SYSTEM (or a service account), not as the person
    integrity: str = "Medium"

    def hashes(self, winver: str) -> str:
        """MD5, SHA256 and IMPHASH, stable for an image and version like a real binary's."""
        seed = f"{self.image.lower()}|{self.version.replace('{winver}', winver)}".encode()
        md5 = hashlib.md5(seed).hexdigest().upper()
        sha256 = hashlib.sha256(seed).hexdigest().upper()
        imphash = hashlib.md5(seed + b"imp").hexdigest().upper()
        return f"MD5={md5},SHA256={sha256},IMPHASH={imphash}"


def _win(
    key: str,
    name: str,
    original: str,
    description: str,
    command_lines: tuple[str, ...],
    parent: str,
    *,
    system: bool = False,
    integrity: str = "Medium",
) -> Program:
    return Program(
        key,
        f"{SYS32}\\{name}",
        original,
        description,
        WINDOWS,
        MS,
        "{winver}",
        command_lines,
        parent,
        system,
        "System" if system else integrity,
    )


PROGRAMS: dict[str, Program] = {
    p.key: p
    for p in (
        # Parents that are running before the day starts; they are never started in the data.
        _win(
            "wininit",
            "wininit.exe",
            "WinInit.exe",
            "Windows Start-Up Application",
            ("wininit.exe",),
            "wininit",
            system=True,
        ),
        _win(
            "winlogon",
            "winlogon.exe",
            "WINLOGON.EXE",
            "Windows Logon Application",
            ("winlogon.exe",),
            "wininit",
            system=True,
        ),
        _win(
            "services",
            "services.exe",
            "services.exe",
            "Services and Controller app",
            (f"{SYS32}\\services.exe",),
            "wininit",
            system=True,
        ),
        _win(
            "svchost_dcom",
            "svchost.exe",
            "svchost.exe",
            "Host Process for Windows Services",
            (f"{SYS32}\\svchost.exe -k DcomLaunch -p",),
            "services",
            system=True,
        ),
        _win(
            "svchost_sched",
            "svchost.exe",
            "svchost.exe",
            "Host Process for Windows Services",
            (f"{SYS32}\\svchost.exe -k netsvcs -p -s Schedule",),
            "services",
            system=True,
        ),
        _win(
            "searchindexer",
            "SearchIndexer.exe",
            "SearchIndexer.exe",
            "Microsoft Windows Search Indexer",
            (f"{SYS32}\\SearchIndexer.exe /Embedding",),
            "services",
            system=True,
        ),
        Program(
            "msmpeng",
            f"{DEFENDER}\\MsMpEng.exe",
            "MsMpEng.exe",
            "Antimalware Service Executable",
            WINDOWS,
            MS,
            "4.18.24090.11",
            (f'"{DEFENDER}\\MsMpEng.exe"',),
            "services",
            True,
            "System",
        ),
        _win(
            "userinit",
            "userinit.exe",
            "USERINIT.EXE",
            "Userinit Logon Application",
            (f"{SYS32}\\userinit.exe",),
            "winlogon",
        ),
        # What people start.
        Program(
            "explorer",
            "C:\\Windows\\explorer.exe",
            "EXPLORER.EXE",
            "Windows Explorer",
            WINDOWS,
            MS,
            "{winver}",
            ("C:\\Windows\\Explorer.EXE",),
            "userinit",
        ),
        Program(
            "chrome",
            CHROME,
            "chrome.exe",
            "Google Chrome",
            "Google Chrome",
            "Google LLC",
            "131.0.6778.86",
            (
                f'"{CHROME}"',
                f'"{CHROME}" --restore-last-session',
                f'"{CHROME}" --single-argument https://contoso.sharepoint.com/',
            ),
            "explorer",
        ),
        Program(
            "chrome_renderer",
            CHROME,
            "chrome.exe",
            "Google Chrome",
            "Google Chrome",
            "Google LLC",
            "131.0.6778.86",
            (
                *(
                    f'"{CHROME}" --type=renderer --lang=en-GB --device-scale-factor=1 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id={n} --time-ticks-at-unix-epoch=-1730621112358947 --launch-time-ticks={n * 7919}431 --field-trial-handle=1944,i,6263414286124562390,1193861231745337811,262144 /prefetch:1'
                    for n in (7, 12, 18, 23, 31)
                ),
                f'"{CHROME}" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-GB --service-sandbox-type=none --mojo-platform-channel-handle=2232 --field-trial-handle=1944,i,6263414286124562390,1193861231745337811,262144 /prefetch:3',
            ),
            "chrome",
            integrity="Low",
        ),
        Program(
            "msedge",
            EDGE,
            "msedge.exe",
            "Microsoft Edge",
            "Microsoft Edge",
            MS,
            "131.0.2903.70",
            (f'"{EDGE}" --single-argument https://outlook.office.com/mail/', f'"{EDGE}"'),
            "explorer",
        ),
        Program(
            "msedge_renderer",
            EDGE,
            "msedge.exe",
            "Microsoft Edge",
            "Microsoft Edge",
            MS,
            "131.0.2903.70",
            tuple(
                f'"{EDGE}" --type=renderer --lang=en-GB --js-flags=--ms-user-locale= --renderer-client-id={n} --mojo-platform-channel-handle={n * 97 + 3000} /prefetch:1'
                for n in (5, 9, 14)
            ),
            "msedge",
            integrity="Low",
        ),
        Program(
            "winword",
            f"{OFFICE16}\\WINWORD.EXE",
            "WinWord.exe",
            "Microsoft Word",
            "Microsoft Office",
            MS,
            "16.0.18129.20158",
            (
                f'"{OFFICE16}\\WINWORD.EXE" /n "{{home}}\\Documents\\{{doc}}.docx" /o ""',
                f'"{OFFICE16}\\WINWORD.EXE" ',
            ),
            "explorer",
        ),
        Program(
            "excel",
            f"{OFFICE16}\\EXCEL.EXE",
            "Excel.exe",
            "Microsoft Excel",
            "Microsoft Office",
            MS,
            "16.0.18129.20158",
            (
                f'"{OFFICE16}\\EXCEL.EXE" "{{home}}\\Documents\\{{doc}}.xlsx"',
                f'"{OFFICE16}\\EXCEL.EXE" ',
            ),
            "explorer",
        ),
        Program(
            "outlook",
            f"{OFFICE16}\\OUTLOOK.EXE",
            "Outlook.exe",
            "Microsoft Outlook",
            "Microsoft Office",
            MS,
            "16.0.18129.20158",
            (f'"{OFFICE16}\\OUTLOOK.EXE" ', f'"{OFFICE16}\\OUTLOOK.EXE" /recycle'),
            "explorer",
        ),
        Program(
            "teams",
            "C:\\Program Files\\WindowsApps\\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\\ms-teams.exe",
            "ms-teams.exe",
            "Microsoft Teams",
            "Microsoft Teams",
            MS,
            "24295.605.3225.8804",
            (
                '"C:\\Program Files\\WindowsApps\\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\\ms-teams.exe" msteams:system-initiated',
            ),
            "explorer",
        ),
        Program(
            "onedrive",
            "C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe",
            "OneDrive.exe",
            "Microsoft OneDrive",
            "Microsoft OneDrive",
            MS,
            "24.211.1020.0002",
            ('"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe" /background',),
            "explorer",
        ),
        Program(
            "acrobat",
            "C:\\Program Files\\Adobe\\Acrobat DC\\Acrobat\\Acrobat.exe",
            "Acrobat.exe",
            "Adobe Acrobat",
            "Adobe Acrobat",
            "Adobe Inc.",
            "24.4.20272.0",
            (
                '"C:\\Program Files\\Adobe\\Acrobat DC\\Acrobat\\Acrobat.exe" "{home}\\Downloads\\{doc}.pdf"',
            ),
            "explorer",
        ),
        _win(
            "notepad",
            "notepad.exe",
            "NOTEPAD.EXE",
            "Notepad",
            (f'"{SYS32}\\NOTEPAD.EXE" {{home}}\\Desktop\\notes.txt',),
            "explorer",
        ),
        _win(
            "runtimebroker",
            "RuntimeBroker.exe",
            "RuntimeBroker.exe",
            "Runtime Broker",
            (f"{SYS32}\\RuntimeBroker.exe -Embedding",),
            "svchost_dcom",
        ),
        _win(
            "backgroundtaskhost",
            "backgroundTaskHost.exe",
            "backgroundTaskHost.exe",
            "Background Task Host",
            (
                f'"{SYS32}\\backgroundTaskHost.exe" -ServerName:BackgroundTaskHost.WebAccountProvider',
                f'"{SYS32}\\BackgroundTaskHost.exe" -ServerName:App.AppXmtcan0h2tfbfy7k9kn8hbxb6dmzz1zh0.mca',
            ),
            "svchost_dcom",
        ),
        _win(
            "dllhost",
            "dllhost.exe",
            "dllhost.exe",
            "COM Surrogate",
            (
                f"{SYS32}\\DllHost.exe /Processid:{{3EB3C877-1F16-487C-9050-104DBCD66683}}",
                f"{SYS32}\\DllHost.exe /Processid:{{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}}",
            ),
            "svchost_dcom",
        ),
        _win(
            "smartscreen",
            "smartscreen.exe",
            "smartscreen.exe",
            "Windows Defender SmartScreen",
            (f"{SYS32}\\smartscreen.exe -Embedding",),
            "svchost_dcom",
        ),
        _win(
            "cmd",
            "cmd.exe",
            "Cmd.Exe",
            "Windows Command Processor",
            (
                f'"{SYS32}\\cmd.exe" ',
                f'"{SYS32}\\cmd.exe" /c ipconfig /all',
                f'"{SYS32}\\cmd.exe" /c ping files01',
            ),
            "explorer",
        ),
        _win(
            "mstsc",
            "mstsc.exe",
            "mstsc.exe",
            "Remote Desktop Connection",
            (f'"{SYS32}\\mstsc.exe" /v:DC01', f'"{SYS32}\\mstsc.exe" /v:PC-ACCT-01'),
            "explorer",
        ),
        _win(
            "ssh",
            "OpenSSH\\ssh.exe",
            "ssh.exe",
            "OpenSSH SSH client",
            ("ssh  {user}@web01", "ssh  {user}@files01"),
            "powershell_user",
        ),
        Program(
            "powershell_user",
            POWERSHELL_EXE,
            "PowerShell.EXE",
            "Windows PowerShell",
            WINDOWS,
            MS,
            "{winver}",
            (
                f'"{POWERSHELL_EXE}" ',
                f'"{POWERSHELL_EXE}" -NoProfile -Command "Get-ADUser -Filter * | Measure-Object"',
            ),
            "explorer",
        ),
        _win(
            "mmc",
            "mmc.exe",
            "MMC.exe",
            "Microsoft Management Console",
            (f'"{SYS32}\\mmc.exe" "{SYS32}\\dsa.msc" ', f'"{SYS32}\\mmc.exe" "{SYS32}\\gpmc.msc" '),
            "explorer",
        ),
        # What Windows starts by itself.
        _win(
            "svchost",
            "svchost.exe",
            "svchost.exe",
            "Host Process for Windows Services",
            tuple(
                f"{SYS32}\\svchost.exe -k {group}"
                for group in (
                    "netsvcs -p -s BITS",
                    "netsvcs -p -s wuauserv",
                    "wusvcs -p -s WaaSMedicSvc",
                    "LocalServiceNetworkRestricted -p -s Dhcp",
                    "NetworkService -p -s Dnscache",
                    "netsvcs -p -s gpsvc",
                    "LocalSystemNetworkRestricted -p -s SysMain",
                )
            ),
            "services",
            system=True,
        ),
        _win(
            "wmiprvse",
            "wbem\\WmiPrvSE.exe",
            "Wmiprvse.exe",
            "WMI Provider Host",
            (f"{SYS32}\\wbem\\wmiprvse.exe -secured -Embedding",),
            "svchost_dcom",
            system=True,
        ),
        Program(
            "mpcmdrun",
            f"{DEFENDER}\\MpCmdRun.exe",
            "MpCmdRun.exe",
            "Microsoft Malware Protection Command Line Utility",
            WINDOWS,
            MS,
            "4.18.24090.11",
            (
                f'"{DEFENDER}\\MpCmdRun.exe" -wdenable',
                f'"{DEFENDER}\\MpCmdRun.exe" SignaturesUpdateService -ScheduleJob -UnmanagedUpdate',
            ),
            "msmpeng",
            True,
            "System",
        ),
        _win(
            "wuauclt",
            "wuauclt.exe",
            "wuauclt.exe",
            "Windows Update",
            (
                f'"{SYS32}\\wuauclt.exe" /UpdateDeploymentProvider UpdateDeploymentProvider.dll /ClassId 9d9d9ea4-0e4b-4b6f-8c9c-3c8b5bbfef2b /RunHandlerComServer',
            ),
            "svchost_dcom",
            system=True,
        ),
        _win(
            "mousocoreworker",
            "MoUsoCoreWorker.exe",
            "MoUsoCoreWorker.exe",
            "MoUSO Core Worker Process",
            (f"{SYS32}\\mousocoreworker.exe -Embedding",),
            "svchost_dcom",
            system=True,
        ),
        _win(
            "compattelrunner",
            "CompatTelRunner.exe",
            "CompatTelRunner.exe",
            "Microsoft Compatibility Telemetry",
            (
                f"{SYS32}\\compattelrunner.exe -m:appraiser.dll -f:DoScheduledTelemetryRun",
                f"{SYS32}\\CompatTelRunner.exe -m:aemarebackup.dll -f:BackupMareData",
            ),
            "svchost_sched",
            system=True,
        ),
        _win(
            "sihclient",
            "SIHClient.exe",
            "SIHClient.exe",
            "SIH Client",
            (f"{SYS32}\\sihclient.exe  /cv mP0Yjv3XGEukRcMeK9l8fQ.0.2",),
            "svchost_sched",
            system=True,
        ),
        _win(
            "taskhostw",
            "taskhostw.exe",
            "taskhostw.exe",
            "Host Process for Windows Tasks",
            ("taskhostw.exe Install $(Arg0)", "taskhostw.exe SYSTEM"),
            "svchost_sched",
            system=True,
        ),
        _win(
            "searchprotocolhost",
            "SearchProtocolHost.exe",
            "SearchProtocolHost.exe",
            "Microsoft Windows Search Protocol Host",
            (
                f'"{SYS32}\\SearchProtocolHost.exe" Global\\UsGthrFltPipeMssGthrPipe_S-1-5-21-3623811015-3361044348-30300820-1013 Global\\UsGthrCtrlFltPipeMssGthrPipe_S-1-5-21-3623811015-3361044348-30300820-1013 1 -2147483646 "Software\\Microsoft\\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" "C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc" "DownLevelDaemon" ',
            ),
            "searchindexer",
            system=True,
        ),
        Program(
            "googleupdate",
            "C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe",
            "GoogleUpdate.exe",
            "Google Installer",
            "Google Update",
            "Google LLC",
            "1.3.36.372",
            (
                '"C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe" /ua /installsource scheduler',
            ),
            "svchost_sched",
            True,
            "System",
        ),
        Program(
            "edgeupdate",
            "C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe",
            "msedgeupdate.dll",
            "Microsoft Edge Update",
            "Microsoft Edge Update",
            MS,
            "1.3.195.31",
            (
                '"C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe" /ua /installsource scheduler',
            ),
            "svchost_sched",
            True,
            "System",
        ),
    )
}

# (weight, program key) of what a person's day starts, and of what Windows starts on its own.
PEOPLE_PROGRAMS = (
    (10, "chrome_renderer"),
    (5, "msedge_renderer"),
    (2, "chrome"),
    (1, "msedge"),
    (3, "winword"),
    (3, "excel"),
    (1, "outlook"),
    (1, "teams"),
    (1, "acrobat"),
    (1, "notepad"),
    (4, "runtimebroker"),
    (3, "backgroundtaskhost"),
    (3, "dllhost"),
    (2, "smartscreen"),
    (0.3, "cmd"),
    (0.2, "onedrive"),
    (0.2, "explorer"),
)
ADMIN_PROGRAMS = ((1, "powershell_user"), (1, "mstsc"), (1, "ssh"), (1, "mmc"))
SYSTEM_PROGRAMS = (
    (6, "svchost"),
    (3, "wmiprvse"),
    (2, "taskhostw"),
    (3, "searchprotocolhost"),
    (1, "mpcmdrun"),
    (1, "wuauclt"),
    (1, "mousocoreworker"),
    (0.5, "compattelrunner"),
    (1, "sihclient"),
    (0.5, "googleupdate"),
    (0.5, "edgeupdate"),
)

DOCUMENTS = {
    "IT": ("Asset register", "Patch schedule", "Backup checks"),
    "Accounts": ("Supplier payments November", "VAT return Q3", "Invoice template", "Budget 2027"),
    "Sales": ("Price list 2026", "Proposal - Harbour Foods", "Pipeline review", "Quote 10492"),
    "Operations": ("Delivery rota", "Stock count", "Supplier contacts"),
    "HR": ("Holiday planner", "Starter checklist", "Payroll changes"),
    "Management": ("Board pack", "Cash flow forecast", "Strategy notes"),
    "Reception": ("Visitor log", "Room bookings"),
}

# (address, port, reverse name) reached from each program; also what the firewall sees leave.
DESTINATIONS: dict[str, tuple[tuple[str, int, str], ...]] = {
    "chrome": (
        ("142.250.187.206", 443, "lhr25s34-in-f14.1e100.net"),
        ("172.217.169.3", 443, "lhr48s27-in-f3.1e100.net"),
        ("151.101.0.81", 443, "-"),
        ("104.18.32.47", 443, "-"),
        ("23.55.163.78", 443, "a23-55-163-78.deploy.static.akamaitechnologies.com"),
    ),
    "msedge": (
        ("13.107.21.200", 443, "-"),
        ("204.79.197.200", 443, "a-0001.a-msedge.net"),
        ("52.97.146.162", 443, "-"),
    ),
    "outlook": (("52.97.146.162", 443, "-"), ("40.99.10.34", 443, "-")),
    "teams": (("52.113.194.132", 443, "-"), ("52.112.100.2", 443, "-")),
    "onedrive": (("13.107.42.12", 443, "-"), ("20.190.159.0", 443, "-")),
    "explorer": (("10.10.1.20", 445, "files01.contoso.local"),),
    "svchost": (
        ("13.107.4.50", 80, "-"),
        ("20.42.73.29", 443, "-"),
        ("10.10.1.5", 389, "DC01.contoso.local"),
        ("10.10.1.5", 88, "DC01.contoso.local"),
        ("10.10.1.5", 445, "DC01.contoso.local"),
    ),
    "msmpeng": (("20.10.31.115", 443, "-"),),
    "googleupdate": (("142.250.180.14", 443, "lhr25s33-in-f14.1e100.net"),),
    "edgeupdate": (("13.107.246.40", 443, "-"),),
}
PEOPLE_CONNECTIONS = ("chrome", "msedge", "outlook", "teams", "onedrive", "explorer")
SYSTEM_CONNECTIONS = ("svchost", "msmpeng", "googleupdate", "edgeupdate")
INTERNET_DESTINATIONS: tuple[tuple[str, int], ...] = tuple(
    (ip, port)
    for targets in DESTINATIONS.values()
    for ip, port, _ in targets
    if not ip.startswith("10.")
)

# (program key, query name, results) as Sysmon 22 records them.
DNS_QUERIES = (
    ("chrome", "www.google.com", "::ffff:142.250.187.196;"),
    ("chrome", "fonts.gstatic.com", "type:  5 gstaticadssl.l.google.com;::ffff:172.217.169.3;"),
    ("chrome", "www.bbc.co.uk", "type:  5 www.bbc.co.uk.pri.bbc.co.uk;::ffff:151.101.0.81;"),
    (
        "chrome",
        "contoso.sharepoint.com",
        "type:  5 1234-ipv4e.clump.dprodmgd104.aa-rt.sharepoint.com;::ffff:13.107.136.10;",
    ),
    (
        "msedge",
        "www.bing.com",
        "type:  5 www-bing-com.dual-a-0001.a-msedge.net;::ffff:13.107.21.200;",
    ),
    ("msedge", "outlook.office.com", "type:  5 outlook.ha.office365.com;::ffff:52.97.146.162;"),
    ("outlook", "outlook.office365.com", "type:  5 outlook.ha.office365.com;::ffff:40.99.10.34;"),
    ("teams", "teams.microsoft.com", "type:  5 teams.office.com;::ffff:52.113.194.132;"),
    ("onedrive", "g.live.com", "type:  5 g.msn.com;::ffff:13.107.42.12;"),
    (
        "svchost",
        "settings-win.data.microsoft.com",
        "type:  5 atm-settingsfe-prod-geo2.trafficmanager.net;::ffff:20.42.73.29;",
    ),
    ("svchost", "dc01.contoso.local", "::ffff:10.10.1.5;"),
    (
        "svchost",
        "_ldap._tcp.dc._msdcs.contoso.local",
        "type:  33 dc01.contoso.local;::ffff:10.10.1.5;",
    ),
    (
        "svchost",
        "fe3cr.delivery.mp.microsoft.com",
        "type:  5 fe3cr.delivery.mp.microsoft.com.nsatc.net;::ffff:13.107.4.50;",
    ),
    (
        "msmpeng",
        "wdcp.microsoft.com",
        "type:  5 wdcp.microsoft.com.akadns.net;::ffff:20.10.31.115;",
    ),
)

# (program key, file name pattern): {home}, {doc}, {n} (a number) are filled per host.
FILES = (
    ("chrome", "{home}\\Downloads\\{doc}.pdf"),
    (
        "chrome",
        "{home}\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Cache\\Cache_Data\\f_{n:06x}",
    ),
    (
        "msedge",
        "{home}\\AppData\\Local\\Microsoft\\Edge\\User Data\\Default\\Cache\\Cache_Data\\f_{n:06x}",
    ),
    ("winword", "{home}\\AppData\\Roaming\\Microsoft\\Word\\~WRL{n:04d}.tmp"),
    ("winword", "{home}\\Documents\\{doc}.docx"),
    ("excel", "{home}\\Documents\\{doc}.xlsx"),
    (
        "outlook",
        "{home}\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\Q7K2MB1D\\{doc}.pdf",
    ),
    ("explorer", "{home}\\AppData\\Roaming\\Microsoft\\Windows\\Recent\\{doc}.lnk"),
)
SYSTEM_FILES = (
    ("svchost", "C:\\Windows\\Prefetch\\{exe}-{n:08X}.pf"),
    ("svchost", "C:\\Windows\\SoftwareDistribution\\Download\\{n:032x}\\metadata.xml"),
    ("msmpeng", "C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\mpcache-{n:040X}.bin.7f"),
    (
        "svchost",
        "C:\\Windows\\System32\\Tasks\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan",
    ),
)

# Services Windows starts and stops all day (System 7036), and the ones installed now and then.
SERVICES = (
    "Windows Update",
    "Background Intelligent Transfer Service",
    "Windows Modules Installer",
    "Microsoft Edge Update Service (edgeupdate)",
    "Google Update Service (gupdate)",
    "Windows Defender Antivirus Network Inspection Service",
    "Delivery Optimization",
    "WinHTTP Web Proxy Auto-Discovery Service",
    "Microsoft Account Sign-in Assistant",
    "Device Setup Manager",
    "Windows Error Reporting Service",
    "Software Protection",
)
INSTALLED_SERVICES = (
    (
        "MpKslDrv",
        f"{DEFENDER}\\Drivers\\MpKslDrv.sys".replace("C:\\", "\\??\\C:\\"),
        "kernel mode driver",
        "manual start",
        "",
    ),
    (
        "GoogleUpdaterService131.0.6778.86",
        '"C:\\Program Files (x86)\\Google\\GoogleUpdater\\131.0.6778.86\\updater.exe" --system --windows-service --service=update',
        "user mode service",
        "auto start",
        "LocalSystem",
    ),
    (
        "edgeupdatem",
        '"C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe" /medsvc',
        "user mode service",
        "demand start",
        "LocalSystem",
    ),
)
SCHEDULED_TASKS = (
    "\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan",
    "\\Microsoft\\Windows\\WindowsUpdate\\Scheduled Start",
    "\\GoogleUpdateTaskMachineUA{A4B5C3D2-1E0F-4A9B-8C7D-6E5F4A3B2C1D}",
    "\\MicrosoftEdgeUpdateTaskMachineUA",
    "\\Microsoft\\Office\\Office Automatic Updates 2.0",
)
ADMIN_SCRIPTS = (
    "Get-Service | Where-Object {$_.Status -eq 'Stopped'}",
    "Get-ADUser -Filter * -Properties LastLogonDate | Sort-Object LastLogonDate",
    "Test-NetConnection -ComputerName files01 -Port 445",
    "Get-WinEvent -LogName Security -MaxEvents 50",
    "Get-HotFix | Sort-Object InstalledOn -Descending | Select-Object -First 5",
)
