"""Large sets of generated Windows events as real EVTX files, for benchmarks and tests."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from watchkeeper.scenarios.evtx_writer import EvtxRecord, write_evtx


def write_large_set(folder: str | os.PathLike[str], count: int) -> list[Path]:
    """`count` varied records in three logs (Security, Sysmon, System), the same on every run.

    For benchmarks: logons by many users from many addresses, process starts with distinct
    command lines, and a service install now and then.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    start = datetime(2024, 3, 4, 8, tzinfo=UTC)
    plan = (
        ("Security.evtx", count * 9 // 20, _logon),
        ("Microsoft-Windows-Sysmon%4Operational.evtx", count // 2, _process_start),
        ("System.evtx", count - count * 9 // 20 - count // 2, _service_install),
    )
    for name, records, make in plan:
        write_evtx(
            target / name,
            (make(i, start + timedelta(milliseconds=370 * i)) for i in range(records)),
        )
    return [target / name for name, _, _ in plan]


def _system(
    provider: Mapping[str, object],
    event_id: int,
    when: datetime,
    channel: str,
    host: str,
    **fields: object,
) -> dict[str, object]:
    return {
        "Provider": provider,
        "EventID": event_id,
        "Version": fields.pop("Version", 0),
        "Level": 4,
        "Task": 0,
        "Opcode": 0,
        "Keywords": "0x8000000000000000",
        "TimeCreated": when,
        "Execution": {"ProcessID": 640, "ThreadID": 700},
        "Channel": channel,
        "Computer": host,
        **fields,
    }


def _logon(i: int, when: datetime) -> EvtxRecord:
    provider = {
        "Name": "Microsoft-Windows-Security-Auditing",
        "Guid": UUID("54849625-5478-4994-a5ba-3e3b0328c30d"),
    }
    system = _system(
        provider,
        4624,
        when,
        "Security",
        "DC01.contoso.local",
        Version=2,
        Level=0,
        Task=12544,
        Keywords="0x8020000000000000",
    )
    return EvtxRecord(
        system,
        {
            "SubjectUserSid": "S-1-5-18",
            "SubjectUserName": "DC01$",
            "SubjectDomainName": "CONTOSO",
            "SubjectLogonId": "0x3e7",
            "TargetUserSid": f"S-1-5-21-3623811015-{1100 + i % 97}",
            "TargetUserName": f"user{i % 97:02d}",
            "TargetDomainName": "CONTOSO",
            "TargetLogonId": hex(0x10000 + i),
            "LogonType": 10 if i % 7 == 0 else 3,
            "LogonProcessName": "NtLmSsp ",
            "AuthenticationPackageName": "NTLM",
            "WorkstationName": f"PC{i % 40:02d}",
            "ProcessName": "-",
            "KeyLength": 128,
            "IpAddress": f"10.0.{i % 4}.{10 + i % 200}",
            "IpPort": str(49152 + i % 16000),
        },
    )


def _process_start(i: int, when: datetime) -> EvtxRecord:
    provider = {
        "Name": "Microsoft-Windows-Sysmon",
        "Guid": UUID("5770385f-c22a-43e0-bf4c-06f5698ffbd9"),
    }
    host = f"PC{i % 40:02d}.contoso.local"
    system = _system(
        provider,
        1,
        when,
        "Microsoft-Windows-Sysmon/Operational",
        host,
        Version=5,
        Task=1,
        Security={"UserID": "S-1-5-18"},
    )
    image = ("cmd.exe", "powershell.exe", "notepad.exe", "msedge.exe")[i % 4]
    return EvtxRecord(
        system,
        {
            "RuleName": "-",
            "UtcTime": when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
            "ProcessGuid": f"{{5770385f-{i % 65536:04x}-{i // 65536 % 65536:04x}-0000-001000000000}}",
            "ProcessId": 1000 + i % 60000,
            "Image": f"C:\\Windows\\System32\\{image}",
            "CommandLine": f"{image} /c echo job {i}",
            "CurrentDirectory": "C:\\Users\\alice\\",
            "User": f"CONTOSO\\user{i % 97:02d}",
            "IntegrityLevel": "Medium",
            "Hashes": f"SHA256={hashlib.sha256(image.encode()).hexdigest().upper()}",
            "ParentProcessId": 4400 + i % 9,
            "ParentImage": "C:\\Windows\\explorer.exe",
        },
    )


def _service_install(i: int, when: datetime) -> EvtxRecord:
    provider = {
        "Name": "Service Control Manager",
        "Guid": "{555908d1-a6d7-4695-8e1e-26931d2012f4}",
        "EventSourceName": "Service Control Manager",
    }
    system = _system(
        provider,
        7045,
        when,
        "System",
        f"PC{i % 40:02d}.contoso.local",
        Qualifiers=16384,
        Keywords="0x8080000000000000",
    )
    return EvtxRecord(
        system,
        {
            "ServiceName": f"Updater{i % 13}",
            "ImagePath": f"C:\\Program Files\\Updater\\upd{i}.exe",
            "ServiceType": "user mode service",
            "StartType": "auto start",
            "AccountName": "LocalSystem",
        },
    )
