"""The logging plan: YAML in the config folder, written by the wizard or `setup plan --edit`.

It says which platforms the office has and which of their logs are wanted, how long events
are kept, how they are received, and which sources are expected. From then on it drives what
Sources expects (a planned source that never arrives is silent from day one), what the
Overview says is missing, and step 4's checklist.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from watchkeeper.core import paths
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.settings import (
    HOT_DAYS,
    LISTENERS,
    RETENTION_MONTHS,
    retention_problem,
)
from watchkeeper.setup.catalogue import LOGS, PLATFORM_KINDS, PLATFORMS, PlatformKind

SCHEMA_VERSION = 1
FILENAME = "logging-plan.yaml"
MAX_COUNT = 100_000
MAX_SOURCES = 2_000
STEPS = 4
CheckState = str  # "green", "amber" or "red"
CHECK_STATES = ("green", "amber", "red")
# a host name or address as a sender writes it: letters, digits, dots, dashes, underscores,
# colons (IPv6); no spaces, no control characters
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,252}$")


class PlanError(WatchkeeperError):
    """A plan that cannot be read or kept; the message names the line or the value."""

    def __init__(self, message: str) -> None:
        super().__init__(message, title="Logging plan not read")


@dataclass
class PlatformPlan:
    count: int = 0  # rough: how many of them
    logs: list[str] = field(default_factory=list)  # catalogue.LOGS keys


@dataclass
class PlannedSource:
    """A device expected to send: the host name its events carry, or its address."""

    name: str
    platform: PlatformKind
    logs: list[str] = field(default_factory=list)  # empty: the platform's planned logs


@dataclass
class Receiving:
    listen_on_network: bool = False
    # the address endpoints send to (this machine's name or address on the office network)
    collector_address: str = ""
    listeners: dict[str, int] = field(default_factory=lambda: {"syslog-tls": 6514, "http": 8088})


@dataclass
class LoggingPlan:
    schema_version: int = SCHEMA_VERSION
    platforms: dict[PlatformKind, PlatformPlan] = field(default_factory=dict)
    retention_months: int = RETENTION_MONTHS
    hot_days: int = HOT_DAYS
    retention_reason: str = ""
    archive_folder: str = ""  # empty: beside the store
    receiving: Receiving = field(default_factory=Receiving)
    sources: list[PlannedSource] = field(default_factory=list)
    step: int = 0  # the wizard's page to reopen at, 0 to STEPS - 1
    # step 4's last answer: source name -> green, amber or red, and when it was checked
    checked: dict[str, CheckState] = field(default_factory=dict)
    checked_at: datetime | None = None

    def logs_for(self, source: PlannedSource) -> list[str]:
        """The logs a source is expected to send: its own list, else its platform's."""
        if source.logs:
            return list(source.logs)
        planned = self.platforms.get(source.platform)
        return list(planned.logs) if planned else []


def plan_path() -> Path:
    return paths.config_dir() / FILENAME


def plan_problems(plan: LoggingPlan) -> list[str]:
    """Everything wrong with a plan, one sentence each; empty when it may be saved."""
    problems: list[str] = []
    for kind, planned in plan.platforms.items():
        if kind not in PLATFORMS:
            problems.append(f"“{kind}” is not a kind of device this plan knows.")
            continue
        if not 0 <= planned.count <= MAX_COUNT:
            problems.append(f"{PLATFORMS[kind].title}: a count from 0 to {MAX_COUNT:,}.")
        for key in planned.logs:
            if key not in PLATFORMS[kind].logs:
                problems.append(f"{PLATFORMS[kind].title}: “{key}” is not one of its logs.")
    retention = retention_problem(plan.retention_months, plan.hot_days, plan.retention_reason)
    if retention:
        problems.append(retention)
    for name, port in plan.receiving.listeners.items():
        if name not in LISTENERS:
            problems.append(f"“{name}” is not a listener (one of {', '.join(LISTENERS)}).")
        elif not 1 <= port <= 65535:
            problems.append(f"The {name} port must be from 1 to 65535, not {port}.")
    address = plan.receiving.collector_address
    if address and not _NAME.match(address):
        problems.append(f"“{_shown(address)}” is not a host name or address endpoints can use.")
    seen: set[str] = set()
    if len(plan.sources) > MAX_SOURCES:
        problems.append(f"At most {MAX_SOURCES:,} planned sources.")
    for source in plan.sources:
        if not _NAME.match(source.name):
            problems.append(
                f"“{_shown(source.name)}” is not a host name or address (letters, digits, "
                "dots, dashes; no spaces)."
            )
        elif source.name.lower() in seen:
            problems.append(f"{source.name} is planned twice.")
        seen.add(source.name.lower())
        if source.platform not in PLATFORMS:
            problems.append(f"{_shown(source.name)}: “{source.platform}” is not a kind of device.")
            continue
        for key in source.logs:
            if key not in PLATFORMS[source.platform].logs:
                problems.append(f"{_shown(source.name)}: “{key}” is not one of its logs.")
    if not 0 <= plan.step < STEPS:
        problems.append(f"The wizard's step is from 1 to {STEPS}.")
    return problems


