"""Where Watchkeeper keeps its data, settings, logs, resources and shipped rules."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "Watchkeeper"
DB_FILENAME = "watchkeeper.duckdb"


def data_dir() -> Path:
    """The user's data folder; WATCHKEEPER_HOME overrides it (tests, portable installs)."""
    override = os.environ.get("WATCHKEEPER_HOME")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / DB_FILENAME


def config_dir() -> Path:
    override = os.environ.get("WATCHKEEPER_HOME")
    if override:
        return Path(override) / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    override = os.environ.get("WATCHKEEPER_HOME")
    if override:
        return Path(override) / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Things Watchkeeper can make again (compiled rules); safe to delete."""
    override = os.environ.get("WATCHKEEPER_HOME")
    if override:
        return Path(override) / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def _package_root() -> Path:
    return Path(__file__).resolve().parent.parent


def _find(name: str) -> Path:
    """A shipped folder, in a frozen bundle, an installed wheel or a checkout."""
    candidates: list[Path] = []
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        candidates.append(Path(frozen_root) / name)
    candidates.append(_package_root() / name)  # wheel: watchkeeper/resources
    candidates.append(_package_root().parent.parent / name)  # checkout: app/watchkeeper -> .
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"Watchkeeper's {name} folder is missing (looked in "
        + ", ".join(str(c) for c in candidates)
        + ")"
    )


def resources_dir() -> Path:
    return _find("resources")


def rules_dir() -> Path:
    return _find("rules")


def shipped_rule_cache() -> Path | None:
    """The compiled-rule cache an installer's bundle carries (installer/build.py), if any;
    WATCHKEEPER_COMPILED_RULES names one made elsewhere (the tests share one)."""
    override = os.environ.get("WATCHKEEPER_COMPILED_RULES")
    if override:
        return Path(override)
    try:
        return _find("rules-cache") / "compiled-rules.sqlite"
    except FileNotFoundError:
        return None
