"""The compliance policy: which checks apply to which platforms, their thresholds, and the
operating system versions that are still supported, read from YAML and validated.

The shipped policy is `rules/compliance/default.yml`. A file that is not valid YAML, has a
value of the wrong type or names a check Watchkeeper does not have is refused with a
message naming the file and the key. Thresholds can be overridden from the settings
("compliance_thresholds": {"screen_lock.max_minutes": 10}).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from watchkeeper.compliance.model import PLATFORM_LINUX, PLATFORM_WINDOWS, PLATFORMS
from watchkeeper.core import paths
from watchkeeper.core.errors import WatchkeeperError

DEFAULT_POLICY = Path("compliance") / "default.yml"  # under the shipped rules folder
_ALL = tuple(PLATFORMS)


class PolicyError(WatchkeeperError):
    title = "Compliance policy not loaded"


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A check Watchkeeper knows how to make, and its defaults."""

    title: str  # "Disk encrypted"
    column: str  # a short column heading: "Enc"
    platforms: tuple[str, ...]  # where it applies unless the policy says otherwise
    params: Mapping[str, tuple[float, str]] = field(default_factory=dict)  # name -> (default, unit)


CHECKS: Mapping[str, CheckSpec] = {
    "os_supported": CheckSpec("Supported OS version", "OS", _ALL[:-1]),
    "encrypted": CheckSpec("Disk encrypted", "Enc", _ALL[:-1]),
    "firewall": CheckSpec("Firewall on", "FW", ("windows", "macos", "linux")),
    "screen_lock": CheckSpec(
        "Screen lock",
        "Lock",
        ("windows", "macos", "ios", "android", "chromeos"),
        {"max_minutes": (15, "minutes")},
    ),
    "not_rooted": CheckSpec("Not rooted or jailbroken", "Root", ("ios", "android")),
    "antivirus": CheckSpec(
        "Antivirus on and up to date", "AV", ("windows",), {"max_signature_age_days": (7, "days")}
    ),
    "secure_boot": CheckSpec("Secure boot", "Boot", ("windows", "macos", "linux")),
    "attestation": CheckSpec("Attestation passes", "Att", ("android",)),
    "mdm_checkin": CheckSpec(
        "MDM check-in",
        "MDM",
        ("windows", "macos", "ios", "android", "chromeos"),
        {"max_age_days": (7, "days")},
    ),
    "logs_received": CheckSpec(
        "Logs received",
        "Logs",
        ("windows", "macos", "linux", "other"),
        {"max_age_hours": (24, "hours")},
    ),
    "sysmon": CheckSpec("Sysmon running", "Sysmon", ("windows",)),
}


@dataclass(frozen=True, slots=True)
class CheckSettings:
    name: str
    title: str
    column: str
    enabled: bool
    platforms: frozenset[str]
    params: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Release:
    """One supported release: a Windows build, a Linux distribution's version."""

    version: str  # "26200" (a Windows build), "24.04"
    name: str  # "Windows 11 25H2"
    until: date | None  # the last day it gets security updates; None: not yet announced
    server: bool = False  # a Windows Server release (its builds can match a client's)


@dataclass(frozen=True, slots=True)
class PlatformSupport:
    platform: str
    minimum: str | None = None  # the oldest supported version: "14"
    releases: tuple[Release, ...] = ()  # Windows: the supported builds
    distributions: Mapping[str, tuple[Release, ...]] = field(default_factory=dict)  # Linux


@dataclass(frozen=True)
class Policy:
    name: str
    file: str  # the file it was read from, as messages name it
    written: date  # when its supported versions were checked
    checks: tuple[CheckSettings, ...]
    supported: Mapping[str, PlatformSupport]
    notes: tuple[str, ...] = ()  # overrides applied or ignored

    @property
    def enabled(self) -> tuple[CheckSettings, ...]:
        return tuple(check for check in self.checks if check.enabled)

    def check(self, name: str) -> CheckSettings:
        return next(check for check in self.checks if check.name == name)

    def stale(self, today: date, days: int = 365) -> bool:
        """Whether the supported versions are old enough to need reviewing."""
        return (today - self.written).days > days


def load_policy(path: Path | None = None, thresholds: Mapping[str, float] | None = None) -> Policy:
    """The policy in `path` (default: the shipped one), with threshold overrides applied."""
    path = path or paths.rules_dir() / DEFAULT_POLICY
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise PolicyError(f"{path.name}: could not be read ({reason or error})") from error
    return apply_thresholds(parse_policy(text, path.name), thresholds or {})


def parse_policy(text: str, file: str) -> Policy:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise PolicyError(f"{file}{where}: not valid YAML ({problem})") from error
    reader = _Reader(file)
    top = reader.mapping(document, "", {"policy", "written", "supported_os", "checks"})
    written = reader.date(top.get("written"), "written", required=True)
    assert written is not None
    name = reader.text(top.get("policy", file), "policy")
    checks_doc = reader.mapping(top.get("checks"), "checks", set(CHECKS), required=True)
    checks = tuple(_check(reader, name, checks_doc.get(name)) for name in CHECKS)
    supported_doc = reader.mapping(top.get("supported_os", {}), "supported_os", set(PLATFORMS))
    supported = {
        platform: _support(reader, platform, value) for platform, value in supported_doc.items()
    }
    return Policy(name, file, written, checks, supported)


