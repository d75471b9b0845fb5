"""The checks: each judges one merged device against the policy and says why, in a sentence.

A check answers pass or fail only from a fact some source gave, and unknown when no source
said; the sentence then names the sources that could tell. Whether a check applies to the
device's platform at all is decided by the caller (`evaluate`), not here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from watchkeeper.compliance.devices import Device, SourcedFact
from watchkeeper.compliance.logs import HostLogs
from watchkeeper.compliance.model import (
    ATTESTATION,
    AV_REALTIME,
    AV_SIGNATURE_UPDATED,
    ENCRYPTED,
    FIREWALL,
    MDM_LAST_CHECKIN,
    PLATFORM_LINUX,
    PLATFORM_WINDOWS,
    ROOTED,
    SCREEN_LOCK_MINUTES,
    SECURE_BOOT,
    SOURCE_GOOGLE,
    SOURCE_INTUNE,
    SOURCE_JAMF,
    SOURCE_LOGS,
    SOURCE_OSQUERY,
)
from watchkeeper.compliance.policy import CheckSettings, Policy, Release
from watchkeeper.compliance.sources.values import shown
from watchkeeper.core.text import shown_day

SOURCE_NAMES = {
    SOURCE_INTUNE: "Intune",
    SOURCE_GOOGLE: "Google Workspace",
    SOURCE_JAMF: "Jamf Pro",
    SOURCE_OSQUERY: "osquery",
    SOURCE_LOGS: "the logs",
}
_MDM_SOURCES = (SOURCE_INTUNE, SOURCE_GOOGLE, SOURCE_JAMF)
_NUMBERS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str  # "pass", "fail", "unknown", or "n/a" when the check has nothing to judge
    reason: str  # one sentence
    evidence: str | None = None
    source: str | None = None
    observed: datetime | None = None


Check = Callable[[Device, CheckSettings, Policy, datetime], Verdict]


def _from(item: SourcedFact, status: str, reason: str) -> Verdict:
    return Verdict(status, reason, item.fact.evidence, item.source, item.fact.observed)


def _flag(device: Device, fact: str, yes: str, no: str, unknown: str, good: bool = True) -> Verdict:
    item = device.facts.get(fact)
    if item is None:
        return Verdict("unknown", unknown)
    value = item.fact.value
    return _from(item, "pass" if value is good else "fail", yes if value else no)


def encrypted(device: Device, check: CheckSettings, policy: Policy, now: datetime) -> Verdict:
    return _flag(
        device,
        ENCRYPTED,
        "Its storage is encrypted",
        "Its storage is not encrypted",
        "No source says whether its storage is encrypted (an MDM export or osquery can)",
    )


def firewall(device: Device, check: CheckSettings, policy: Policy, now: datetime) -> Verdict:
    return _flag(
        device,
        FIREWALL,
        "The firewall is on",
        "The firewall is off",
        "No source says whether the firewall is on (osquery and Jamf Pro can)",
    )


def not_rooted(device: Device, check: CheckSettings, policy: Policy, now: datetime) -> Verdict:
    return _flag(
        device,
        ROOTED,
        "The device is rooted or jailbroken",
        "The device is not rooted or jailbroken",
        "No source says whether the device is rooted or jailbroken (an MDM export can)",
        good=False,
    )


def secure_boot(device: Device, check: CheckSettings, policy: Policy, now: datetime) -> Verdict:
    return _flag(
        device,
        SECURE_BOOT,
        "Secure boot is on",
        "Secure boot is off",
        "No source says whether secure boot is on (osquery and Jamf Pro can)",
    )


def attestation(device: Device, check: CheckSettings, policy: Policy, now: datetime) -> Verdict:
    return _flag(
        device,
        ATTESTATION,
        "The device passes attestation",
        "The device fails attestation",
        "No source says whether the device passes attestation (Google Workspace can)",
    )


def screen_lock(device: Device, check: CheckSettings, policy: Policy, now: datetime) -> Verdict:
    item = device.facts.get(SCREEN_LOCK_MINUTES)
    limit = check.params["max_minutes"]
    if item is None:
        return Verdict(
            "unknown",
            "No source says after how long the screen locks "
            "(osquery, Jamf Pro and Google Workspace can)",
        )
    minutes = item.fact.value
    assert isinstance(minutes, int)
    if minutes == 0:
        return _from(item, "fail", "The screen never locks with a password")
    if minutes > limit:
        return _from(
            item,
            "fail",
            f"The screen locks after {minutes} minutes, more than the policy's {limit:g}",
        )
    return _from(item, "pass", f"The screen locks after {minutes} minutes")


def antivirus(device: Device, check: CheckSettings, policy: Policy, now: datetime) -> Verdict:
    realtime = device.facts.get(AV_REALTIME)
    updated = device.facts.get(AV_SIGNATURE_UPDATED)
    limit = check.params["max_signature_age_days"]
    if realtime is not None and realtime.fact.value is False:
        return _from(realtime, "fail", "Antivirus real-time protection is off")
    age = None
    if updated is not None:
        assert isinstance(updated.fact.value, datetime)
        age = now - updated.fact.value
        if age > timedelta(days=limit):
            return _from(
                updated,
                "fail",
                f"Antivirus signatures are {_age(age)} old, more than the policy's {limit:g} days",
            )
    if realtime is None or updated is None or age is None:
        missing = (
            "whether real-time protection is on"
            if realtime is None
            else "when the signatures were updated"
        )
        verdict = Verdict(
            "unknown", f"No source says {missing} (osquery and Defender's own events can)"
        )
        known = realtime or updated
        return (
            verdict
            if known is None
            else Verdict(
                verdict.status,
                verdict.reason,
                known.fact.evidence,
                known.source,
                known.fact.observed,
            )
        )
    return Verdict(
        "pass",
        f"Real-time protection is on and signatures are {_age(age)} old",
        f"{realtime.fact.evidence}; {updated.fact.evidence}",
        updated.source,
        updated.fact.observed,
    )


def mdm_checkin(device: Device, check: CheckSettings, policy: Policy, now: datetime) -> Verdict:
    item = device.facts.get(MDM_LAST_CHECKIN)
    limit = check.params["max_age_days"]
    if item is None:
        mdm = [SOURCE_NAMES[s] for s in device.sources if s in _MDM_SOURCES]
        if mdm:
            return Verdict("unknown", f"The {' and '.join(mdm)} export gives no check-in time")
        return Verdict("unknown", "No MDM export lists this device")
    stamp = item.fact.value
    assert isinstance(stamp, datetime)
    age = now - stamp
    mdm_name = SOURCE_NAMES.get(item.source, item.source)
    if age > timedelta(days=limit):
        return _from(
            item,
            "fail",
            f"Last checked in with {mdm_name} {_age(age)} ago, more "
            f"than the policy's {limit:g} days",
        )
    return _from(item, "pass", f"Checked in with {mdm_name} {_age(age)} ago")


def logs_received(device: Device, check: CheckSettings, policy: Policy, now: datetime) -> Verdict:
    limit = check.params["max_age_hours"]
    if not device.logs and not device.logs_in_store:
        return Verdict("unknown", "The store holds no events from any named host yet")
    if not device.logs:
        names = sorted({record.name for record in device.records})
        return Verdict(
            "fail",
            "No events from this device in the store (looked for "
            f"{', '.join(shown(name) for name in names[:4])})",
        )
    forwarding = [host for host in device.logs if host.forwarded]
    if not forwarding:  # imported files only: history, not a device that stopped sending
        newest = max(device.logs, key=lambda host: host.last_seen)
        return Verdict(
            "n/a",
            "History only: its events were imported from files (the newest "
            f"{shown_day(newest.last_seen)}); it does not forward its logs",
            newest.last_seen_evidence,
            SOURCE_LOGS,
            newest.last_seen,
        )
    newest = max(forwarding, key=lambda host: host.last_seen)
    age = now - newest.last_seen
    if age > timedelta(hours=limit):
        return Verdict(
            "fail",
            f"No events for {_age(age)}, more than the policy's {limit:g} hours",
            newest.last_seen_evidence,
            SOURCE_LOGS,
            newest.last_seen,
        )
    ahead = " (its clock is ahead of this one)" if age < timedelta(0) else ""
    return Verdict(
        "pass",
        f"Its newest event is {_age(age)} old{ahead}",
        newest.last_seen_evidence,
        SOURCE_LOGS,
        newest.last_seen,
    )


def sysmon(device: Device, check: CheckSettings, policy: Policy, now: datetime) -> Verdict:
    with_sysmon = [host for host in device.logs if host.sysmon is not None]
    if not with_sysmon:
        windows = [host for host in device.logs if host.record.platform == PLATFORM_WINDOWS]
        if not windows:
            return Verdict("unknown", "No Windows events from this device in the store")
        events = sum(host.events for host in windows)
        return Verdict(
            "fail",
            f"None of its {events:,} Windows events is from Sysmon: it is "
            "not installed, or its log is not collected",
            windows[0].last_seen_evidence,
            SOURCE_LOGS,
            windows[0].last_seen,
        )
    host = max(with_sysmon, key=_sysmon_time)
    state = host.sysmon
    assert state is not None
    version = f"Sysmon {state.version}" if state.version else "Sysmon"
    evidence = state.changes[-1].evidence if state.changes else host.last_seen_evidence
    observed = _sysmon_time(host)
    if state.running is False:
        return Verdict(
            "fail", f"{version} stopped: {state.reason}", evidence, SOURCE_LOGS, observed
        )
    return Verdict("pass", f"{version} is running: {state.reason}", evidence, SOURCE_LOGS, observed)


def _sysmon_time(host: HostLogs) -> datetime:
    state = host.sysmon
    times = [state.last_seen] if state and state.last_seen else []
    times += [c.time for c in state.changes if c.time] if state else []
    return max(times, default=host.last_seen)


def os_supported(device: Device, check: CheckSettings, policy: Policy, now: datetime) -> Verdict:
    support = policy.supported.get(device.platform)
    version = device.attributes.get("os_version")
    os_name = device.attribute("os_name") or ""
    if support is None:
        return Verdict("unknown", f"The policy lists no supported versions for {device.platform}")
    if version is None:
        return Verdict("unknown", "No source says which version of its operating system it runs")
    evidence = (
        f"{SOURCE_NAMES.get(version.source, version.source)} "
        f"{version.source_label}, {version.location}: "
        f"OS {shown((os_name + ' ' + version.value).strip())}"
    )
    today = now.date()

    def verdict(status: str, reason: str) -> Verdict:
        return Verdict(status, reason, evidence, version.source, version.observed)

    numbers = [int(n) for n in _NUMBERS.findall(version.value)]
    if support.minimum is not None:
        minimum = [int(n) for n in _NUMBERS.findall(support.minimum)]
        if not numbers:
            return verdict("unknown", f"The version {shown(version.value)} is not a number")
        if numbers >= minimum:
            return verdict(
                "pass",
                f"Version {version.value} is supported (the policy accepts "
                f"{support.minimum} or later)",
            )
        return verdict(
            "fail",
            f"Version {version.value} is older than the oldest the policy "
            f"accepts ({support.minimum})",
        )
    if device.platform == PLATFORM_WINDOWS:
        build = (
            numbers[2]
            if len(numbers) >= 3 and numbers[0] == 10
            else (numbers[0] if numbers and numbers[0] >= 1000 else None)
        )
        if build is None:
            return verdict(
                "unknown", f"The version {shown(version.value)} gives no Windows build number"
            )
        server = "server" in os_name.casefold()
        matches = [r for r in support.releases if int(r.version) == build]
        match = next((r for r in matches if r.server == server), matches[0] if matches else None)
        if match is None:
            newest = max(support.releases, key=lambda r: int(r.version))
            if build > int(newest.version):
                return verdict(
                    "pass",
                    f"Build {build} is newer than every release the policy "
                    f"(written {policy.written}) lists",
                )
            return verdict(
                "fail", f"Build {build} is not a Windows release the policy lists as supported"
            )
        return verdict(*_release(match, today))
    if device.platform == PLATFORM_LINUX:
        folded = os_name.casefold()
        distribution = next((name for name in support.distributions if name in folded), None)
        if distribution is None:
            named = shown(os_name) if os_name else "its distribution"
            return verdict("unknown", f"The policy lists no supported versions of {named}")
        for release in support.distributions[distribution]:
            wanted = [int(n) for n in _NUMBERS.findall(release.version)]
            if numbers[: len(wanted)] == wanted:
                return verdict(*_release(release, today))
        return verdict(
            "fail", f"{os_name} {version.value} is not a release the policy lists as supported"
        )
    return verdict("unknown", f"The policy gives no rule for {device.platform} versions")


def _release(release: Release, today: date) -> tuple[str, str]:
    if release.until is None:
        return "pass", f"{release.name} is supported"
    if release.until >= today:
        return "pass", f"{release.name} is supported until {release.until}"
    return "fail", f"{release.name} reached the end of its support on {release.until}"


def _age(age: timedelta) -> str:
    seconds = abs(age.total_seconds())
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


CHECK_FUNCTIONS: Mapping[str, Check] = {
    "os_supported": os_supported,
    "encrypted": encrypted,
    "firewall": firewall,
    "screen_lock": screen_lock,
    "not_rooted": not_rooted,
    "antivirus": antivirus,
    "secure_boot": secure_boot,
    "attestation": attestation,
    "mdm_checkin": mdm_checkin,
    "logs_received": logs_received,
    "sysmon": sysmon,
}
