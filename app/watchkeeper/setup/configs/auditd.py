"""auditd rules: every command run, and changes to what an intruder changes first.

Each rule carries a key (`-k`), which the audit records repeat, so a search for
`key=identity` finds every change to the account files. The rules keep within what every
kernel since 3.x takes: one key per rule, at most 64 fields, syscalls that exist on both
the 64-bit and the 32-bit tables of x86 and ARM.
"""

from __future__ import annotations

RULES_FILE = "watchkeeper.rules"
PLUGIN_FILE = "syslog-plugin.conf"
BACKLOG = 8192  # records the kernel holds while auditd catches up

# (what it is for, key, paths watched with their permissions)
WATCHES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "accounts and passwords",
        "identity",
        (
            ("/etc/passwd", "wa"),
            ("/etc/shadow", "wa"),
            ("/etc/group", "wa"),
            ("/etc/gshadow", "wa"),
        ),
    ),
    ("who may use sudo", "sudoers", (("/etc/sudoers", "wa"), ("/etc/sudoers.d", "wa"))),
    (
        "the SSH server's settings",
        "sshd-config",
        (("/etc/ssh/sshd_config", "wa"), ("/etc/ssh/sshd_config.d", "wa")),
    ),
    ("the time zone", "time-change", (("/etc/localtime", "wa"),)),
    (
        "the audit log and auditing itself",
        "audit-log",
        (
            ("/var/log/audit", "wa"),
            ("/etc/audit", "wa"),
            ("/sbin/auditctl", "x"),
            ("/sbin/auditd", "x"),
        ),
    ),
    (
        "kernel modules loaded by hand",
        "modules",
        (("/sbin/insmod", "x"), ("/sbin/rmmod", "x"), ("/sbin/modprobe", "x")),
    ),
)

# (what it is for, key, syscalls); each becomes a rule for arch=b64 and one for arch=b32
SYSCALLS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("the clock set", "time-change", ("adjtimex", "settimeofday", "clock_settime")),
    ("kernel modules", "modules", ("init_module", "finit_module", "delete_module")),
    ("every command run", "exec", ("execve",)),
)


def rules() -> str:
    """/etc/audit/rules.d/watchkeeper.rules, loaded by `augenrules --load`."""
    lines = [
        "## Watchkeeper: what auditd records on this server, each with a key (-k).",
        "## Installed as /etc/audit/rules.d/watchkeeper.rules; `sudo augenrules --load`",
        "## loads it. Recording every command is the largest part: about 20,000 events a",
        "## day on a quiet server.",
        "",
        f"-b {BACKLOG}",
        "-f 1",
        "",
    ]
    for purpose, key, watches in WATCHES:
        lines.append(f"## {purpose}")
        lines += [f"-w {path} -p {permissions} -k {key}" for path, permissions in watches]
        lines.append("")
    for purpose, key, calls in SYSCALLS:
        lines.append(f"## {purpose}")
        for arch in ("b64", "b32"):
            lines.append(f"-a always,exit -F arch={arch} -S {','.join(calls)} -k {key}")
        lines.append("")
    return "\n".join(lines)


def syslog_plugin() -> str:
    """/etc/audit/plugins.d/syslog.conf: auditd hands its records to syslog (audisp)."""
    return (
        "# Watchkeeper: auditd passes every record to syslog, which forwards it to the\n"
        "# collector. Use this where rsyslog cannot read /var/log/audit/audit.log (Ubuntu)\n"
        "# instead of rsyslog/61-watchkeeper-auditd.conf. Needs the audispd-plugins package\n"
        "# on Debian and Ubuntu.\n"
        "active = yes\n"
        "direction = out\n"
        "path = /sbin/audisp-syslog\n"
        "type = always\n"
        "args = LOG_LOCAL6\n"
        "format = string\n"
    )
