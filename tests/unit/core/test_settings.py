"""Settings survive a restart; a damaged or newer file never stops the app from starting."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.core import settings as settings_file
from watchkeeper.core.errors import SettingsError
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
    path.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "theme": "<b>neon</b>",
                "time_display": 7,
                "table_columns": "time",
                "filter_history": ["a", 3],
                "unknown": True,
                "timeline_series": "level",
            }
        )
    )
    loaded = settings_file.load(path)
    assert loaded.theme == "system" and loaded.time_display == "local"
    assert loaded.table_columns == Settings().table_columns and loaded.filter_history == []
    assert loaded.timeline_series == "level"


def _refuse_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only config folder. Root ignores permission bits, so the refusal is simulated
    where the file system would give it."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "rename", refuse)
    monkeypatch.setattr(Path, "write_text", refuse)
    monkeypatch.setattr(Path, "mkdir", refuse)


@pytest.mark.parametrize(
    "content", [b"", b"  \n", b"[]", b'{"theme": "da', b"\x00\xff\xfe\x01", b'"dark"', b"null"]
)
def test_a_damaged_file_is_kept_and_said_once(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    settings_file.take_notices()
    assert settings_file.load(path) == Settings()
    notices = settings_file.take_notices()
    assert len(notices) == 1 and "\n" not in notices[0]
    assert "damaged" in notices[0] and "settings.json.damaged" in notices[0]
    assert "listeners" in notices[0]  # the user learns what went back to defaults
    assert (tmp_path / "settings.json.damaged").read_bytes() == content  # nothing lost
    assert settings_file.load(path) == Settings()
    assert settings_file.take_notices() == []  # once


def test_an_earlier_damaged_file_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(b"first")
    settings_file.load(path)
    path.write_bytes(b"second")
    settings_file.load(path)
    assert (tmp_path / "settings.json.damaged").read_bytes() == b"first"
    assert (tmp_path / "settings.json.damaged-2").read_bytes() == b"second"
    assert len(settings_file.take_notices()) == 2


@pytest.mark.parametrize("version", ["2a", [1], {"v": 1}, 1.5, None, True, "", "1"])
def test_a_schema_version_of_the_wrong_type_keeps_the_other_settings(
    tmp_path: Path, version: object
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({"schema_version": version, "theme": "dark", "listeners": {"syslog-tcp": 1514}})
    )
    loaded = settings_file.load(path)
    assert loaded.theme == "dark" and loaded.listeners == {"syslog-tcp": 1514}
    assert loaded.schema_version == SCHEMA_VERSION


@given(
    st.dictionaries(
        st.sampled_from([f.name for f in fields(Settings)] + ["other"]),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=6,
        ),
    )
)
@settings(max_examples=100, deadline=None)
def test_any_json_object_loads_without_an_error(document: dict[str, object]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "settings.json"
        path.write_text(json.dumps(document))
        loaded = settings_file.load(path)
        settings_file.save(loaded, path)
        assert settings_file.load(path) == loaded


def test_a_read_only_config_folder_is_said_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(b"[]")
    settings_file.take_notices()
    _refuse_writes(monkeypatch)
    assert settings_file.load(path) == Settings()
    (notice,) = settings_file.take_notices()
    assert "could not be set aside (Permission denied)" in notice
    assert path.read_bytes() == b"[]"
    with pytest.raises(SettingsError, match=r"could not be saved .*Permission denied"):
        settings_file.save(Settings(theme="dark"), path)
    assert path.read_bytes() == b"[]"


def test_an_unreadable_file_gives_defaults_and_a_notice(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.mkdir()  # something that cannot be read as a file
    settings_file.take_notices()
    assert settings_file.load(path) == Settings()
    (notice,) = settings_file.take_notices()
    assert "could not be read" in notice


def test_numbers_out_of_range_fall_back(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        '{"heartbeat_minutes": 100000000000000000000, "listeners": {"syslog-tcp": true},'
        ' "source_intervals": {"fw|x": Infinity}, "compliance_thresholds": '
        '{"screen_lock.max_minutes": NaN}}'
    )
    loaded = settings_file.load(path)
    defaults = Settings()
    assert loaded.heartbeat_minutes == 0 and loaded.listeners == defaults.listeners
    assert loaded.source_intervals == {} and loaded.compliance_thresholds == {}
