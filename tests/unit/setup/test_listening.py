"""Listener ports and the collector's address, checked before the plan keeps them."""

from __future__ import annotations

from watchkeeper.core.settings import Settings
from watchkeeper.setup.draft import starter_plan
from watchkeeper.setup.listening import (
    address_problem,
    port_problems,
    port_warnings,
    recommended_listeners,
)
from watchkeeper.setup.plan import LoggingPlan, PlatformPlan


def test_a_tcp_clash_is_a_problem_but_udp_beside_tcp_is_not() -> None:
    assert port_problems({"syslog-tcp": 5514, "syslog-udp": 5514}) == []
    (problem,) = port_problems({"syslog-tcp": 5514, "json-tcp": 5514})
    assert problem == "syslog-tcp and json-tcp both use port 5514/tcp: give each its own port."


def test_hostile_ports_and_names_are_sentences() -> None:
    assert port_problems({"syslog-tls": "6514; reboot", "ssh": 22, "http": True}) == [
        "The syslog-tls port must be a number from 1 to 65535.",
        "“ssh” is not one of the collector's listeners.",
        "The http port must be a number from 1 to 65535.",
    ]


def test_unencrypted_and_privileged_ports_are_warned_about() -> None:
    (plain, low) = port_warnings({"syslog-udp": 514}, "linux")
    assert plain.startswith("syslog-udp is not encrypted") and "Use it only" in plain
    assert "below 1024" in low
    assert port_warnings({"syslog-udp": 514}, "windows") == [plain]


def test_addresses() -> None:
    assert address_problem("collector.office.lan") is None
    assert address_problem("fe80::1") is None
    assert address_problem("localhost", on_network=False) is None
    assert "cannot reach" in (address_problem("localhost") or "")
    assert "not a host name" in (address_problem("a b\n<script>") or "")
    assert "Type the name" in (address_problem("  ") or "")


def test_the_listeners_recommended_are_the_ones_the_planned_devices_send_to() -> None:
    plan = LoggingPlan(
        platforms={
            "linux": PlatformPlan(2, ["linux-auth"]),
            "network": PlatformPlan(1, ["network-syslog"]),
            "windows": PlatformPlan(12, ["windows-security"]),
            "domain_controller": PlatformPlan(1, ["dc-security"]),
            "macos": PlatformPlan(0, ["macos-unified"]),  # none counted: no HTTP listener
        }
    )
    assert recommended_listeners(plan) == {"syslog-tls": 6514, "syslog-udp": 5514, "json-tls": 5171}
    # nothing counted yet: TLS syslog and HTTP, as the page always offered
    assert recommended_listeners(LoggingPlan()) == {"syslog-tls": 6514, "http": 8088}


def test_a_new_plan_leaves_the_default_listeners_for_step_three_to_recommend() -> None:
    assert starter_plan(Settings()).receiving.listeners == {}
    chosen = Settings(listeners={"syslog-tcp": 1514})
    assert starter_plan(chosen).receiving.listeners == {"syslog-tcp": 1514}
