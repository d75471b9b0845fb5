"""The firewall rule that lets the planned listeners' ports in, for the firewall this computer has.

The commands need an administrator, so they are shown to copy; on Linux with pkexec they can
be run too, and pkexec asks for the password: never silently.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.settings import LISTENERS

Which = Callable[[str], str | None]
Runner = Callable[..., "subprocess.CompletedProcess[str]"]
# the Linux firewalls in the order they are looked for; the first present is the one used
LINUX_FIREWALLS: tuple[tuple[str, str], ...] = (
    ("ufw", "ufw"),
    ("firewalld", "firewall-cmd"),
    ("nftables", "nft"),
    ("iptables", "iptables"),
)
RUN_TIMEOUT = 120.0  # pkexec waits for the password


class FirewallError(WatchkeeperError):
    title = "Firewall rule not made"


@dataclass(frozen=True)
class FirewallRule:
    """The commands that open the ports, how to show them, and whether they can be run here."""

    kind: str  # ufw, firewalld, nftables, iptables, windows, macos, or "" for none found
    commands: tuple[tuple[str, ...], ...]
    text: str  # the commands as typed, one a line, for Copy
    sentence: str
    runnable: bool = False  # through pkexec, which asks for the administrator's password


def protocol(listener: str) -> str:
    return "udp" if listener.endswith("-udp") else "tcp"


def checked_ports(ports: Mapping[Any, object]) -> list[tuple[str, int]]:
    """The listeners and ports, each refused with a sentence unless a known name and 1-65535."""
    checked: list[tuple[str, int]] = []
    for name, port in ports.items():
        if not isinstance(name, str) or name not in LISTENERS:
            shown = str(name).encode("unicode_escape").decode()[:40]
            raise FirewallError(f"“{shown}” is not one of the collector's listeners.")
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            shown = str(port).encode("unicode_escape").decode()[:40]
            raise FirewallError(f"The {name} port must be a number from 1 to 65535, not “{shown}”.")
        checked.append((name, port))
    return checked


def detect_firewall(system: str, which: Which = shutil.which) -> str:
    """The firewall to write a rule for: the first Linux firewall present, or the system's."""
    if system in ("windows", "macos"):
        return system
    for kind, program in LINUX_FIREWALLS:
        if which(program):
            return kind
    return ""


def firewall_rule(
    ports: Mapping[Any, object],
    system: str,
    *,
    which: Which = shutil.which,
    program: str = "",
) -> FirewallRule:
    """The rule for `ports` on `system`; `program` is the app macOS's firewall lets in."""
    listeners = checked_ports(ports)
    kind = detect_firewall(system, which)
    if not listeners:
        return FirewallRule(kind, (), "", "No listener is turned on, so no port needs opening.")
    commands = _commands(kind, listeners, program)
    if not commands:
        return FirewallRule(
            "",
            (),
            "",
            "No firewall program was found on this computer; if it has a firewall, allow "
            + ", ".join(f"{port}/{protocol(name)}" for name, port in listeners)
            + " in it.",
        )
    text = "\n".join(_shown(kind, argv) for argv in commands)
    runnable = system == "linux" and kind in ("ufw", "firewalld") and bool(which("pkexec"))
    return FirewallRule(kind, commands, text, _SENTENCES[kind], runnable)


_SENTENCES = {
    "ufw": "This computer uses ufw; these commands, run as administrator, let senders in.",
    "firewalld": "This computer uses firewalld; these commands, run as administrator, let "
    "senders in.",
    "nftables": "This computer has nftables; add these rules to your ruleset (the table and "
    "chain names may differ on yours).",
    "iptables": "This computer has iptables; these rules let senders in until the next "
    "restart, unless your system saves its rules.",
    "windows": "Run these in PowerShell opened as administrator: they let senders on your "
    "private and domain networks in, not on public ones.",
    "macos": "Run these in Terminal; sudo asks for your password. macOS's firewall allows "
    "programs rather than ports.",
}


def _commands(
    kind: str, listeners: Sequence[tuple[str, int]], program: str
) -> tuple[tuple[str, ...], ...]:
    by_port = sorted({(port, protocol(name)): name for name, port in listeners}.items())
    if kind == "ufw":
        return tuple(
            ("ufw", "allow", f"{port}/{proto}", "comment", f"Watchkeeper {name}")
            for (port, proto), name in by_port
        )
    if kind == "firewalld":
        adds = tuple(
            ("firewall-cmd", "--permanent", f"--add-port={port}/{proto}")
            for (port, proto), _ in by_port
        )
        return (*adds, ("firewall-cmd", "--reload"))
    if kind == "nftables":
        return tuple(
            ("nft", "add", "rule", "inet", "filter", "input", proto, "dport", str(port), "accept")
            for (port, proto), _ in by_port
        )
    if kind == "iptables":
        return tuple(
            ("iptables", "-A", "INPUT", "-p", proto, "--dport", str(port), "-j", "ACCEPT")
            for (port, proto), _ in by_port
        )
    if kind == "windows":
        return tuple(
            (
                "New-NetFirewallRule",
                "-DisplayName",
                f"Watchkeeper {name}",
                "-Direction",
                "Inbound",
                "-LocalPort",
                str(port),
                "-Protocol",
                proto.upper(),
                "-Action",
                "Allow",
                "-Profile",
                "Private,Domain",
            )
            for (port, proto), name in by_port
        )
    if kind == "macos" and program:
        tool = "/usr/libexec/ApplicationFirewall/socketfilterfw"
        return (("sudo", tool, "--add", program), ("sudo", tool, "--unblockapp", program))
    return ()


def _shown(kind: str, argv: Sequence[str]) -> str:
    if kind == "windows":  # PowerShell: quote with single quotes, doubled inside
        return " ".join(
            word if word.replace("-", "").replace(",", "").isalnum() else _ps_quote(word)
            for word in argv
        )
    return ("sudo " if argv[0] != "sudo" else "") + shlex.join(argv)


def _ps_quote(word: str) -> str:
    return "'" + word.replace("'", "''") + "'"


def run_rule(rule: FirewallRule, run: Runner = subprocess.run) -> str:
    """Run the rule's commands through pkexec (one password prompt); a sentence saying how it went."""
    if not rule.runnable:
        raise FirewallError(
            "These commands cannot be run from here: copy them into a terminal opened as "
            "administrator."
        )
    script = " && ".join(shlex.join(argv) for argv in rule.commands)
    try:
        done = run(
            ["pkexec", "sh", "-c", script], capture_output=True, text=True, timeout=RUN_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise FirewallError(f"The firewall commands could not run ({error}).") from None
    if done.returncode == 0:
        return "The firewall now lets senders reach the collector's ports."
    if done.returncode in (126, 127):
        return "The firewall was not changed: the administrator's password was not given."
    output = " ".join(str(done.stderr or done.stdout or "").split())[:200]
    return f"The firewall was not changed: {output.rstrip('.') or 'the command failed'}."
