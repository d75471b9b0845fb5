"""The retention policy: kept by default for 13 months, 90 days in the store; a policy
that would lose events too soon is refused with one sentence, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from watchkeeper.core import settings as settings_file
from watchkeeper.core.settings import Settings, retention_problem


def _load(tmp_path: Path, **values: object) -> tuple[Settings, list[str]]:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": 1, "theme": "dark", **values}))
    settings_file.take_notices()
    loaded = settings_file.load(path)
    return loaded, settings_file.take_notices()


def test_the_defaults_keep_thirteen_months_and_ninety_days_hot() -> None:
    settings = Settings()
    assert (settings.retention_months, settings.hot_days, settings.retention_reason) == (
        13,
        90,
        "",
    )
    assert retention_problem(13, 90, "") is None


def test_a_policy_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    chosen = Settings(retention_months=4, hot_days=30, retention_reason="<b>lawyer</b>'; --")
    settings_file.save(chosen, path)
    loaded = settings_file.load(path)
    assert (loaded.retention_months, loaded.hot_days, loaded.retention_reason) == (
        4,
        30,
        "<b>lawyer</b>'; --",
    )
    assert settings_file.take_notices() == []


@pytest.mark.parametrize(
    ("months", "hot_days", "reason", "words"),
    [
        (5, 90, "", "less than 6 months needs a reason"),
        (5, 90, "   \t", "less than 6 months needs a reason"),
        (0, 1, "why", "from 1 to 120"),
        (121, 90, "", "from 1 to 120"),
        ("13", 90, "", "whole number of months"),
        (True, 90, "", "whole number of months"),
        (13, 0, "", "at least 1 whole day"),
        (13, 2.5, "", "at least 1 whole day"),
        (6, 181, "", "longer than the 6 months kept; keep at most 180 days"),
        (2, 61, "a short project", "keep at most 60 days"),
    ],
)
def test_a_refused_policy_is_one_sentence(
    months: object, hot_days: object, reason: object, words: str
) -> None:
    problem = retention_problem(months, hot_days, reason)
    assert problem is not None and words in problem
    assert problem.endswith(".") and problem.count(". ") == 0 and "\n" not in problem


def test_a_short_retention_with_a_reason_is_kept() -> None:
    assert retention_problem(5, 90, "The contract says 5 months.") is None
    assert retention_problem(1, 1, "test machine") is None
    assert retention_problem(6, 180, "") is None


def test_a_short_retention_without_a_reason_is_set_aside_with_a_notice(
    tmp_path: Path,
) -> None:
    loaded, notices = _load(tmp_path, retention_months=3, hot_days=30)
    assert (loaded.retention_months, loaded.hot_days) == (13, 30)
    assert loaded.theme == "dark"  # the other settings stay
    assert len(notices) == 1
    assert "needs a reason" in notices[0] and "13 months, 30 days" in notices[0]


def test_hot_days_beyond_the_retention_fall_back_within_it(tmp_path: Path) -> None:
    loaded, notices = _load(
        tmp_path, retention_months=2, hot_days=400, retention_reason="lab machine"
    )
    assert (loaded.retention_months, loaded.hot_days) == (2, 60)
    assert loaded.retention_reason == "lab machine"
    assert len(notices) == 1 and "keep at most 60 days" in notices[0]


@pytest.mark.parametrize(
    "values",
    [
        {"retention_months": None, "hot_days": "90", "retention_reason": 7},
        {"retention_months": -1, "hot_days": -1},
        {"retention_months": 1e309, "hot_days": []},
        {"retention_reason": {"<script>": 1}},
    ],
)
def test_wrong_types_fall_back_to_the_defaults(tmp_path: Path, values: dict[str, object]) -> None:
    loaded, notices = _load(tmp_path, **values)
    assert (loaded.retention_months, loaded.hot_days) == (13, 90)
    assert loaded.retention_reason == ""
    assert len(notices) <= 1