def source_name_problem(name: str) -> str:
    """Why `name` cannot be a planned source's name, in one sentence; empty when it can."""
    if _NAME.match(name):
        return ""
    return (
        f"“{_shown(name)}” is not a host name or address (letters, digits, dots, dashes; "
        "no spaces)."
    )


def _shown(text: str) -> str:
    """A value quoted in a message: control characters made visible, and cut short."""
    visible = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return visible if len(visible) <= 60 else visible[:57] + "…"


def to_document(plan: LoggingPlan) -> dict[str, Any]:
    return {
        "schema_version": plan.schema_version,
        "platforms": {
            kind: {"count": p.count, "logs": list(p.logs)} for kind, p in plan.platforms.items()
        },
        "retention_months": plan.retention_months,
        "hot_days": plan.hot_days,
        "retention_reason": plan.retention_reason,
        "archive_folder": plan.archive_folder,
        "receiving": {
            "listen_on_network": plan.receiving.listen_on_network,
            "collector_address": plan.receiving.collector_address,
            "listeners": dict(plan.receiving.listeners),
        },
        "sources": [
            {"name": s.name, "platform": s.platform, **({"logs": list(s.logs)} if s.logs else {})}
            for s in plan.sources
        ],
        "step": plan.step,
        "checked": dict(plan.checked),
        "checked_at": plan.checked_at.isoformat() if plan.checked_at else None,
    }


def from_document(document: object) -> LoggingPlan:
    """A plan from parsed YAML; PlanError names the first value of the wrong shape."""
    if not isinstance(document, dict):
        raise PlanError("The logging plan is not a YAML mapping of names to values.")
    version = document.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise PlanError("schema_version must be a whole number.")
    if version > SCHEMA_VERSION:
        raise PlanError(
            f"The logging plan was written by a newer Watchkeeper (version {version}); "
            "it is left as it is."
        )
    plan = LoggingPlan()
    platforms = _mapping(document, "platforms")
    for kind, value in platforms.items():
        if kind not in PLATFORM_KINDS:
            raise PlanError(
                f"platforms: “{_shown(str(kind))}” is not one of {', '.join(PLATFORM_KINDS)}."
            )
        if not isinstance(value, dict):
            raise PlanError(f"platforms.{kind}: expected count and logs.")
        entry = value
        plan.platforms[kind] = PlatformPlan(
            count=_int(entry, "count", 0, f"platforms.{kind}"),
            logs=_texts(entry, "logs", f"platforms.{kind}"),
        )
    plan.retention_months = _int(document, "retention_months", RETENTION_MONTHS, "")
    plan.hot_days = _int(document, "hot_days", HOT_DAYS, "")
    plan.retention_reason = _text(document, "retention_reason", "")
    plan.archive_folder = _text(document, "archive_folder", "")
    receiving = _mapping(document, "receiving")
    plan.receiving = Receiving(
        listen_on_network=_bool(receiving, "listen_on_network", "receiving"),
        collector_address=_text(receiving, "collector_address", "receiving"),
        listeners={
            str(name): _port(port, f"receiving.listeners.{name}")
            for name, port in _mapping(receiving, "listeners").items()
        }
        if "listeners" in receiving
        else Receiving().listeners,
    )
    sources = document.get("sources") or []
    if not isinstance(sources, list):
        raise PlanError("sources: expected a list of devices.")
    for number, item in enumerate(sources, 1):
        if not isinstance(item, dict):
            raise PlanError(f"sources, item {number}: expected name and platform.")
        platform = item.get("platform")
        if platform not in PLATFORM_KINDS:
            raise PlanError(
                f"sources, item {number}: platform must be one of {', '.join(PLATFORM_KINDS)}."
            )
        plan.sources.append(
            PlannedSource(
                name=_text(item, "name", f"sources, item {number}").strip(),
                platform=platform,
                logs=_texts(item, "logs", f"sources, item {number}"),
            )
        )
    plan.step = _int(document, "step", 0, "")
    checked = _mapping(document, "checked")
    plan.checked = {str(k): str(v) for k, v in checked.items() if v in CHECK_STATES}
    stamp = document.get("checked_at")
    if isinstance(stamp, datetime):
        plan.checked_at = stamp
    elif isinstance(stamp, str) and stamp:
        try:
            plan.checked_at = datetime.fromisoformat(stamp)
        except ValueError:
            raise PlanError(f"checked_at: “{_shown(stamp)}” is not a date and time.") from None
    return plan


