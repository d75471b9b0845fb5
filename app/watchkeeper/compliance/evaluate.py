"""Judging every device against the policy: one row per device, one result per check.

A check that does not apply to a device's platform is "n/a"; one that applies but that no
source answers is "unknown". An exception turns a failing or unknown check into "excepted"
until it expires, and the result keeps what the check really found. The overall status is
"fail" when any check fails, else "unknown" when any is unknown, else "pass" ("excepted"
and "n/a" count as passing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from watchkeeper.compliance.checks import CHECK_FUNCTIONS, SOURCE_NAMES
from watchkeeper.compliance.devices import Device, merged_devices
from watchkeeper.compliance.exceptions import DeviceException, exceptions
from watchkeeper.compliance.logs import HostLogs
from watchkeeper.compliance.model import COMPLIANCE_STATE_REPORTED
from watchkeeper.compliance.policy import Policy
from watchkeeper.compliance.sources.values import shown
from watchkeeper.storage.store import Store

CheckStatus = Literal["pass", "fail", "unknown", "excepted", "n/a"]
Overall = Literal["pass", "fail", "unknown"]
STATUSES: tuple[CheckStatus, ...] = ("fail", "unknown", "excepted", "pass", "n/a")
_VERDICTS: dict[str, CheckStatus] = {"pass": "pass", "fail": "fail", "n/a": "n/a"}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check of one device: its status, why, and the evidence with its source and date.

    `reason` is what the check found, also when an exception applies: `status` is then
    "excepted", `actual` the status without the exception, and `exception` says who let
    the device off, why and until when.
    """

    check: str
    status: CheckStatus
    reason: str
    evidence: str | None = None
    source: str | None = None  # which source gave the evidence: intune, osquery, logs, ...
    observed: datetime | None = None  # when that source saw it (UTC)
    actual: CheckStatus = "unknown"
    exception: DeviceException | None = None


@dataclass(frozen=True)
class DeviceRow:
    """One device as the Devices view and `watchkeeper devices` show it."""

    device_id: str
    name: str
    platform: str
    os: str | None  # "Windows 10.0.22631.4460"
    owner: str | None
    sources: tuple[str, ...]
    host_names: tuple[str, ...]  # its names in the event store, for its events and hits
    last_seen: datetime  # the newest observation of it by any source (UTC)
    checks: Mapping[str, CheckResult]  # in the policy's order, enabled checks only
    overall: Overall
    notes: tuple[str, ...]  # what else its sources say: the MDM's verdict, Sysmon, Defender
    device: Device

    @property
    def failing(self) -> tuple[str, ...]:
        return tuple(name for name, result in self.checks.items() if result.status == "fail")


def device_rows(
    store: Store, policy: Policy, now: datetime, *, logs: Sequence[HostLogs] | None = None
) -> list[DeviceRow]:
    """Every device judged against `policy` at `now` (UTC).

    The settings' thresholds are the policy's (`load_policy`); `compliance.report` applies them.
    """
    active: dict[tuple[str, str], DeviceException] = {}
    for item in exceptions(store):
        if item.active(now):
            active.setdefault((item.device_id, item.check), item)
    return [evaluate_device(device, policy, now, active) for device in merged_devices(store, logs)]


def evaluate_device(
    device: Device,
    policy: Policy,
    now: datetime,
    active: Mapping[tuple[str, str], DeviceException] | None = None,
) -> DeviceRow:
    """One device judged against the policy; `active` holds the exceptions in force, by
    (device id, check)."""
    results: dict[str, CheckResult] = {}
    for check in policy.enabled:
        if device.platform not in check.platforms:
            results[check.name] = CheckResult(
                check.name,
                "n/a",
                f"{check.title} is not checked on {device.platform} devices",
                actual="n/a",
            )
            continue
        verdict = CHECK_FUNCTIONS[check.name](device, check, policy, now)
        actual = _VERDICTS.get(verdict.status, "unknown")
        exception = (active or {}).get((device.device_id, check.name))
        excepted = exception is not None and actual in ("fail", "unknown")
        results[check.name] = CheckResult(
            check.name,
            "excepted" if excepted else actual,
            verdict.reason,
            verdict.evidence,
            verdict.source,
            verdict.observed,
            actual,
            exception if excepted else None,
        )
    statuses = {result.status for result in results.values()}
    overall: Overall = (
        "fail" if "fail" in statuses else ("unknown" if "unknown" in statuses else "pass")
    )
    os_name, os_version = device.attribute("os_name"), device.attribute("os_version")
    os_text = " ".join(part for part in (os_name, os_version) if part) or None
    return DeviceRow(
        device.device_id,
        device.name,
        device.platform,
        os_text,
        device.attribute("owner"),
        device.sources,
        device.host_names,
        device.last_seen,
        results,
        overall,
        _notes(device),
        device,
    )


def _notes(device: Device) -> tuple[str, ...]:
    notes: list[str] = []
    verdict = device.facts.get(COMPLIANCE_STATE_REPORTED)
    if verdict is not None:
        notes.append(
            f"{SOURCE_NAMES.get(verdict.source, verdict.source)} reports it as "
            f"{shown(str(verdict.fact.value))} "
            f"({verdict.fact.observed:%Y-%m-%d})"
        )
    for host in device.logs:
        if host.sysmon is not None:
            version = f" {host.sysmon.version}" if host.sysmon.version else ""
            notes.append(f"Sysmon{version} on {shown(host.record.name)}: {host.sysmon.reason}")
        if host.detections:
            latest = host.detections[-1]
            detected = sum(1 for d in host.detections if d.event_id == 1116)
            notes.append(
                f"Defender on {shown(host.record.name)}: {detected:,} detection"
                f"{'s' if detected != 1 else ''}, the latest {shown(latest.threat or '?')}"
                + (f" on {latest.time:%Y-%m-%d}" if latest.time else "")
            )
    if device.linked:
        notes.append("Merged or split by hand")
    return tuple(notes)
