"""The compliance policy: the shipped one loads, a broken one is refused with the file and
key named, and thresholds can be overridden from the settings."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from watchkeeper.compliance.policy import (
    CHECKS,
    PolicyError,
    apply_thresholds,
    load_policy,
    parse_policy,
)
from watchkeeper.core import paths
from watchkeeper.core import settings as settings_module

SHIPPED = paths.rules_dir() / "compliance" / "default.yml"


def test_the_shipped_policy_loads_with_every_check_the_issue_asks_for() -> None:
    policy = load_policy()
    assert policy.file == "default.yml" and policy.written == date(2026, 11, 23)
    enabled = {check.name: check for check in policy.enabled}
    assert set(enabled) == set(CHECKS) - {"sysmon"}  # Sysmon is there, turned off
    assert enabled["screen_lock"].params == {"max_minutes": 15}
    assert enabled["antivirus"].params == {"max_signature_age_days": 7}
    assert enabled["mdm_checkin"].params == {"max_age_days": 7}
    assert enabled["logs_received"].params == {"max_age_hours": 24}
    assert "android" not in enabled["secure_boot"].platforms  # no secure boot on a phone
    assert enabled["not_rooted"].platforms == {"ios", "android"}


def test_supported_versions_are_data_with_dates() -> None:
    policy = load_policy()
    windows = {(r.version, r.server): r for r in policy.supported["windows"].releases}
    assert windows[("19045", False)].name == "Windows 10 22H2"
    assert windows[("22631", False)].name == "Windows 11 23H2"
    assert windows[("26100", True)].name == "Windows Server 2025"  # same build as 24H2
    assert all(r.until is not None for r in windows.values())
    assert policy.supported["macos"].minimum == "14"
    assert policy.supported["ios"].minimum == "17"
    assert policy.supported["android"].minimum == "13"
    linux = policy.supported["linux"].distributions
    assert {r.version for r in linux["ubuntu"]} >= {"22.04", "24.04"}
    assert {r.version for r in linux["debian"]} >= {"12"}
    assert "chromeos" in policy.supported
    assert policy.stale(date(2028, 1, 1)) and not policy.stale(date(2026, 12, 1))


VALID = SHIPPED.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("  firewall:\n", "  firewal:\n"),
            "default.yml: checks.firewal is not a check Watchkeeper knows (known: antivirus, ",
        ),
        (
            ("    max_minutes: 15", "    max_minutes: soon"),
            "default.yml: checks.screen_lock.max_minutes must be a positive number of minutes, "
            "not 'soon'",
        ),
        (
            ("    max_age_days: 7", "    max_age_days: -1"),
            "default.yml: checks.mdm_checkin.max_age_days must be a positive number of days, not -1",
        ),
        (
            ("    platforms: [ios, android]", "    platforms: [ios, blackberry]"),
            "default.yml: checks.not_rooted.platforms must be a list of platforms (windows, macos, ",
        ),
        (
            ("    enabled: false", "    enabled: maybe"),
            "default.yml: checks.sysmon.enabled must be true or false, not 'maybe'",
        ),
        (
            ("written: 2026-11-23", "written: last autumn"),
            "default.yml: written must be a date such as 2026-11-23, not 'last autumn'",
        ),
        (
            ('{version: "24.04",', "{version: 24.10,"),
            'default.yml: supported_os.linux.ubuntu[1].version must be quoted ("24.10"): YAML '
            "reads an unquoted 24.10 as the number 24.1, not 24.1",
        ),
        (
            ('macos: {minimum: "14"}', "macos: {minimum: fourteen}"),
            "default.yml: supported_os.macos.minimum must be a version number such as 14",
        ),
        (
            ('macos: {minimum: "14"}', 'macos: {newest: "14"}'),
            "default.yml: supported_os.macos.newest is not a key Watchkeeper knows (known: minimum)",
        ),
        (
            ("supported_os:", "suported_os:"),
            "default.yml: suported_os is not a key Watchkeeper knows (known: checks, policy, ",
        ),
        (
            ("    - {build: 19045,", "    - {build: 19045, sever: true,"),
            "default.yml: supported_os.windows[0].sever is not a key Watchkeeper knows",
        ),
    ],
)
def test_a_policy_with_a_wrong_key_or_type_names_the_file_and_key(
    change: tuple[str, str], message: str
) -> None:
    old, new = change
    assert old in VALID
    with pytest.raises(PolicyError) as raised:
        parse_policy(VALID.replace(old, new, 1), "default.yml")
    assert str(raised.value).startswith(message), str(raised.value)
    assert raised.value.title == "Compliance policy not loaded"


def test_a_policy_that_is_not_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "mine.yml"
    path.write_text(
        "written: 2026-11-23\nchecks:\n  firewall: {platforms: [windows]\n  x: 1\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match=r"^mine\.yml, line \d+: not valid YAML \("):
        load_policy(path)
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"mine\.yml: the document must be a mapping"):
        load_policy(path)
    with pytest.raises(PolicyError, match=r"^absent\.yml: could not be read \("):
        load_policy(tmp_path / "absent.yml")


def test_a_check_left_out_is_not_made_and_thresholds_default() -> None:
    policy = parse_policy("written: 2026-01-01\nchecks:\n  screen_lock: {}\n", "small.yml")
    assert [check.name for check in policy.enabled] == ["screen_lock"]
    assert policy.check("screen_lock").params == {"max_minutes": 15}
    assert policy.check("screen_lock").platforms == {
        "windows",
        "macos",
        "ios",
        "android",
        "chromeos",
    }


def test_thresholds_from_the_settings_override_the_policy() -> None:
    policy = load_policy(
        thresholds={
            "screen_lock.max_minutes": 5,
            "mdm_checkin.max_age_days": 14,
            "screen_lock.colour": 3,
            "nothing.max": 1,
        }
    )
    assert policy.check("screen_lock").params["max_minutes"] == 5
    assert policy.check("mdm_checkin").params["max_age_days"] == 14
    assert "Settings: Screen lock max minutes is 5 minutes (the policy says 15)" in policy.notes
    assert (
        "Settings: 'screen_lock.colour' is not a threshold of the policy; ignored" in policy.notes
    )
    assert "Settings: 'nothing.max' is not a threshold of the policy; ignored" in policy.notes
    again = apply_thresholds(policy, {"logs_received.max_age_hours": 0})
    assert again.check("logs_received").params["max_age_hours"] == 24


def test_settings_keep_valid_thresholds_and_drop_a_broken_field(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"compliance_thresholds": {"screen_lock.max_minutes": 10}}))
    assert settings_module.load(path).compliance_thresholds == {"screen_lock.max_minutes": 10}
    for broken in (
        {"screen_lock.max_minutes": "ten"},
        {"screen_lock.max_minutes": -3},
        {"screen_lock.max_minutes": True},
        ["screen_lock.max_minutes"],
        {"no_dot": 5},
    ):
        path.write_text(json.dumps({"compliance_thresholds": broken, "theme": "dark"}))
        loaded = settings_module.load(path)
        assert loaded.compliance_thresholds == {} and loaded.theme == "dark"
