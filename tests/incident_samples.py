"""Incidents to print: a small office's attack with as many linked events as asked for."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from watchkeeper.incidents.report_model import (
    Action,
    DetectionSummary,
    EvidenceEvent,
    EvidenceFile,
    HostState,
    IncidentReport,
    KeyEvent,
    Notification,
    TimelineEntry,
)

START = datetime(2026, 11, 18, 12, 25, tzinfo=UTC)
HOSTS = ("PC-RECEPTION", "SRV-FILES", "LAPTOP-ZOË")
FILES = ("reception-security.evtx", "files-sysmon.evtx", "laptop-auth.log")


def sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def sample_incident(events: int = 50, **changes: Any) -> IncidentReport:
    """The phishing-to-file-server story, with `events` linked events over ten minutes."""
    step = timedelta(minutes=10) / max(events, 1)
    linked = tuple(
        EvidenceEvent(
            time=START + step * n,
            host=HOSTS[n % 3],
            source_file=FILES[n % 3],
            record=str(1000 + n),
        )
        for n in range(events)
    )
    report = IncidentReport(
        organisation="Ōkami Bakery Ltd",
        title="Phishing e-mail led to PowerShell on the reception PC",
        severity=3,
        status="contained",
        incident_id="7",
        resolution="true positive",
        owner="Ana Müller",
        opened=START + timedelta(minutes=40),
        summary="A user opened an attachment that started an encoded PowerShell command.",
        impact="The reception PC and the file share it can reach; no data is known to have left.",
        timeline=(
            TimelineEntry(START, "Sysmon on PC-RECEPTION", "WINWORD.EXE started powershell.exe"),
            TimelineEntry(START + timedelta(minutes=3), "rule", "Encoded PowerShell detected"),
            TimelineEntry(START + timedelta(minutes=45), "Ana Müller", "PC taken off the network"),
        ),
        hosts=(
            HostState("PC-RECEPTION", "out of policy: disk not encrypted"),
            HostState("SRV-FILES", "compliant"),
            HostState("LAPTOP-ZOË", ""),
        ),
        users=("reception", "Иван Петров", "zoë.admin"),
        detections=(
            DetectionSummary(
                rule_title="Suspicious Encoded PowerShell Command Line",
                level="high",
                description="Detects a PowerShell command line with a base64-encoded command.",
                techniques=("T1059.001", "T1027"),
                author="Florian Roth",
                first=START + timedelta(minutes=1),
                last=START + timedelta(minutes=4),
                events=12,
                host="PC-RECEPTION",
            ),
            DetectionSummary(
                rule_title="Office Application Spawning a Shell",
                level="medium",
                techniques=("T1204.002",),
                first=START + timedelta(minutes=6),
                last=START + timedelta(minutes=6),
                events=1,
                host="SRV-FILES",
            ),
        ),
        key_events=(
            KeyEvent(
                START + timedelta(minutes=1),
                "PC-RECEPTION",
                "Microsoft-Windows-Sysmon/Operational",
                "1",
                (
                    ("Image", r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"),
                    ("CommandLine", "powershell.exe -NoP -W Hidden -enc SQBFAFgAIAAoAE4AZQB3AC0A"),
                    ("ParentImage", r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE"),
                    ("User", "BAKERY\\reception"),
                ),
            ),
        ),
        actions=(
            Action(
                "Took PC-RECEPTION off the network", "Ana Müller", START + timedelta(minutes=45)
            ),
            Action("Reset the reception account's password", "Ana Müller", None),
        ),
        notifications=(
            Notification("Insurer (policy 123-456)", START + timedelta(hours=2), "by phone"),
        ),
        lessons="Block Office macros from the internet; encrypt the reception PC's disk.",
        evidence_events=linked,
        evidence_files=tuple(
            EvidenceFile(name, sha(name), sum(1 for e in linked if e.source_file == name))
            for name in FILES
        ),
        generated=START + timedelta(days=1),
    )
    return replace(report, **changes)
