"""What the generated nxlog.conf sends reaches the store: to_json() lines over TLS.

A real Collector with its json-tls listener and its generated certificate; the client
trusts only the collector-certificate.pem written beside nxlog.conf, as om_ssl with
AllowUntrusted FALSE does, and sends NXLog's to_json() lines of im_msvistalog events.
"""

from __future__ import annotations

import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from watchkeeper.collect.loader import load_spool
from watchkeeper.collect.service import Collector, listener_settings
from watchkeeper.core import paths
from watchkeeper.core.settings import Settings
from watchkeeper.setup.configs import write_configs
from watchkeeper.setup.endpoint import endpoint_for
from watchkeeper.setup.plan import LoggingPlan, PlatformPlan, Receiving
from watchkeeper.storage.store import Store

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Collector]:
    settings = Settings(listeners={"json-tls": 0}, listen_on_network=False)
    running = Collector(
        tmp_path / "store" / "test.duckdb",
        settings,
        listener_settings(settings, {"json-tls": 0}),
        load=False,
        detect=False,
    )
    running.start()
    yield running
    running.stop()


def test_nxlog_json_over_tls_to_the_generated_endpoint_lands_in_the_store(
    collector: Collector, store: Store, tmp_path: Path
) -> None:
    host, port = collector.listeners.addresses()["json-tls"]
    plan = LoggingPlan(
        platforms={"windows": PlatformPlan(3, ["windows-security"])},
        receiving=Receiving(collector_address="127.0.0.1", listeners={"json-tls": port}),
    )
    endpoint = endpoint_for(plan, collector.settings, tls_folder=paths.config_dir() / "tls")
    write_configs(plan, "windows", tmp_path / "out", endpoint)
    folder = tmp_path / "out" / "windows"
    conf = (folder / "nxlog.conf").read_text(encoding="utf-8")
    assert re.search(rf"^\s+Port\s+{port}\r?$", conf, re.M)
    assert re.search(r"^\s+Host\s+127\.0\.0\.1\r?$", conf, re.M)

    trusting = ssl.create_default_context(cafile=str(folder / "collector-certificate.pem"))
    trusting.check_hostname = False  # om_ssl checks the chain, not the name
    lines = (FIXTURES / "nxlog" / "im_msvistalog.json").read_bytes().splitlines()
    with (
        socket.create_connection((host, port), timeout=10) as raw,
        trusting.wrap_socket(raw) as secured,
    ):
        secured.sendall(b"\r\n".join(lines[:2]) + b"\r\n")  # NXLog on Windows ends lines CRLF
        wait_until(lambda: collector.listeners.stats().received["json-tls"] >= 2, "2 lines")

    collector.listeners.stop()
    collector.spool.close()
    load_spool(store, collector.folder)
    rows = store.fetch_all(
        "SELECT host, channel, event_id, command_line, transport FROM events ORDER BY event_id"
    )
    assert [row[:3] for row in rows] == [
        ("FS01.oakfield.local", "Security", 4624),
        ("FS01.oakfield.local", "Security", 4688),
    ]
    assert rows[1][3] == "whoami /priv" and {row[4] for row in rows} == {"tls"}


def test_a_client_trusting_another_certificate_is_not_let_through(
    collector: Collector, tmp_path: Path
) -> None:
    """AllowUntrusted FALSE: a certificate other than the collector's fails the handshake."""
    host, port = collector.listeners.addresses()["json-tls"]
    other = ssl.create_default_context()  # the system's authorities only
    with (
        socket.create_connection((host, port), timeout=10) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        other.wrap_socket(raw, server_hostname="localhost")
