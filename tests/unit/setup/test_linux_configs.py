"""The Linux configuration, checked by the real tools: rsyslogd -N1, syslog-ng --syntax-only,
ausyscall for the audit rules' system calls, and a parser of auditctl's documented syntax
(loading rules with auditctl -R would change this machine's kernel)."""

from __future__ import annotations

import configparser
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.unit.setup.helpers import endpoint, needs

from watchkeeper.setup.configs import ConfigError, generate, write_configs
from watchkeeper.setup.configs import auditd as auditd_config
from watchkeeper.setup.plan import LoggingPlan, PlatformPlan

# what auditctl's manual page documents, and the kernel's limits (linux/audit.h)
AUDIT_MAX_FIELDS = 64
AUDIT_MAX_KEY_LEN = 256
RULE_FIELDS = {"arch", "auid", "uid", "euid", "success", "exit", "path", "dir", "perm", "key"}


def linux_files(tmp_path: Path, plan: LoggingPlan | None = None) -> Path:
    write_configs(plan or LoggingPlan(), "linux", tmp_path / "out", endpoint("127.0.0.1"))
    return tmp_path / "out" / "linux"


def rsyslog_tls_driver() -> None:
    if not any(Path("/usr/lib").glob("**/rsyslog/lmnsd_gtls.so")):
        pytest.skip("rsyslog has no gtls driver (Debian package rsyslog-gnutls)")


def rsyslog_check(
    folder: Path, tmp_path: Path, extra: str = ""
) -> subprocess.CompletedProcess[str]:
    """rsyslogd -N1 on a main configuration that includes the generated files, as the
    server's /etc/rsyslog.conf does, with /etc/rsyslog.d/ moved to the test's folder."""
    rsyslogd = needs("rsyslogd", "rsyslog")
    rsyslog_tls_driver()
    work = tmp_path / "rsyslog"
    work.mkdir()
    for path in (folder / "rsyslog").iterdir():
        text = path.read_text(encoding="utf-8").replace("/etc/rsyslog.d/", f"{work}/")
        (work / path.name).write_text(text, encoding="utf-8")
    main = work / "rsyslog.conf"
    main.write_text(
        f'global(workDirectory="{work}")\n'
        f'include(file="{work}/60-watchkeeper.conf")\n'
        f'include(file="{work}/61-watchkeeper-auditd.conf")\n' + extra,
        encoding="utf-8",
    )
    return subprocess.run(
        [rsyslogd, "-N1", "-f", str(main)], capture_output=True, text=True, timeout=60
    )


