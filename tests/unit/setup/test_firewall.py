"""The firewall rule for the planned listeners, per firewall, and hostile ports refused."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from watchkeeper.setup.firewall import (
    FirewallError,
    detect_firewall,
    firewall_rule,
    run_rule,
)

PORTS = {"syslog-tls": 6514, "http": 8088, "syslog-udp": 5514}


def only(*programs: str) -> Any:
    return lambda name: f"/usr/sbin/{name}" if name in programs else None


def test_ufw_allows_each_port_with_its_protocol() -> None:
    rule = firewall_rule(PORTS, "linux", which=only("ufw", "nft"))
    assert rule.kind == "ufw"
    assert rule.text.splitlines() == [
        "sudo ufw allow 5514/udp comment 'Watchkeeper syslog-udp'",
        "sudo ufw allow 6514/tcp comment 'Watchkeeper syslog-tls'",
        "sudo ufw allow 8088/tcp comment 'Watchkeeper http'",
    ]
    assert not rule.runnable  # no pkexec: shown to copy only


def test_firewalld_adds_permanent_ports_then_reloads_and_may_run_through_pkexec() -> None:
    rule = firewall_rule(PORTS, "linux", which=only("firewall-cmd", "pkexec"))
    assert rule.commands == (
        ("firewall-cmd", "--permanent", "--add-port=5514/udp"),
        ("firewall-cmd", "--permanent", "--add-port=6514/tcp"),
        ("firewall-cmd", "--permanent", "--add-port=8088/tcp"),
        ("firewall-cmd", "--reload"),
    )
    assert rule.runnable


def test_plain_nftables_and_iptables_are_hints() -> None:
    nft = firewall_rule({"syslog-tls": 6514}, "linux", which=only("nft", "pkexec"))
    assert nft.text == "sudo nft add rule inet filter input tcp dport 6514 accept"
    assert not nft.runnable and "may differ" in nft.sentence
    iptables = firewall_rule({"syslog-tls": 6514}, "linux", which=only("iptables"))
    assert iptables.text == "sudo iptables -A INPUT -p tcp --dport 6514 -j ACCEPT"


def test_no_firewall_found_says_which_ports_to_allow() -> None:
    rule = firewall_rule(PORTS, "linux", which=only())
    assert rule.commands == ()
    assert "5514/udp" in rule.sentence and "No firewall program" in rule.sentence


def test_windows_opens_private_and_domain_networks_only() -> None:
    rule = firewall_rule({"syslog-tls": 6514}, "windows")
    assert rule.text == (
        "New-NetFirewallRule -DisplayName 'Watchkeeper syslog-tls' -Direction Inbound "
        "-LocalPort 6514 -Protocol TCP -Action Allow -Profile Private,Domain"
    )
    assert not rule.runnable


def test_macos_lets_the_program_in() -> None:
    program = "/Applications/Watch keeper.app/Contents/MacOS/Watchkeeper"
    rule = firewall_rule({"http": 8088}, "macos", program=program)
    tool = "/usr/libexec/ApplicationFirewall/socketfilterfw"
    assert rule.text.splitlines() == [
        f"sudo {tool} --add '{program}'",
        f"sudo {tool} --unblockapp '{program}'",
    ]


@pytest.mark.parametrize(
    "port",
    ["6514; rm -rf /", "6514", -1, 0, 65536, 10**12, True, 6514.0, None, "$(reboot)"],
)
def test_hostile_ports_are_refused_with_a_sentence(port: object) -> None:
    with pytest.raises(FirewallError, match="must be a number from 1 to 65535"):
        firewall_rule({"syslog-tls": port}, "linux", which=only("ufw"))


def test_unknown_listener_names_are_refused() -> None:
    with pytest.raises(FirewallError, match="not one of the collector's listeners"):
        firewall_rule({"ssh\n; reboot": 22}, "linux", which=only("ufw"))


def test_detect_prefers_ufw_over_the_tables_it_manages() -> None:
    assert detect_firewall("linux", only("iptables", "ufw")) == "ufw"
    assert detect_firewall("windows", only()) == "windows"


def test_running_goes_through_pkexec_once() -> None:
    seen: list[list[str]] = []

    def run(argv: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        seen.append(argv)
        return subprocess.CompletedProcess(argv, 126, "", "")

    rule = firewall_rule({"syslog-tls": 6514}, "linux", which=only("ufw", "pkexec"))
    assert "password was not given" in run_rule(rule, run)
    assert seen == [["pkexec", "sh", "-c", "ufw allow 6514/tcp comment 'Watchkeeper syslog-tls'"]]
    with pytest.raises(FirewallError, match="cannot be run from here"):
        run_rule(firewall_rule({"http": 8088}, "windows"), run)
