"""End to end: a real rsyslogd forwards `logger`'s test event over TLS to a real Collector.

rsyslogd runs unprivileged in the foreground with a configuration of the test's own: it
reads what `logger` sends to its TCP port and forwards it octet-counted over TLS (the gtls
driver), trusting the collector's own certificate, the way a user's server would. The
checklist turns that host green; once rsyslogd has stopped and a day and more has passed,
the same host is red.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.unit.collect.test_listeners import wait_until
from tests.unit.collect.test_senders import Daemon, free_port, needs, rsyslog_tls_driver

from watchkeeper.collect import certificates
from watchkeeper.collect.service import Collector, listener_settings
from watchkeeper.core.settings import Settings
from watchkeeper.setup.check import CheckRow, check_plan
from watchkeeper.setup.endpoint import Endpoint
from watchkeeper.setup.plan import LoggingPlan, PlannedSource, PlatformPlan
from watchkeeper.setup.test_event import new_marker, test_command
from watchkeeper.storage.store import Store

RSYSLOG = """
global(workDirectory="{work}" defaultNetstreamDriverCAFile="{ca}")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{port_in}")
action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp"
       TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
       StreamDriver="{driver}" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
       StreamDriverPermittedPeers="localhost")
"""


@pytest.fixture
def collector(store: Store) -> Iterator[Collector]:
    """The app's collector on a free TLS port with its own certificate; the test loads it."""
    settings = Settings()
    settings.heartbeat_minutes = 0
    running = Collector(
        store.path, settings, listener_settings(settings, {"syslog-tls": 0}), load=False
    )
    running.start()
    yield running
    running.stop()


def test_rsyslog_over_tls_turns_the_host_green_and_red_once_it_stops(
    store: Store, collector: Collector, tmp_path: Path
) -> None:
    rsyslogd = needs("rsyslogd", "rsyslog")
    logger = needs("logger", "bsdutils")
    driver = rsyslog_tls_driver()
    work = tmp_path / "rsyslog"
    work.mkdir()
    port_in = free_port()
    config = work / "rsyslog.conf"
    config.write_text(
        RSYSLOG.format(
            work=work,
            ca=certificates.ensure_certificate().cert,  # the one the collector serves
            port_in=port_in,
            port=collector.listeners.addresses()["syslog-tls"][1],
            driver=driver,
        )
    )
    assert subprocess.run([rsyslogd, "-N1", "-f", str(config)], capture_output=True).returncode == 0
    daemon = Daemon(
        [rsyslogd, "-n", "-f", str(config), "-i", str(work / "rsyslogd.pid")],
        port_in,
        work / "output.log",
    )
    host = socket.gethostname().split(".")[0]
    plan = LoggingPlan(
        platforms={"linux": PlatformPlan(count=1, logs=["linux-auth"])},
        sources=[PlannedSource(host, "linux")],
    )
    marker = new_marker()
    command = test_command(plan.sources[0], plan, Endpoint("localhost", {}), marker)
    assert command == f'logger -t watchkeeper-test "{marker}"'
    try:
        wait_until(lambda: _listening(port_in, daemon), 15, "rsyslogd to listen")
        send = [logger, "--server", "127.0.0.1", "--port", str(port_in), "--tcp"]
        sign_in = [*send, "-t", "sshd", "Accepted publickey for alice"]
        subprocess.run(sign_in, check=True, timeout=10)
        # the first message waits for rsyslogd's TLS connection (seconds on a busy machine):
        # the clock is judged on the median, so the messages after it carry the judgement
        wait_until(
            lambda: collector.listeners.stats().received["syslog-tls"] >= 1,
            60,
            "rsyslogd's first message over TLS",
        )
        for _ in range(4):
            subprocess.run(sign_in, check=True, timeout=10)
        # the command the checklist shows, pointed at rsyslogd's port instead of /dev/log
        subprocess.run([*send, "-t", "watchkeeper-test", marker], check=True, timeout=10)
        rows: list[CheckRow] = []

        def green() -> bool:
            collector.load_once(store)
            rows[:] = check_plan(store, plan, datetime.now(UTC), Settings(), {host: marker})
            return rows[0].state == "green"

        try:
            wait_until(green, 60, "the host to turn green")
        except AssertionError:
            details = [(i.label, i.state, i.detail) for i in rows[0].items]
            raise AssertionError(f"{details}\n{daemon.log.read_text()}") from None
    finally:
        daemon.stop()
    [row] = rows
    assert [item.state for item in row.items] == ["green"] * 5
    assert {i.label: i.detail for i in row.items}["Encrypted"] == "Every message came over tls."
    later = datetime.now(UTC) + timedelta(days=1, hours=1)
    [row] = check_plan(store, plan, later, Settings(), {host: marker})
    assert row.state == "red"
    assert row.items[0].detail.startswith(f"Silent: nothing from {host} for ")
    assert row.fix.startswith(f"Check that {host} is switched on")


def _listening(port: int, daemon: Daemon) -> bool:
    if daemon.process.poll() is not None:
        raise AssertionError(f"rsyslogd exited: {daemon.log.read_text()}")
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True
