"""Listener ports and the collector's address, checked before the plan keeps them."""

from __future__ import annotations

from watchkeeper.setup.listening import address_problem, port_problems, port_warnings


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
