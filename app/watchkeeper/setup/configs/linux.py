"""Linux servers: rsyslog or syslog-ng forwarding over TLS, auditd rules, journald forwarding.

The folder holds one way per syslog daemon (a server runs one of rsyslog and syslog-ng),
the collector's certificate for it, and, when auditd is planned, the audit rules and the
two ways of sending audit.log on.
"""

from __future__ import annotations

from watchkeeper.setup.configs import auditd, listening_note, rsyslog, syslog_ng
from watchkeeper.setup.endpoint import Endpoint
from watchkeeper.setup.plan import LoggingPlan

JOURNALD_FILE = "journald/watchkeeper.conf"


def planned_logs(plan: LoggingPlan) -> list[str]:
    """The Linux logs the plan wants; every recommended one when Linux is not planned yet."""
    from watchkeeper.setup.catalogue import recommended

    planned = plan.platforms.get("linux")
    return list(planned.logs) if planned and planned.logs else recommended("linux")


def journald_conf() -> str:
    return (
        "# Watchkeeper: journald passes what it records to the syslog daemon, which\n"
        "# forwards it to the collector.\n"
        "[Journal]\n"
        "ForwardToSyslog=yes\n"
    )


def generate(plan: LoggingPlan, endpoint: Endpoint) -> dict[str, str]:
    with_audit = "auditd" in planned_logs(plan)
    files = {
        f"rsyslog/{rsyslog.FORWARD_FILE}": rsyslog.forward_conf(endpoint),
        f"syslog-ng/{syslog_ng.CONF_FILE}": syslog_ng.conf(endpoint),
        JOURNALD_FILE: journald_conf(),
    }
    if endpoint.ca_pem:
        files[f"rsyslog/{rsyslog.CA_FILE}"] = endpoint.ca_pem
        files[f"syslog-ng/{syslog_ng.CA_FILE}"] = endpoint.ca_pem
    if with_audit:
        files[f"rsyslog/{rsyslog.AUDIT_FILE}"] = rsyslog.audit_conf()
        files[f"auditd/{auditd.RULES_FILE}"] = auditd.rules()
        files[f"auditd/{auditd.PLUGIN_FILE}"] = auditd.syslog_plugin()
    files["README.txt"] = readme(plan, endpoint, with_audit)
    return files


def readme(plan: LoggingPlan, endpoint: Endpoint, with_audit: bool) -> str:
    port = endpoint.port("syslog-tls")
    lines = [
        "Sending a Linux server's logs to Watchkeeper",
        "============================================",
        "",
        f"The server sends to {endpoint.address}, port {port}, over TLS. Copy this folder to",
        "the server and run the commands below in it, as a user who may use sudo.",
        "",
    ]
    if "syslog-tls" not in endpoint.ports:
        lines += [
            "The collector's TLS listener is off: turn it on in Settings ▸ Receiving (or the",
            "setup wizard's third step) and generate these files again.",
            "",
        ]
    lines += listening_note(plan, "a server")
    if endpoint.fingerprint:
        lines += [
            "The server checks that it talks to your collector by its certificate's SHA-256:",
            f"  {rsyslog.pinned(endpoint.fingerprint)}",
            "When the collector's certificate is renewed, generate these files again.",
            "",
        ]
    lines += [
        "1. rsyslog (most Debian, Ubuntu, Red Hat and SUSE servers)",
        "",
        f"  rsyslog/{rsyslog.FORWARD_FILE}   forwards everything to the collector over TLS, with",
        "                                a queue on disk so nothing is lost while it is away",
        f"  rsyslog/{rsyslog.CA_FILE}     the collector's certificate",
        "",
        "  It needs rsyslog's TLS driver: sudo apt-get install rsyslog-gnutls",
        "  (sudo dnf install rsyslog-gnutls on Red Hat). Then:",
        "",
        f"  sudo cp rsyslog/{rsyslog.FORWARD_FILE} rsyslog/{rsyslog.CA_FILE} "
        f"{rsyslog.FOLDER}/ && sudo rsyslogd -N1 && sudo systemctl restart rsyslog",
        "",
        "2. syslog-ng (instead of rsyslog, where the server runs syslog-ng)",
        "",
        f"  syslog-ng/{syslog_ng.CONF_FILE}   forwards the system's logs over TLS, with a disk buffer",
        f"  syslog-ng/{syslog_ng.CA_FILE}   the collector's certificate",
        "",
        f"  sudo cp syslog-ng/{syslog_ng.CA_FILE} {syslog_ng.FOLDER}/ && sudo cp "
        f"syslog-ng/{syslog_ng.CONF_FILE} {syslog_ng.FOLDER}/conf.d/ && "
        "sudo syslog-ng --syntax-only && sudo systemctl restart syslog-ng",
        "",
        "3. journald (every server with systemd)",
        "",
        f"  {JOURNALD_FILE}   makes journald pass everything to the syslog daemon",
        "",
        "  sudo mkdir -p /etc/systemd/journald.conf.d && sudo cp "
        f"{JOURNALD_FILE} /etc/systemd/journald.conf.d/ && "
        "sudo systemctl restart systemd-journald",
        "",
    ]
    if with_audit:
        lines += _audit_readme()
    lines += [
        "To check it: on the server, run",
        "  logger -p auth.notice 'Watchkeeper test from '$(hostname)",
        "then open Watchkeeper's Sources view, or run `watchkeeper setup check`.",
        "",
    ]
    return "\n".join(lines)


def _audit_readme() -> list[str]:
    return [
        "4. auditd (every command run, and changes to accounts, sudo, SSH, the clock,",
        "   kernel modules and the audit log)",
        "",
        f"  auditd/{auditd.RULES_FILE}   the audit rules, each with a key (-k)",
        "",
        "  sudo apt-get install auditd   (sudo dnf install audit on Red Hat), then",
        f"  sudo cp auditd/{auditd.RULES_FILE} /etc/audit/rules.d/ && sudo augenrules --load",
        "",
        "  Then send audit.log on, in one of two ways:",
        "",
        f"  rsyslog/{rsyslog.AUDIT_FILE}   rsyslog reads audit.log (where rsyslog runs",
        "                                      as root: Debian, Red Hat)",
        f"    sudo cp rsyslog/{rsyslog.AUDIT_FILE} {rsyslog.FOLDER}/ && "
        "sudo systemctl restart rsyslog",
        "",
        f"  auditd/{auditd.PLUGIN_FILE}   auditd hands its records to syslog (Ubuntu, or",
        "                                with syslog-ng; needs the audispd-plugins package)",
        f"    sudo cp auditd/{auditd.PLUGIN_FILE} /etc/audit/plugins.d/syslog.conf && "
        "sudo systemctl restart auditd",
        "",
    ]