def _where(context: str, key: str) -> str:
    return f"{context}.{key}" if context else key


def _mapping(document: dict[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key) or {}
    if not isinstance(value, dict):
        raise PlanError(f"{key}: expected names and values.")
    return value


def _int(document: dict[str, Any], key: str, default: int, context: str) -> int:
    value = document.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise PlanError(f"{_where(context, key)}: “{_shown(str(value))}” is not a whole number.")
    return value


def _port(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise PlanError(f"{where}: “{_shown(str(value))}” is not a port number.")
    return value


def _bool(document: dict[str, Any], key: str, context: str) -> bool:
    value = document.get(key, False)
    if not isinstance(value, bool):
        raise PlanError(f"{_where(context, key)}: expected true or false.")
    return value


def _text(document: dict[str, Any], key: str, context: str) -> str:
    value = document.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise PlanError(f"{_where(context, key)}: expected text.")
    return str(value)


def _texts(document: dict[str, Any], key: str, context: str) -> list[str]:
    value = document.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PlanError(f"{_where(context, key)}: expected a list of names.")
    return [str(v) for v in value]


def parse_plan(text: str, where: str = FILENAME) -> LoggingPlan:
    """A plan from YAML text; PlanError says where it is wrong."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PlanError(f"{where} is not valid YAML{at}.") from None
    return from_document(document or {})


def dump_plan(plan: LoggingPlan) -> str:
    header = (
        "# Watchkeeper's logging plan: what to log, how long to keep it, how it arrives.\n"
        "# Written by the setup wizard; `watchkeeper setup plan --edit` opens it in an editor.\n"
    )
    return header + yaml.safe_dump(to_document(plan), sort_keys=False, allow_unicode=True)


def load_plan(path: Path | None = None) -> LoggingPlan | None:
    """The saved plan; None when there is none yet. PlanError when it cannot be read."""
    path = path or plan_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise PlanError(f"{path.name} could not be read ({error.strerror or error}).") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PlanError(f"{path.name} is not UTF-8 text.") from None
    return parse_plan(text, path.name)


def save_plan(plan: LoggingPlan, path: Path | None = None) -> Path:
    """Write atomically after checking; PlanError lists what is wrong and nothing is written."""
    problems = plan_problems(plan)
    if problems:
        raise PlanError(" ".join(problems))
    path = path or plan_path()
    temporary = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(dump_plan(plan), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise PlanError(
            f"The logging plan could not be saved in {path.parent} ({error.strerror or error})."
        ) from None
    return path


def planned_logs(plan: LoggingPlan) -> list[str]:
    """Every log the plan wants from some platform, in the catalogue's order."""
    wanted = {key for p in plan.platforms.values() if p.count > 0 for key in p.logs}
    return [key for key in LOGS if key in wanted]
