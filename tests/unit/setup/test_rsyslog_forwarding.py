"""End to end: a real rsyslogd, started unprivileged with the generated file, forwards over
TLS to a real Collector using the collector's generated certificate, and the messages land
in the store with transport tls; with the collector away, they wait and arrive later."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.unit.collect.test_senders import stop_process
from tests.unit.setup.helpers import needs, wait_until
from tests.unit.setup.test_linux_configs import rsyslog_tls_driver

from watchkeeper.collect.loader import load_spool
from watchkeeper.collect.service import Collector, listener_settings
from watchkeeper.core.settings import Settings
from watchkeeper.setup.check import check_plan
from watchkeeper.setup.configs import write_configs
from watchkeeper.setup.endpoint import endpoint_for
from watchkeeper.setup.plan import LoggingPlan, PlannedSource, PlatformPlan, Receiving
from watchkeeper.setup.test_event import new_marker
from watchkeeper.storage.store import Store


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Rsyslog:
    """rsyslogd in the foreground: the generated file included by a main configuration of
    the test's own, reading a log socket that `logger -u` writes to."""

    def __init__(self, tmp_path: Path, port: int) -> None:
        rsyslogd = needs("rsyslogd", "rsyslog")
        rsyslog_tls_driver()
        plan = LoggingPlan(receiving=Receiving(True, "127.0.0.1", {"syslog-tls": port}))
        write_configs(plan, "linux", tmp_path / "out", endpoint_for(plan, Settings()))
        self.work = tmp_path / "rsyslog"
        self.work.mkdir()
        for name in ("60-watchkeeper.conf", "watchkeeper-ca.pem"):
            text = (tmp_path / "out" / "linux" / "rsyslog" / name).read_text(encoding="utf-8")
            (self.work / name).write_text(text.replace("/etc/rsyslog.d/", f"{self.work}/"))
        self.socket = self.work / "log.sock"
        main = self.work / "rsyslog.conf"
        main.write_text(
            f'global(workDirectory="{self.work}")\n'
            'module(load="imuxsock" SysSock.Use="off")\n'
            f'input(type="imuxsock" Socket="{self.socket}")\n'
            f'include(file="{self.work}/60-watchkeeper.conf")\n'
        )
        self.output = self.work / "rsyslogd.out"
        self.process = subprocess.Popen(
            [rsyslogd, "-n", "-f", str(main), "-i", str(self.work / "rsyslogd.pid")],
            stdout=self.output.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_until(self.listening, 15, "rsyslogd's log socket")

    def listening(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"rsyslogd exited: {self.output.read_text()}")
        return self.socket.exists()

    def log(self, texts: list[str]) -> None:
        logger = needs("logger", "bsdutils")
        for text in texts:
            subprocess.run(
                [logger, "-u", str(self.socket), "-t", "sshd", "-p", "auth.notice", text],
                check=True,
                timeout=10,
            )

    def stop(self) -> None:
        stop_process(self.process)


@pytest.fixture
def started() -> Iterator[list[Rsyslog | Collector]]:
    running: list[Rsyslog | Collector] = []
    yield running
    for thing in reversed(running):
        thing.stop()


def collector_on(port: int, db: Path) -> Collector:
    settings = Settings(listeners={"syslog-tls": port})
    collector = Collector(db, settings, listener_settings(settings), load=False, detect=False)
    collector.start()
    return collector


def stored(collector: Collector, store: Store) -> list[tuple[str, str, str, str]]:
    collector.stop()
    load_spool(store, collector.folder)
    rows = store.fetch_all(
        "SELECT message, process, transport, host FROM events ORDER BY import_id, record_no"
    )
    return [(str(m).strip(), p, t, h) for m, p, t, h in rows]


def test_rsyslog_with_the_generated_file_forwards_over_tls(
    tmp_path: Path, store: Store, started: list[Rsyslog | Collector]
) -> None:
    port = free_port()
    started.append(collector := collector_on(port, store.path))
    started.append(rsyslog := Rsyslog(tmp_path, port))
    texts = [f"Accepted publickey for alice from 192.0.2.{n} port 22" for n in range(20)]
    rsyslog.log(texts)
    wait_until(
        lambda: collector.listeners.stats().received["syslog-tls"] >= len(texts),
        30,
        f"{len(texts)} messages over TLS ({rsyslog.output.read_text()})",
    )
    started.remove(collector)
    rows = stored(collector, store)
    assert [row[0] for row in rows] == texts  # all of them, in order
    assert {row[1:3] for row in rows} == {("sshd", "tls")}
    assert {row[3].split(".")[0] for row in rows} == {socket.gethostname().split(".")[0]}


def test_what_is_logged_while_the_collector_is_away_arrives_when_it_is_back(
    tmp_path: Path, store: Store, started: list[Rsyslog | Collector]
) -> None:
    port = free_port()
    started.append(rsyslog := Rsyslog(tmp_path, port))
    texts = [f"sudo: alice : COMMAND=/bin/true number {n}" for n in range(10)]
    rsyslog.log(texts)  # nobody listens on the port yet
    started.append(collector := collector_on(port, store.path))
    # rsyslog retries every 10 s (action.resumeInterval), for ever
    wait_until(
        lambda: collector.listeners.stats().received["syslog-tls"] >= len(texts),
        60,
        f"the {len(texts)} queued messages ({rsyslog.output.read_text()})",
    )
    started.remove(collector)
    assert [row[0] for row in stored(collector, store)] == texts


def test_the_checklist_turns_a_server_forwarding_with_the_generated_file_green_then_red(
    tmp_path: Path, store: Store, started: list[Rsyslog | Collector]
) -> None:
    """What step 4 proves, with rsyslogd running the file step 3 wrote."""
    port = free_port()
    started.append(collector := collector_on(port, store.path))
    started.append(rsyslog := Rsyslog(tmp_path, port))
    marker = new_marker()
    host = socket.gethostname().split(".")[0]
    plan = LoggingPlan(
        platforms={"linux": PlatformPlan(count=1, logs=["linux-auth"])},
        sources=[PlannedSource(host, "linux")],
    )
    rsyslog.log(["Accepted publickey for alice from 192.0.2.7 port 22"])
    subprocess.run(
        [needs("logger", "bsdutils"), "-u", str(rsyslog.socket), "-t", "watchkeeper-test", marker],
        check=True,
        timeout=10,
    )
    wait_until(
        lambda: collector.listeners.stats().received["syslog-tls"] >= 2,
        30,
        f"the test event over TLS ({rsyslog.output.read_text()})",
    )
    started.remove(collector)
    stored(collector, store)
    now = datetime.now(UTC)
    [row] = check_plan(store, plan, now, Settings(), {host: marker})
    assert row.state == "green", [(i.label, i.state, i.detail) for i in row.items]
    rsyslog.stop()
    started.remove(rsyslog)
    [later] = check_plan(store, plan, now + timedelta(hours=25), Settings(), {host: marker})
    assert later.state == "red" and later.items[0].state == "red"