def apply_thresholds(policy: Policy, thresholds: Mapping[str, float]) -> Policy:
    """The policy with thresholds from the settings ("check.param" -> value)."""
    notes = list(policy.notes)
    checks = {check.name: check for check in policy.checks}
    for key, value in sorted(thresholds.items()):
        check_name, _, param = key.partition(".")
        check = checks.get(check_name)
        if check is None or param not in check.params:
            notes.append(f"Settings: {key!r} is not a threshold of the policy; ignored")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            notes.append(f"Settings: {key!r} must be a positive number, not {value!r}; ignored")
            continue
        unit = CHECKS[check_name].params[param][1]
        notes.append(
            f"Settings: {check.title} {param.replace('_', ' ')} is {value:g} {unit} "
            f"(the policy says {check.params[param]:g})"
        )
        checks[check_name] = replace(check, params={**check.params, param: float(value)})
    return replace(policy, checks=tuple(checks[c.name] for c in policy.checks), notes=tuple(notes))


def _check(reader: _Reader, name: str, value: Any) -> CheckSettings:
    spec = CHECKS[name]
    where = f"checks.{name}"
    doc = reader.mapping(
        value if value is not None else {}, where, {"enabled", "platforms", *spec.params}
    )
    enabled = doc.get("enabled", value is not None)
    if not isinstance(enabled, bool):
        reader.fail(f"{where}.enabled", "must be true or false", enabled)
    platforms = doc.get("platforms", list(spec.platforms))
    if not isinstance(platforms, list) or not all(p in PLATFORMS for p in platforms):
        reader.fail(
            f"{where}.platforms", f"must be a list of platforms ({', '.join(PLATFORMS)})", platforms
        )
    params: dict[str, float] = {}
    for param, (default, unit) in spec.params.items():
        number = doc.get(param, default)
        if isinstance(number, bool) or not isinstance(number, int | float) or number <= 0:
            reader.fail(f"{where}.{param}", f"must be a positive number of {unit}", number)
        params[param] = float(number)
    return CheckSettings(name, spec.title, spec.column, enabled, frozenset(platforms), params)


def _support(reader: _Reader, platform: str, value: Any) -> PlatformSupport:
    where = f"supported_os.{platform}"
    if platform == PLATFORM_WINDOWS:
        return PlatformSupport(platform, releases=_releases(reader, value, where, "build"))
    if platform == PLATFORM_LINUX:
        doc = reader.mapping(value, where, None, required=True)
        return PlatformSupport(
            platform,
            distributions={
                reader.text(name, f"{where} (a distribution's name)").casefold(): _releases(
                    reader, releases, f"{where}.{name}", "version"
                )
                for name, releases in doc.items()
            },
        )
    doc = reader.mapping(value, where, {"minimum"}, required=True)
    return PlatformSupport(platform, minimum=reader.version(doc.get("minimum"), f"{where}.minimum"))


def _releases(reader: _Reader, value: Any, where: str, key: str) -> tuple[Release, ...]:
    if not isinstance(value, list) or not value:
        reader.fail(where, f"must be a list of releases, each with {key}, name and until", value)
    releases: list[Release] = []
    for index, item in enumerate(value):
        at = f"{where}[{index}]"
        doc = reader.mapping(item, at, {key, "name", "until", "server"}, required=True)
        version = reader.version(doc.get(key), f"{at}.{key}")
        server = doc.get("server", False)
        if not isinstance(server, bool):
            reader.fail(f"{at}.server", "must be true or false", server)
        releases.append(
            Release(
                version,
                reader.text(doc.get("name"), f"{at}.name"),
                reader.date(doc.get("until"), f"{at}.until"),
                server,
            )
        )
    return tuple(releases)


class _Reader:
    """Typed reading of a YAML document, failing with the file and key named."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, problem: str, value: Any) -> None:
        shown = (
            repr(value)
            if not isinstance(value, dict | list) or len(repr(value)) < 60
            else type(value).__name__
        )
        raise PolicyError(f"{self.file}: {key or 'the document'} {problem}, not {shown}")

    def mapping(
        self, value: Any, key: str, known: set[str] | None, required: bool = False
    ) -> dict[str, Any]:
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.fail(key, "must be a mapping of names to values", value)
        assert isinstance(value, dict)
        for name in value:
            if not isinstance(name, str):
                self.fail(key, "must have names as keys", name)
            if known is not None and name not in known:
                what = "check" if key == "checks" else "key"
                place = f"{key}.{name}" if key else name
                raise PolicyError(
                    f"{self.file}: {place} is not a {what} Watchkeeper knows "
                    f"(known: {', '.join(sorted(known))})"
                )
        return value

    def text(self, value: Any, key: str) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "must be text", value)
        assert isinstance(value, str)
        return value.strip()

    def version(self, value: Any, key: str) -> str:
        """A version number as text: YAML reads 24.10 as the number 24.1, so it is quoted."""
        if isinstance(value, float):
            self.fail(
                key,
                'must be quoted ("24.10"): YAML reads an unquoted 24.10 as the number 24.1',
                value,
            )
        text = self.text(value, key)
        if not text[:1].isdigit():
            self.fail(key, 'must be a version number such as 14, "22.04" or 26200', value)
        return text

    def date(self, value: Any, key: str, required: bool = False) -> date | None:
        if value is None and not required:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(key, "must be a date such as 2026-11-23", value)
        return None
