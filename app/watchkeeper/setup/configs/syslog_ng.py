"""syslog-ng on a Linux server: its system source sent to the collector over TLS.

The syslog() destination sends RFC 5424 with octet counts; a reliable disk buffer keeps
what waits while the collector is away, across restarts.
"""

from __future__ import annotations

from watchkeeper.setup.endpoint import Endpoint

FOLDER = "/etc/syslog-ng"
CA_FILE = "watchkeeper-ca.pem"
CONF_FILE = "watchkeeper.conf"
SOURCE = "s_src"  # Debian's and Ubuntu's name for the system's logs (s_sys on Red Hat)
BUFFER_BYTES = 1024**3


def conf(endpoint: Endpoint, source: str = SOURCE) -> str:
    """/etc/syslog-ng/conf.d/watchkeeper.conf."""
    port = endpoint.port("syslog-tls")
    return (
        "# Watchkeeper: send this server's logs to the collector at\n"
        f"# {endpoint.address}, port {port}, over TLS (RFC 5424, octet-counted).\n"
        "# What waits while the collector is away is kept in a disk buffer (up to 1 GB).\n"
        f"# {source} is the system's source on Debian and Ubuntu; on Red Hat it is s_sys.\n"
        "\n"
        "destination d_watchkeeper {\n"
        f'  syslog("{endpoint.address}"\n'
        f"    port({port})\n"
        '    transport("tls")\n'
        "    tls(\n"
        f'      ca-file("{FOLDER}/{CA_FILE}")\n'
        "      peer-verify(required-trusted)\n"
        "    )\n"
        "    disk-buffer(\n"
        "      reliable(yes)\n"
        f"      disk-buf-size({BUFFER_BYTES})\n"
        "      mem-buf-size(16777216)\n"
        "    )\n"
        '    persist-name("watchkeeper")\n'
        "  );\n"
        "};\n"
        "\n"
        f"log {{ source({source}); destination(d_watchkeeper); }};\n"
    )
