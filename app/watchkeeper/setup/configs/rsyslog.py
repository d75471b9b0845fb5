"""rsyslog on a Linux server: everything it logs, sent to the collector over TLS.

omfwd with the gtls driver pins the collector's certificate by its SHA-256 (the certificate
is self-signed, so there is no authority to check it against), frames messages with octet
counts in the RFC 5424 format, and queues on disk while the collector is away: rsyslog keeps
retrying for ever and sends what waited, in order, once it is back.
"""

from __future__ import annotations

from watchkeeper.setup.endpoint import Endpoint

FOLDER = "/etc/rsyslog.d"
CA_FILE = "watchkeeper-ca.pem"
FORWARD_FILE = "60-watchkeeper.conf"
AUDIT_FILE = "61-watchkeeper-auditd.conf"
RULESET = "watchkeeper_forward"
AUDIT_LOG = "/var/log/audit/audit.log"
QUEUE_DISK = "1g"  # what may wait on disk while the collector is away


def pinned(fingerprint: str) -> str:
    """rsyslog's spelling of a SHA-256 fingerprint: SHA256:AB:CD:..."""
    upper = fingerprint.upper()
    return "SHA256:" + ":".join(upper[i : i + 2] for i in range(0, len(upper), 2))


def forward_conf(endpoint: Endpoint) -> str:
    """/etc/rsyslog.d/60-watchkeeper.conf."""
    port = endpoint.port("syslog-tls")
    if endpoint.fingerprint:
        auth = (
            '    StreamDriverAuthMode="x509/fingerprint"\n'
            f'    StreamDriverPermittedPeers="{pinned(endpoint.fingerprint)}"\n'
        )
    else:  # the user's own certificate, issued by an authority the CA file holds
        auth = '    StreamDriverAuthMode="x509/certvalid"\n'
    return (
        "# Watchkeeper: send everything this server logs to the collector at\n"
        f"# {endpoint.address}, port {port}, over TLS (RFC 5424, octet-counted).\n"
        "# While the collector is away, messages wait in a queue on disk (up to "
        f"{QUEUE_DISK.upper()}B)\n"
        "# and are sent once it is back, so nothing is lost. The queue's files go in\n"
        "# rsyslog's work directory ($WorkDirectory, /var/spool/rsyslog on Debian).\n"
        "\n"
        f'global(DefaultNetstreamDriverCAFile="{FOLDER}/{CA_FILE}")\n'
        "\n"
        f'ruleset(name="{RULESET}") {{\n'
        "  action(\n"
        '    name="watchkeeper"\n'
        '    type="omfwd"\n'
        f'    target="{endpoint.address}"\n'
        f'    port="{port}"\n'
        '    protocol="tcp"\n'
        '    TCP_Framing="octet-counted"\n'
        '    template="RSYSLOG_SyslogProtocol23Format"\n'
        '    StreamDriver="gtls"\n'
        '    StreamDriverMode="1"\n'
        f"{auth}"
        '    queue.type="LinkedList"\n'
        '    queue.filename="watchkeeper_forward"\n'
        f'    queue.maxDiskSpace="{QUEUE_DISK}"\n'
        '    queue.saveOnShutdown="on"\n'
        '    action.resumeRetryCount="-1"\n'
        '    action.resumeInterval="10"\n'
        "  )\n"
        "}\n"
        "\n"
        "# everything logged on this server (journald forwards to rsyslog too)\n"
        f"call {RULESET}\n"
    )


def audit_conf() -> str:
    """/etc/rsyslog.d/61-watchkeeper-auditd.conf: audit.log read as a file and sent on."""
    return (
        "# Watchkeeper: send auditd's log to the collector too, read from its file.\n"
        "# Needs 60-watchkeeper.conf. rsyslog must be able to read the file: where it runs as\n"
        "# the syslog user (Ubuntu), use auditd/syslog-plugin.conf instead of this file.\n"
        "# If your rsyslog.conf already loads imfile, delete the module line below.\n"
        "\n"
        'module(load="imfile")\n'
        'input(type="imfile"\n'
        f'      File="{AUDIT_LOG}"\n'
        '      Tag="auditd:"\n'
        '      Facility="local6"\n'
        '      Severity="info"\n'
        f'      ruleset="{RULESET}")\n'
    )
