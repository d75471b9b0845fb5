"""Settings survive a restart; a damaged or newer file never stops the app from starting."""

from __future__ import annotations

import json
from pathlib import Path

from watchkeeper.core import settings as settings_file
from watchkeeper.core.settings import HISTORY_LIMIT, SCHEMA_VERSION, Settings


def test_round_trip_and_history(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings(theme="dark", time_display="utc", table_columns=["time", "host"])
    for n in range(HISTORY_LIMIT + 5):
        settings.remember_filter(f"host:pc-{n}")
    settings.remember_filter("host:pc-3")
    settings.remember_filter("   ")
    settings_file.save(settings, path)
    loaded = settings_file.load(path)
    assert loaded == settings
    assert loaded.filter_history[0] == "host:pc-3"
    assert len(loaded.filter_history) == HISTORY_LIMIT
    assert loaded.filter_history.count("host:pc-3") == 1


def test_missing_damaged_and_newer_files(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    assert settings_file.load(path) == Settings()
    path.write_bytes(b"\x00\xffnot json{")
    assert settings_file.load(path) == Settings()
    assert (tmp_path / "settings.json.damaged").read_bytes().startswith(b"\x00")  # kept
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1, "theme": "dark"}))
    assert settings_file.load(path).theme == "system"  # a newer app's file is left alone
    assert json.loads(path.read_text())["theme"] == "dark"


def test_wrong_values_fall_back_field_by_field(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": 1, "theme": "<b>neon</b>", "time_display": 7,
                                "table_columns": "time", "filter_history": ["a", 3],
                                "unknown": True, "timeline_series": "level"}))
    loaded = settings_file.load(path)
    assert loaded.theme == "system" and loaded.time_display == "local"
    assert loaded.table_columns == Settings().table_columns and loaded.filter_history == []
    assert loaded.timeline_series == "level"
