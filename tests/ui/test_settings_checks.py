"""The Settings dialog's checks as plain functions: ports, clashes, names and what changed."""

from __future__ import annotations

import pytest

from watchkeeper.core.settings import Settings
from watchkeeper.ui.settings.checks import (
    changed_fields,
    listener_problems,
    organisation_problem,
    placeholder_problem,
    port_number,
    saved_sentence,
    split_values,
)


@pytest.mark.parametrize(
    ("typed", "port"),
    [
        ("5514", 5514),
        (" 6514 ", 6514),
        ("1", 1),
        ("65535", 65535),
        ("0", None),
        ("65536", None),
        ("70000", None),
        ("-1", None),
        ("", None),
        ("tcp", None),
        ("55 14", None),
        ("５５１４", None),  # full-width digits: isdigit() says yes, int() would take them
        ("9" * 400, None),
        ("1e3", None),
    ],
)
def test_a_port_is_a_whole_number_from_1_to_65535(typed: str, port: int | None) -> None:
    assert port_number(typed) == port


def test_tcp_listeners_may_not_share_a_port_but_udp_and_tcp_may() -> None:
    assert listener_problems({"syslog-udp": "5514", "syslog-tcp": "5514"}) == {}
    found = listener_problems({"syslog-tcp": "5514", "json-tcp": "5514", "http": "x"})
    assert found["json-tcp"] == (
        "JSON lines over TCP (NXLog, Fluent Bit, Vector) and Syslog over TCP both use "
        "port 5514; give each its own port."
    )
    assert found["http"].startswith("The HTTP/JSON with a token (macOS, scripts) port must be")
    assert "syslog-tcp" not in found


@pytest.mark.parametrize(
    "name", ["Oakfield\nLtd", "Oak\x00field", "Oak\u202efield", "Oak\rfield", "x" * 201]
)
def test_an_organisation_name_with_control_characters_or_too_long_is_refused(name: str) -> None:
    problem = organisation_problem(name)
    assert problem is not None and problem.endswith(".") and "\n" not in problem


def test_an_organisation_name_with_markup_is_kept_as_text() -> None:
    assert organisation_problem("<b>Oakfield & Sons</b> — Ltd") is None


def test_placeholders_need_a_plain_name_and_a_value() -> None:
    assert placeholder_problem("admins", ["alice"]) is None
    assert "only letters" in (placeholder_problem("%admins%", ["alice"]) or "")
    assert "only letters" in (placeholder_problem("", ["alice"]) or "")
    assert placeholder_problem("admins", []) == "Give the placeholder admins at least one value."
    assert split_values(" alice, ,bob ,") == ["alice", "bob"]


def test_what_changed_is_said_in_a_sentence() -> None:
    before = Settings()
    after = Settings(theme="dark", listeners={"syslog-tcp": 6000})
    changed = changed_fields(before, after)
    assert changed == ["theme", "listeners"]
    assert saved_sentence(changed, False) == (
        "Settings saved: theme, listeners; restarting the listeners."
    )
    assert saved_sentence([], True) == "Settings saved: HTTP token; restarting the listeners."
    assert saved_sentence([], False) == "Settings saved; nothing changed."
