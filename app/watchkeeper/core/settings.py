"""The user's settings: a typed model with a schema version, kept as JSON in the config folder."""

from __future__ import annotations

import contextlib
import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from watchkeeper.core import paths
from watchkeeper.core.errors import SettingsError

SCHEMA_VERSION = 1
FILENAME = "settings.json"
HISTORY_LIMIT = 50
MAX_HEARTBEAT_MINUTES = 7 * 24 * 60

Theme = Literal["system", "light", "dark"]
TimeDisplay = Literal["local", "utc"]
# every listener the collector has, with its usual port (unprivileged: 514 needs root)
LISTENERS: dict[str, int] = {
    "syslog-udp": 5514,
    "syslog-tcp": 5514,
    "syslog-tls": 6514,
    "json-tcp": 5170,
    "json-tls": 5171,
    "http": 8088,
}
DEFAULT_LISTENERS = {"syslog-udp": 5514, "syslog-tcp": 5514}
# the profiles of SigmaHQ's set (detection.bundle.PROFILES has the same keys)
RULE_PROFILES = ("core", "broad", "hunting")
PAGE_SIZES = ("A4", "Letter")
DEFAULT_COLUMNS = ["time", "host", "source", "event_id", "level", "username", "process", "message"]
CONNECTIONS_PER_SENDER = 32
CONNECTION_IDLE_SECONDS = 600.0


@dataclass
class Settings:
    schema_version: int = SCHEMA_VERSION
    theme: Theme = "system"
    time_display: TimeDisplay = "local"
    table_columns: list[str] = field(default_factory=lambda: list(DEFAULT_COLUMNS))
    filter_history: list[str] = field(default_factory=list)
    timeline_series: Literal["source", "level"] = "source"
    # folders of Sigma rules the user added, besides the shipped ones
    rule_folders: list[str] = field(default_factory=list)
    # which of SigmaHQ's shipped rules run: "core", "broad" or "hunting" (detection.bundle)
    rule_profile: str = "core"
    # the reports: the organisation named in their headers, and the paper ("A4" or "Letter")
    organisation: str = ""
    page_size: str = "A4"
    # values for Sigma placeholders (%name% with the |expand modifier)
    placeholders: dict[str, list[str]] = field(default_factory=dict)
    # the collector: listener name (see LISTENERS) -> port, for the ones turned on
    listeners: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LISTENERS))
    listen_on_network: bool = False  # loopback only until the user turns this on
    tls_certificate: str = ""  # the user's own certificate and key (PEM); empty: generated
    tls_key: str = ""
    # source key (see storage.sources) -> the longest quiet spell, in seconds, before "silent"
    source_intervals: dict[str, float] = field(default_factory=dict)
    heartbeat_minutes: int = 0  # a test event through the collector this often; 0: off
    # device compliance thresholds over the policy's: "check.param" -> value, e.g.
    # {"screen_lock.max_minutes": 10}; the compliance package says which names exist
    compliance_thresholds: dict[str, float] = field(default_factory=dict)
    # the collector's connections: how many one sending address may hold, and how long one
    # may stay open with nothing sent (the sender reconnects when it has something to say)
    connections_per_sender: int = CONNECTIONS_PER_SENDER
    connection_idle_seconds: float = CONNECTION_IDLE_SECONDS
    # storage lifetime: events are kept this many months (at least 6 unless the reason says
    # why), the newest `hot_days` of them in the store and the rest in its Parquet archive
    retention_months: int = 13
    hot_days: int = 90
    retention_reason: str = ""

    def remember_filter(self, text: str) -> None:
        """Put a filter at the top of the history, once."""
        text = text.strip()
        if not text:
            return
        self.filter_history = [text, *(t for t in self.filter_history if t != text)]
        del self.filter_history[HISTORY_LIMIT:]


# What the last load had to tell the user (a damaged file set aside), said once by whoever
# shows messages: the command line on stderr, the window in a dialog.
_notices: list[str] = []


def take_notices() -> list[str]:
    """The notices since the last call, each once."""
    taken = list(_notices)
    del _notices[: len(taken)]
    return taken


def settings_path() -> Path:
    return paths.config_dir() / FILENAME


