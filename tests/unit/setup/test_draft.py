"""The wizard's draft: where it starts, what Cancel keeps (the step only), what Finish keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchkeeper.core.settings import Settings
from watchkeeper.setup.catalogue import PLATFORM_KINDS, recommended
from watchkeeper.setup.draft import (
    apply_to_settings,
    finish,
    open_draft,
    remember_step,
    starter_plan,
)
from watchkeeper.setup.plan import (
    FILENAME,
    LoggingPlan,
    PlanError,
    PlatformPlan,
    load_plan,
    plan_problems,
    save_plan,
)


def test_a_starter_plan_recommends_every_platforms_logs_and_takes_the_settings() -> None:
    settings = Settings(retention_months=24, hot_days=30, listen_on_network=True)
    settings.listeners = {"syslog-tls": 6514, "syslog-udp": 0}  # 0: any free port
    plan = starter_plan(settings)
    assert list(plan.platforms) == list(PLATFORM_KINDS)
    assert all(p.count == 0 for p in plan.platforms.values())
    assert plan.platforms["linux"].logs == recommended("linux")
    assert (plan.retention_months, plan.hot_days) == (24, 30)
    assert plan.receiving.listen_on_network
    assert plan.receiving.listeners == {"syslog-tls": 6514}
    assert plan_problems(plan) == []


def test_the_draft_is_a_copy_with_every_platform_offered(tmp_path: Path) -> None:
    path = tmp_path / FILENAME
    saved = LoggingPlan()
    saved.platforms["linux"] = PlatformPlan(3, ["auditd"])
    save_plan(saved, path)
    draft = open_draft(Settings(), path)
    assert draft.saved and not draft.problem
    assert draft.plan.platforms["linux"] == PlatformPlan(3, ["auditd"])
    assert draft.plan.platforms["macos"] == PlatformPlan(0, ["macos-unified"])
    draft.plan.platforms["linux"].count = 99
    assert load_plan(path) == saved


def test_remembering_the_step_changes_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / FILENAME
    assert not remember_step(2, path)  # no plan: nothing written
    assert not path.exists()
    save_plan(LoggingPlan(retention_months=7), path)
    assert remember_step(2, path)
    assert load_plan(path) == LoggingPlan(retention_months=7, step=2)
    assert remember_step(99, path) and load_plan(path).step == 3  # type: ignore[union-attr]
    path.write_text("platforms: [", encoding="utf-8")
    assert not remember_step(1, path)  # an unreadable plan is left as it is
    assert path.read_text(encoding="utf-8") == "platforms: ["


def test_finish_refuses_a_bad_draft_before_moving_anything(tmp_path: Path) -> None:
    path = tmp_path / FILENAME
    path.write_bytes(b"\x00 not a plan")
    draft = open_draft(Settings(), path)
    assert draft.problem.startswith("logging-plan.yaml is not valid YAML")
    draft.plan.retention_months = 2  # under six months, with no reason
    with pytest.raises(PlanError, match="needs a reason"):
        finish(draft, 1, path)
    assert path.read_bytes() == b"\x00 not a plan"
    assert not path.with_name(FILENAME + ".unreadable").exists()


def test_the_settings_get_the_plans_retention_and_receiving() -> None:
    plan = LoggingPlan(retention_months=3, hot_days=20, retention_reason="contract")
    plan.receiving.listen_on_network = True
    plan.receiving.listeners = {"http": 8443}
    settings = Settings()
    apply_to_settings(plan, settings)
    assert (settings.retention_months, settings.hot_days) == (3, 20)
    assert settings.retention_reason == "contract"
    assert settings.listen_on_network and settings.listeners == {"http": 8443}
    plan.receiving.listeners = {}
    apply_to_settings(plan, settings)  # no listener planned: the settings' are kept
    assert settings.listeners == {"http": 8443}