def test_rsyslogd_accepts_the_forwarding_and_audit_files(tmp_path: Path) -> None:
    checked = rsyslog_check(linux_files(tmp_path), tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "error" not in checked.stderr.lower(), checked.stderr


def test_rsyslogd_would_refuse_a_mistake_so_its_yes_means_something(tmp_path: Path) -> None:
    checked = rsyslog_check(
        linux_files(tmp_path), tmp_path, 'action(type="omfwd" target="x" no_such_parameter="1")\n'
    )
    assert checked.returncode != 0


def test_the_rsyslog_file_forwards_as_promised() -> None:
    text = generate(LoggingPlan(), "linux", endpoint("10.0.0.5"))["rsyslog/60-watchkeeper.conf"]
    for setting in (
        'target="10.0.0.5"',
        'port="6514"',
        'StreamDriver="gtls"',
        'StreamDriverMode="1"',
        'StreamDriverAuthMode="x509/fingerprint"',
        'StreamDriverPermittedPeers="SHA256:' + ":".join(["0A"] * 32) + '"',
        'TCP_Framing="octet-counted"',
        'template="RSYSLOG_SyslogProtocol23Format"',
        'queue.type="LinkedList"',
        'queue.filename="watchkeeper_forward"',
        'queue.saveOnShutdown="on"',
        'action.resumeRetryCount="-1"',
    ):
        assert setting in text


def test_a_users_own_certificate_is_checked_against_its_authority() -> None:
    text = generate(LoggingPlan(), "linux", endpoint(fingerprint=""))["rsyslog/60-watchkeeper.conf"]
    assert 'StreamDriverAuthMode="x509/certvalid"' in text and "PermittedPeers" not in text


def syslog_ng_check(
    folder: Path, tmp_path: Path, extra: str = ""
) -> subprocess.CompletedProcess[str]:
    syslog_ng = needs("syslog-ng", "syslog-ng-core, which conflicts with rsyslog")
    work = tmp_path / "syslog-ng"
    work.mkdir()
    for path in (folder / "syslog-ng").iterdir():
        text = path.read_text(encoding="utf-8").replace("/etc/syslog-ng/", f"{work}/")
        (work / path.name).write_text(text, encoding="utf-8")
    main = work / "syslog-ng.conf"
    # Debian's syslog-ng.conf names the system's logs s_src and includes conf.d/*.conf
    main.write_text(
        "@version: 3.38\n"
        "source s_src { internal(); };\n"
        f'@include "{work}/watchkeeper.conf"\n' + extra,
        encoding="utf-8",
    )
    return subprocess.run(
        [syslog_ng, "--syntax-only", "-f", str(main)], capture_output=True, text=True, timeout=60
    )


def test_syslog_ng_accepts_its_file(tmp_path: Path) -> None:
    checked = syslog_ng_check(linux_files(tmp_path), tmp_path)
    assert checked.returncode == 0, checked.stderr + checked.stdout


def test_syslog_ng_would_refuse_a_mistake(tmp_path: Path) -> None:
    checked = syslog_ng_check(
        linux_files(tmp_path), tmp_path, 'destination d_x { syslog("x" no_such_option(1)); };\n'
    )
    assert checked.returncode != 0


def test_the_syslog_ng_file_sends_over_tls_with_a_reliable_disk_buffer() -> None:
    text = generate(LoggingPlan(), "linux", endpoint())["syslog-ng/watchkeeper.conf"]
    assert 'syslog("collector.example"' in text and "port(6514)" in text
    assert 'transport("tls")' in text and "ca-file(" in text
    assert "disk-buffer(" in text and "reliable(yes)" in text


def audit_rules(text: str) -> list[list[str]]:
    """The rules as auditctl reads a rules file: one a line, # starts a comment."""
    return [
        shlex.split(line) for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]


def check_rule(words: list[str]) -> dict[str, list[str]]:
    """A rule's options, after checking them against auditctl(8)'s syntax."""
    options: dict[str, list[str]] = {}
    pairs = list(zip(words[::2], words[1::2], strict=True))
    for option, value in pairs:
        options.setdefault(option, []).append(value)
    assert set(options) <= {"-b", "-f", "-w", "-p", "-k", "-a", "-F", "-S"}, words
    if "-b" in options:
        assert 0 < int(options["-b"][0]) <= 65536
    if "-f" in options:
        assert options["-f"] == ["1"] or options["-f"] in (["0"], ["2"])
    if "-w" in options:
        assert options["-w"][0].startswith("/") and "-a" not in options
        assert re.fullmatch(r"[rwxa]+", options["-p"][0])
    if "-a" in options:
        action, _, rule_list = options["-a"][0].partition(",")
        assert action in ("always", "never") and rule_list in ("exit", "task", "user", "exclude")
        for field in options.get("-F", []):
            name, operator, _ = re.split(r"(!=|>=|<=|=|>|<|&=|&)", field, maxsplit=1)
            assert name in RULE_FIELDS and operator
        assert len(options.get("-F", [])) + len(options.get("-k", [])) <= AUDIT_MAX_FIELDS
    if "-b" not in options and "-f" not in options:
        assert len(options.get("-k", [])) == 1, f"every rule has a key: {words}"
        assert len(options["-k"][0]) <= AUDIT_MAX_KEY_LEN
        assert re.fullmatch(r"[a-z0-9-]+", options["-k"][0])
    return options


def test_the_audit_rules_keep_to_auditctls_syntax_and_the_kernels_limits() -> None:
    rules = [check_rule(words) for words in audit_rules(auditd_config.rules())]
    watched = {rule["-w"][0]: rule["-k"][0] for rule in rules if "-w" in rule}
    for path in ("/etc/passwd", "/etc/shadow", "/etc/sudoers", "/etc/ssh/sshd_config"):
        assert path in watched
    assert watched["/var/log/audit"] == "audit-log"
    calls = {
        (rule["-F"][0], call): rule["-k"][0]
        for rule in rules
        if "-S" in rule
        for call in rule["-S"][0].split(",")
    }
    for arch in ("arch=b64", "arch=b32"):
        assert calls[(arch, "execve")] == "exec"
        assert calls[(arch, "clock_settime")] == "time-change"
        assert calls[(arch, "finit_module")] == "modules"


def test_every_audited_system_call_exists_on_x86_and_arm(tmp_path: Path) -> None:
    ausyscall = needs("ausyscall", "auditd")
    rules = [check_rule(words) for words in audit_rules(auditd_config.rules())]
    tables = {"arch=b64": ("x86_64", "aarch64"), "arch=b32": ("i386", "arm")}
    for rule in (rule for rule in rules if "-S" in rule):
        for call in rule["-S"][0].split(","):
            for table in tables[rule["-F"][0]]:
                found = subprocess.run(
                    [ausyscall, "--exact", table, call], capture_output=True, text=True
                )
                assert found.returncode == 0, f"{call} is not a {table} system call"


def test_journald_forwards_to_syslog() -> None:
    text = generate(LoggingPlan(), "linux", endpoint())["journald/watchkeeper.conf"]
    parser = configparser.ConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    assert parser["Journal"]["ForwardToSyslog"] == "yes"


def test_the_readme_names_every_file_and_copies_only_files_that_are_there(
    tmp_path: Path,
) -> None:
    folder = linux_files(tmp_path)
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    for name in files - {"README.txt"}:
        assert name in readme
    copied = {
        word
        for command in re.findall(r"sudo (?:cp|install) ([^&]+)", readme)
        for word in command.split()[:-1]
        if not word.startswith("-")
    }
    assert copied and copied <= files
    for one_liner in ("systemctl restart rsyslog", "augenrules --load", "rsyslogd -N1"):
        assert one_liner in readme


def test_without_auditd_in_the_plan_there_are_no_audit_files() -> None:
    plan = LoggingPlan(platforms={"linux": PlatformPlan(3, ["linux-auth", "journald"])})
    files = generate(plan, "linux", endpoint())
    assert not [name for name in files if "audit" in name]
    assert "auditd" not in files["README.txt"]


@pytest.mark.parametrize(
    "address",
    ['collector"; rm -rf /', "two words", "line\nbreak", "", "<b>host</b>", "x'y", "a{b}", "é" * 3],
)
def test_an_address_that_would_break_a_file_is_refused_in_one_sentence(address: str) -> None:
    with pytest.raises(ConfigError) as refused:
        generate(LoggingPlan(), "linux", endpoint(address))
    message = refused.value.message
    assert "\n" not in message and message.endswith(".") and "address" in message


@pytest.mark.parametrize(
    "changes",
    [
        {"http_token": "quote'in"},
        {"fingerprint": "not hex"},
        {"ports": {"syslog-tls": 70000}},
        {"ports": {"syslog-tls": "6514"}},
    ],
)
def test_other_values_that_would_break_a_file_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as refused:
        generate(LoggingPlan(), "linux", endpoint(**changes))
    assert "\n" not in refused.value.message