def _version(value: object) -> int | None:
    """A document's schema version, or None when it is not a whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _migrate(document: dict[str, Any]) -> dict[str, Any]:
    """Older documents to the current schema; version 1 is the first."""
    document["schema_version"] = SCHEMA_VERSION
    return document


def _positive(value: object) -> bool:
    """A number of seconds or a threshold: finite and above zero (JSON allows Infinity)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _valid(document: dict[str, Any]) -> Settings:
    defaults = Settings()
    known = {f.name for f in fields(Settings)}
    values = {k: v for k, v in document.items() if k in known}
    settings = Settings(**values)
    settings.schema_version = SCHEMA_VERSION
    # A hand-edited file with a wrong type falls back per field, not as a whole.
    if settings.theme not in ("system", "light", "dark"):
        settings.theme = defaults.theme
    if settings.time_display not in ("local", "utc"):
        settings.time_display = defaults.time_display
    if settings.rule_profile not in RULE_PROFILES:
        settings.rule_profile = defaults.rule_profile
    if settings.page_size not in PAGE_SIZES:
        settings.page_size = defaults.page_size
    if not isinstance(settings.organisation, str):
        settings.organisation = defaults.organisation
    if settings.timeline_series not in ("source", "level"):
        settings.timeline_series = defaults.timeline_series
    if not isinstance(settings.placeholders, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
        for k, v in settings.placeholders.items()
    ):
        settings.placeholders = defaults.placeholders
    if not isinstance(settings.listeners, dict) or not all(
        k in LISTENERS and isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 65536
        for k, v in settings.listeners.items()
    ):
        settings.listeners = defaults.listeners
    if not isinstance(settings.source_intervals, dict) or not all(
        isinstance(k, str) and _positive(v) for k, v in settings.source_intervals.items()
    ):
        settings.source_intervals = defaults.source_intervals
    if not isinstance(settings.compliance_thresholds, dict) or not all(
        isinstance(k, str) and "." in k and _positive(v)
        for k, v in settings.compliance_thresholds.items()
    ):
        settings.compliance_thresholds = defaults.compliance_thresholds
    if not isinstance(settings.listen_on_network, bool):
        settings.listen_on_network = False
    if (
        not isinstance(settings.heartbeat_minutes, int)
        or isinstance(settings.heartbeat_minutes, bool)
        or not 0 <= settings.heartbeat_minutes <= MAX_HEARTBEAT_MINUTES
    ):
        settings.heartbeat_minutes = 0
    for name in ("tls_certificate", "tls_key"):
        if not isinstance(getattr(settings, name), str):
            setattr(settings, name, "")
    for name in ("table_columns", "filter_history", "rule_folders"):
        value = getattr(settings, name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            setattr(settings, name, getattr(defaults, name))
    if not settings.table_columns:
        settings.table_columns = list(DEFAULT_COLUMNS)
    if (
        not isinstance(settings.connections_per_sender, int)
        or isinstance(settings.connections_per_sender, bool)
        or settings.connections_per_sender < 1
    ):
        settings.connections_per_sender = CONNECTIONS_PER_SENDER
    if (
        not isinstance(settings.connection_idle_seconds, int | float)
        or isinstance(settings.connection_idle_seconds, bool)
        or not 1 <= settings.connection_idle_seconds <= 7 * 24 * 3600
    ):
        settings.connection_idle_seconds = CONNECTION_IDLE_SECONDS
    return settings


def load(path: Path | None = None) -> Settings:
    """The saved settings; a missing file gives defaults, a damaged one is set aside (kept)."""
    path = path or settings_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as error:
        _notices.append(
            f"Your settings could not be read ({path}: {error.strerror or error}); "
            "the defaults are used until they can."
        )
        return Settings()
    try:
        document = json.loads(data.decode("utf-8"))
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
    except ValueError as error:
        _set_aside(path, "empty" if not data.strip() else _damage(error))
        return Settings()
    version = _version(document.get("schema_version", 0) or 0)
    if version is not None and version > SCHEMA_VERSION:
        return Settings()  # written by a newer Watchkeeper: leave it alone, use defaults
    return _valid(_migrate(document))


def _damage(error: ValueError) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "not text"
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON at line {error.lineno}, column {error.colno}"
    return str(error)


def _set_aside(path: Path, damage: str) -> None:
    """Keep a damaged settings file under a new name, and say so once."""
    aside = path.with_name(path.name + ".damaged")
    number = 1
    while aside.exists():  # an earlier damaged file is kept too
        number += 1
        aside = path.with_name(f"{path.name}.damaged-{number}")
    try:
        path.rename(aside)
    except OSError as error:
        kept = f"it could not be set aside ({error.strerror or error}) and is left as it is"
    else:
        kept = f"it was kept as {aside.name}"
    _notices.append(
        f"Your settings file {path} was damaged ({damage}); {kept}. Watchkeeper "
        "uses the default settings: listeners, network access and rule folders "
        "are back to their defaults."
    )


def save(settings: Settings, path: Path | None = None) -> None:
    """Write atomically, so a crash never leaves half a file."""
    path = path or settings_path()
    temporary = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(asdict(settings), indent=2), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise SettingsError(
            f"Your settings could not be saved in {path.parent} "
            f"({error.strerror or error}); the changes last until "
            "Watchkeeper closes."
        ) from error


MIN_RETENTION_MONTHS = 6


def retention_problem(months: int, hot_days: int, reason: str) -> str | None:
    """Why a retention policy cannot be saved, in one sentence; None when it can."""
    if months < 1:
        return "Events must be kept for at least a month."
    if months < MIN_RETENTION_MONTHS and not reason.strip():
        return (
            f"Keeping events for less than {MIN_RETENTION_MONTHS} months falls short of the "
            "guidance; say why (for example, a contract or a law) to keep them for less."
        )
    if hot_days < 1:
        return "At least one day must stay in the store."
    if hot_days > months * 31:
        return (
            f"The store cannot hold more days ({hot_days}) than events are kept ({months} months)."
        )
    return None
