"""An NXLog Community Edition configuration: the plan's event logs, as JSON, to the collector.

im_msvistalog reads the chosen channels, xm_json's to_json() writes each event as one JSON
line (what ingest/nxlog.py reads), pm_buffer keeps up to a gigabyte on disk while the
collector is away, and om_ssl sends it over TLS, trusting only the collector's certificate.
Without a json-tls listener it falls back to plain TCP, and says so in the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import quoteattr

from watchkeeper.setup.endpoint import Endpoint

ROOT = r"C:\Program Files\nxlog"
CERTIFICATE = "collector-certificate.pem"
BUFFER_KB = 1024 * 1024  # 1 GB of events on disk while the collector cannot be reached
WARN_KB = 512 * 1024


def uses_tls(endpoint: Endpoint) -> bool:
    """TLS when the collector has a json-tls listener and a certificate to trust."""
    return "json-tls" in endpoint.ports and bool(endpoint.ca_pem)


def nxlog_conf(endpoint: Endpoint, channels: Sequence[str]) -> str:
    """The nxlog.conf text (LF; the writer makes it CRLF) reading `channels`."""
    tls = uses_tls(endpoint)
    port = endpoint.port("json-tls" if tls else "json-tcp")
    selects = [
        f"                <Select Path={quoteattr(channel)}>*</Select>" for channel in channels
    ]
    if tls:
        output = [
            "# Sent over TLS; only the collector's own certificate is trusted.",
            "<Output collector>",
            "    Module          om_ssl",
            f"    Host            {endpoint.address}",
            f"    Port            {port}",
            f"    CAFile          %ROOT%\\cert\\{CERTIFICATE}",
            "    AllowUntrusted  FALSE",
            "</Output>",
        ]
    else:
        output = [
            "# UNENCRYPTED: the collector has no JSON-over-TLS listener turned on, so events",
            "# cross the network in plain text. Turn on json-tls in Watchkeeper's Settings and",
            "# generate this file again to encrypt them.",
            "<Output collector>",
            "    Module          om_tcp",
            f"    Host            {endpoint.address}",
            f"    Port            {port}",
            "</Output>",
        ]
    lines = [
        "## Watchkeeper: NXLog Community Edition configuration.",
        f"## Sends this computer's event logs as JSON to the collector at {endpoint.address}.",
        "## Copy it to C:\\Program Files\\nxlog\\conf\\nxlog.conf and run: Restart-Service nxlog",
        "",
        f"define ROOT {ROOT}",
        "",
        "ModuleDir   %ROOT%\\modules",
        "CacheDir    %ROOT%\\data",
        "PidFile     %ROOT%\\data\\nxlog.pid",
        "SpoolDir    %ROOT%\\data",
        "LogFile     %ROOT%\\data\\nxlog.log",
        "",
        "<Extension _json>",
        "    Module          xm_json",
        "</Extension>",
        "",
        "# The event logs of the logging plan; each event becomes one line of JSON.",
        "<Input eventlog>",
        "    Module          im_msvistalog",
        "    <QueryXML>",
        "        <QueryList>",
        '            <Query Id="0">',
        *selects,
        "            </Query>",
        "        </QueryList>",
        "    </QueryXML>",
        "    Exec            to_json();",
        "</Input>",
        "",
        "# Events wait here, on disk, while the collector cannot be reached.",
        "<Processor buffer>",
        "    Module          pm_buffer",
        "    Type            Disk",
        f"    MaxSize         {BUFFER_KB}",
        f"    WarnLimit       {WARN_KB}",
        "</Processor>",
        "",
        *output,
        "",
        "<Route forward>",
        "    Path            eventlog => buffer => collector",
        "</Route>",
        "",
    ]
    return "\n".join(lines)
