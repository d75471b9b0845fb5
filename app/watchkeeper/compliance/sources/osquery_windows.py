"""Windows facts from the pack's registry and Security Center queries: firewall per network
profile, screen lock per signed-in user, antivirus state and signature age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchkeeper.compliance.model import (
    AV_REALTIME,
    AV_SIGNATURE_UPDATED,
    FIREWALL,
    SCREEN_LOCK_MINUTES,
)
from watchkeeper.compliance.sources.osquery_log import HostFacts, ResultRow

_PROFILE_NAMES = {
    "domainprofile": "domain",
    "standardprofile": "private",
    "privateprofile": "private",
    "publicprofile": "public",
}
_REGISTRY = ("key", "name", "data")
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_SCREEN_SAVER = ("ScreenSaveActive", "ScreenSaverIsSecure", "ScreenSaveTimeOut")


def firewall(found: HostFacts) -> None:
    """On only if every network profile is on; Group Policy's setting wins over the local one."""
    profiles: dict[str, tuple[bool, ResultRow]] = {}
    for row in sorted(found.rows("windows_firewall_profiles"), key=_is_policy):
        profile = _PROFILE_NAMES.get(row.columns.get("key", "").rsplit("\\", 1)[-1].casefold())
        data = row.columns.get("data")
        if profile is not None and data in ("0", "1"):
            profiles[profile] = (data == "1", row)  # policy rows come last and win
    if profiles:
        off = sorted(name for name, (on, _) in profiles.items() if not on)
        rows = [row for _, row in profiles.values()]
        reading = (
            f"off for the {', '.join(off)} profile" + ("s" if len(off) > 1 else "")
            if off
            else f"on for the {', '.join(sorted(profiles))} profiles"
        )
        found.put(FIREWALL, not off, "windows_firewall_profiles", rows, _REGISTRY, reading)
        return
    for row in found.rows("windows_security_center")[:1]:
        health = row.columns.get("firewall")
        if health in ("Good", "Poor"):
            found.put(FIREWALL, health == "Good", "windows_security_center", [row], ("firewall",))


def _is_policy(row: ResultRow) -> bool:
    return "\\policies\\" in row.columns.get("key", "").casefold()


def antivirus(found: HostFacts) -> None:
    products = [
        row
        for row in found.rows("windows_security_products")
        if row.columns.get("type") == "Antivirus"
    ]
    on = [row for row in products if row.columns.get("state") == "On"]
    columns = ("type", "name", "state")
    if on:
        found.put(AV_REALTIME, True, "windows_security_products", on[:1], columns)
    elif products:
        found.put(AV_REALTIME, False, "windows_security_products", products[:3], columns)
    defender = found.rows("windows_defender")
    if not found.has(AV_REALTIME):
        switches = sorted(
            (
                row
                for row in defender
                if row.columns.get("name") == "DisableRealtimeMonitoring"
                and row.columns.get("data") in ("0", "1")
            ),
            key=_is_policy,
        )
        if switches:  # the policy row, sorted last, wins
            found.put(
                AV_REALTIME,
                switches[-1].columns["data"] == "0",
                "windows_defender",
                switches[-1:],
                _REGISTRY,
                "Microsoft Defender",
            )
    if not found.has(AV_REALTIME):
        for row in found.rows("windows_security_center")[:1]:
            if row.columns.get("antivirus") == "Good":
                found.put(AV_REALTIME, True, "windows_security_center", [row], ("antivirus",))
    for row in defender:
        if row.columns.get("name") == "AVSignatureApplied":
            stamp = filetime(row.columns.get("data", ""))
            if stamp is not None:
                found.put(
                    AV_SIGNATURE_UPDATED,
                    stamp,
                    "windows_defender",
                    [row],
                    _REGISTRY,
                    f"FILETIME {stamp:%Y-%m-%d %H:%M:%S} UTC",
                )


def filetime(hex_text: str) -> datetime | None:
    """A Windows FILETIME as osquery shows REG_BINARY data (hex, little-endian), in UTC."""
    try:
        ticks = int.from_bytes(bytes.fromhex(hex_text.strip()[:16]), "little")
    except ValueError:
        return None
    if len(hex_text.strip()) < 16 or ticks == 0:
        return None
    stamp = _FILETIME_EPOCH + timedelta(microseconds=ticks // 10)
    return stamp if 2000 <= stamp.year <= 2200 else None


def screen_lock(found: HostFacts) -> None:
    """Minutes before the screen locks for the worst signed-in user; 0 when it never does.

    The machine inactivity limit locks every session; a password-protected screen saver
    locks one user's. Locking when the PC sleeps is not read, so a user without either
    counts as never locking by idle time, and the evidence says how that was decided.
    """
    rows = found.rows("windows_screen_lock")
    machine: ResultRow | None = None
    users: dict[str, dict[str, ResultRow]] = {}
    for row in sorted(rows, key=_is_policy):  # policy rows last, so they win
        key, name = row.columns.get("key", ""), row.columns.get("name", "")
        if name == "InactivityTimeoutSecs" and row.columns.get("data", "").isdigit():
            machine = row
        parts = key.split("\\")
        if (
            len(parts) > 2
            and parts[0] == "HKEY_USERS"
            and name in _SCREEN_SAVER
            and (parts[1].startswith("S-1-5-21-") and not parts[1].endswith("_Classes"))
        ):
            users.setdefault(parts[1], {})[name] = row
    limit = int(machine.columns["data"]) if machine is not None else 0
    limit_minutes = -(-limit // 60) if limit > 0 else None
    worst: tuple[int, list[ResultRow], str] | None = None
    for sid, values in sorted(users.items()):
        timer = _screen_saver_minutes(values)
        if timer is None:
            return  # a user's setting is incomplete: unknown, not guessed
        minutes = (
            timer
            if limit_minutes is None
            else (limit_minutes if timer == 0 else min(timer, limit_minutes))
        )
        reading = (
            f"{sid}: password-protected screen saver after {timer} min"
            if timer
            else f"{sid}: no password-protected screen saver"
        )
        if worst is None or _later(minutes, worst[0]):
            worst = (minutes, list(values.values()), reading)
    evidence_rows = ([machine] if machine is not None else []) + (worst[1] if worst else [])
    if worst is None and limit_minutes is None:
        return
    minutes = worst[0] if worst is not None else limit_minutes or 0
    reading = "; ".join(
        part
        for part in (
            f"machine inactivity limit {limit} s"
            if limit_minutes
            else "no machine inactivity limit",
            worst[2] if worst else "",
        )
        if part
    )
    found.put(
        SCREEN_LOCK_MINUTES, minutes, "windows_screen_lock", evidence_rows, _REGISTRY, reading
    )


def _later(minutes: int, than: int) -> bool:
    """Whether a lock after `minutes` is worse than one after `than` (0, never, is worst)."""
    return than != 0 and (minutes == 0 or minutes > than)


def _screen_saver_minutes(values: dict[str, ResultRow]) -> int | None:
    """Minutes before this user's screen saver locks; 0 = it does not; None = unknown."""
    data = {name: row.columns.get("data", "") for name, row in values.items()}
    if data.get("ScreenSaveActive") == "0" or data.get("ScreenSaverIsSecure") == "0":
        return 0
    timeout = data.get("ScreenSaveTimeOut", "")
    if (
        data.get("ScreenSaveActive") == "1"
        and data.get("ScreenSaverIsSecure") == "1"
        and (timeout.isdigit())
    ):
        return -(-int(timeout) // 60) if int(timeout) > 0 else 0
    return None
