"""What the office's Windows PCs hold: every program by key, documents, files, services and tasks."""

from __future__ import annotations

from watchkeeper.scenarios.people_programs import PEOPLE
from watchkeeper.scenarios.programs import DEFENDER, Program
from watchkeeper.scenarios.system_programs import BACKGROUND, STARTUP

PROGRAMS: dict[str, Program] = {p.key: p for p in (*STARTUP, *PEOPLE, *BACKGROUND)}

DOCUMENTS = {
    "IT": ("Asset register", "Patch schedule", "Backup checks"),
    "Accounts": ("Supplier payments November", "VAT return Q3", "Invoice template", "Budget 2027"),
    "Sales": ("Price list 2026", "Proposal - Harbour Foods", "Pipeline review", "Quote 10492"),
    "Operations": ("Delivery rota", "Stock count", "Supplier contacts"),
    "HR": ("Holiday planner", "Starter checklist", "Payroll changes"),
    "Management": ("Board pack", "Cash flow forecast", "Strategy notes"),
    "Reception": ("Visitor log", "Room bookings"),
}

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
