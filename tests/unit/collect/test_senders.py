"""Real senders deliver to the listeners: logger, rsyslog, syslog-ng and curl.

The test setup (installer/bootstrap.sh test) installs them from Debian's packages; a test
whose sender is missing is skipped and says which. rsyslog and syslog-ng run unprivileged in
the foreground with a configuration of the test's own: they read messages from a TCP port
of theirs and forward them to the listeners the way a server of a user would.
"""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from tests.unit.collect.test_listeners import (
    TOKEN,
    Collectors,
    Running,
    TlsFiles,
    line,
    make_tls_files,
    utc_now,
    wait_until,
)

from watchkeeper.storage.store import Store


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    collectors = Collectors(tmp_path)
    yield collectors.start
    collectors.stop_all()


def needs(program: str, package: str) -> str:
    # the venv's bin/ holds a sender installer/bootstrap.sh unpacked privately (syslog-ng)
    search = os.pathsep.join(
        [str(Path(sys.executable).parent), os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]
    )
    path = shutil.which(program, path=search)
    if path is None:
        pytest.skip(f"{program} is not installed (Debian package {package})")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def this_host() -> str:
    return socket.gethostname().split(".")[0]


class Daemon:
    """A syslog daemon in the foreground, fed through a TCP port of its own."""

    def __init__(self, command: list[str], port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self.process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)

    def feed(self, data: bytes, timeout: float = 10.0) -> None:
        """Send `data` to the daemon's input once it listens."""
        connection: list[socket.socket] = []

        def listening() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the daemon exited: {self.log.read_text()}")
            try:
                connection.append(socket.create_connection(("127.0.0.1", self.port)))
            except OSError:
                return False
            return True

        wait_until(listening, timeout, "the daemon to listen")
        with connection[0] as sender:
            sender.sendall(data)

    def stop(self) -> None:
        stop_process(self.process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate a sender, and kill it when it has not gone within ten seconds."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.stop()


def waiting_for(running: Running, name: str, count: int, daemon: Daemon) -> None:
    try:
        running.wait_received(name, count, timeout=15)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{daemon.log.read_text()}") from None


# -- logger (util-linux) -------------------------------------------------------------------


def test_logger_over_udp_and_tcp_in_both_formats_and_framings(
    collector: Callable[..., Running], store: Store
) -> None:
    logger = needs("logger", "bsdutils")
    if (
        "--octet-count"
        not in subprocess.run([logger, "--help"], capture_output=True, text=True).stdout
    ):
        pytest.skip("this logger is not util-linux's (no --octet-count)")
    running = collector(["syslog-udp", "syslog-tcp"])
    ways = [
        ("udp", ["-d", "--rfc3164"]),
        ("udp", ["-d", "--rfc5424"]),
        ("tcp", ["-T", "--rfc3164"]),
        ("tcp", ["-T", "--rfc5424"]),
        ("tcp", ["-T", "--rfc3164", "--octet-count"]),
        ("tcp", ["-T", "--rfc5424", "--octet-count"]),
    ]
    before = datetime.now(UTC)
    for transport, options in ways:
        port = running.address(f"syslog-{transport}")[1]
        text = f"logger says hello {' '.join(options)}"
        subprocess.run(
            [
                logger,
                "-n",
                "127.0.0.1",
                "-P",
                str(port),
                *options,
                "-t",
                "watchkeeper-test",
                "-p",
                "auth.warning",
                text,
            ],
            check=True,
            timeout=10,
        )
    running.wait_received("syslog-udp", 2)
    running.wait_received("syslog-tcp", 4)
    rows = running.stored(store, "host, message, process, level, time, transport")
    assert sorted(row[1] for row in rows) == sorted(
        f"logger says hello {' '.join(options)}" for _, options in ways
    )
    for host, _, process, level, time, _ in rows:
        assert host.split(".")[0] == this_host()
        assert process == "watchkeeper-test" and level == "warning"
        # RFC 3164 stamps carry no zone, so only the day is checked for them
        assert abs(time - before.replace(tzinfo=None)) < timedelta(days=1)
    assert sorted(row[5] for row in rows) == ["tcp"] * 4 + ["udp"] * 2


# -- rsyslog -------------------------------------------------------------------------------

RSYSLOG_IN = """
global(workDirectory="{work}"{ca})
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{port_in}")
"""
RSYSLOG_TCP = """action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp"
       TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
"""
RSYSLOG_TLS = """action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp"
       TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
       StreamDriver="{driver}" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
       StreamDriverPermittedPeers="localhost")
"""


def rsyslog_tls_driver() -> str:
    """gtls (rsyslog-gnutls) or ossl (rsyslog-openssl), whichever is installed."""
    for driver in ("gtls", "ossl"):
        for folder in Path("/usr/lib").glob("*/rsyslog"):
            if (folder / f"lmnsd_{driver}.so").exists():
                return driver
        if Path(f"/usr/lib/rsyslog/lmnsd_{driver}.so").exists():
            return driver
    pytest.skip("rsyslog has no TLS driver (Debian package rsyslog-gnutls)")


def start_rsyslog(tmp_path: Path, action: str, ca: Path | None) -> Daemon:
    rsyslogd = needs("rsyslogd", "rsyslog")
    work = tmp_path / "rsyslog"
    work.mkdir()
    port_in = free_port()
    config = work / "rsyslog.conf"
    config.write_text(
        RSYSLOG_IN.format(
            work=work, port_in=port_in, ca=f' defaultNetstreamDriverCAFile="{ca}"' if ca else ""
        )
        + action
    )
    return Daemon(
        [rsyslogd, "-n", "-f", str(config), "-i", str(work / "rsyslogd.pid")],
        port_in,
        work / "output.log",
    )


def rsyslog_input(count: int, label: str) -> tuple[bytes, list[str]]:
    texts = [f"{label} message {n} from rsyslog" for n in range(count)]
    return b"".join(line(n, text) for n, text in enumerate(texts)), texts


def test_rsyslog_forwards_octet_counted_rfc5424_over_tcp(
    collector: Callable[..., Running], store: Store, tmp_path: Path, daemons: list[Daemon]
) -> None:
    running = collector(["syslog-tcp"])
    action = RSYSLOG_TCP.format(port=running.address("syslog-tcp")[1])
    daemons.append(rsyslog := start_rsyslog(tmp_path, action, None))
    data, texts = rsyslog_input(500, "tcp")
    before = utc_now()
    rsyslog.feed(data)
    waiting_for(running, "syslog-tcp", len(texts), rsyslog)
    rows = running.stored(store, "host, message, process, pid, received")
    assert [row[1].strip() for row in rows] == texts  # complete, in order, none split
    assert {row[0] for row in rows} == {"web01"} and {row[2:4] for row in rows} == {("app", 42)}
    assert all(before - timedelta(seconds=1) <= row[4] <= utc_now() for row in rows)


def test_rsyslog_forwards_over_tls(
    collector: Callable[..., Running], store: Store, tmp_path: Path, daemons: list[Daemon]
) -> None:
    needs("rsyslogd", "rsyslog")
    driver = rsyslog_tls_driver()
    tls: TlsFiles = make_tls_files(tmp_path)
    running = collector(["syslog-tls"], tls=tls.server_context())
    action = RSYSLOG_TLS.format(port=running.address("syslog-tls")[1], driver=driver)
    daemons.append(rsyslog := start_rsyslog(tmp_path, action, tls.certificate))
    data, texts = rsyslog_input(500, "tls")
    rsyslog.feed(data)
    waiting_for(running, "syslog-tls", len(texts), rsyslog)
    rows = running.stored(store, "host, message, transport")
    assert [row[1].strip() for row in rows] == texts
    assert {(row[0], row[2]) for row in rows} == {("web01", "tls")}


# -- syslog-ng -----------------------------------------------------------------------------

SYSLOG_NG = """@version: 3.38
options {{ keep-hostname(yes); time-reopen(1); stats-freq(0); }};
source s_in {{ network(ip("127.0.0.1") port({port_in}) transport("tcp")); }};
destination d_lines {{
    network("127.0.0.1" port({port}) transport("tcp") persist-name("lines")); }};
destination d_counted {{
    syslog("127.0.0.1" port({port}) transport("tcp") persist-name("counted")); }};
log {{ source(s_in); destination(d_lines); destination(d_counted); }};
"""


def test_syslog_ng_sends_rfc3164_lines_and_rfc5424_counted(
    collector: Callable[..., Running], store: Store, tmp_path: Path, daemons: list[Daemon]
) -> None:
    syslog_ng = needs("syslog-ng", "syslog-ng-core, which conflicts with rsyslog")
    running = collector(["syslog-tcp"])
    work = tmp_path / "syslog-ng"
    work.mkdir()
    port_in = free_port()
    config = work / "syslog-ng.conf"
    config.write_text(SYSLOG_NG.format(port_in=port_in, port=running.address("syslog-tcp")[1]))
    daemons.append(
        daemon := Daemon(
            [
                syslog_ng,
                "-F",
                "--no-caps",
                "-f",
                str(config),
                "-R",
                str(work / "persist"),
                "-p",
                str(work / "pid"),
                "-c",
                str(work / "control"),
            ],
            port_in,
            work / "output.log",
        )
    )
    texts = [f"message {n} through syslog-ng" for n in range(300)]
    daemon.feed(b"".join(line(n, text) for n, text in enumerate(texts)))
    # each message comes twice on two connections: network() lines, syslog() counted
    waiting_for(running, "syslog-tcp", 2 * len(texts), daemon)
    rows = running.stored(store, "host, message, process")
    assert sorted(row[1] for row in rows) == sorted(texts * 2)
    assert {(row[0], row[2]) for row in rows} == {("web01", "app")}


# -- curl ----------------------------------------------------------------------------------


def curl_post(curl: str, url: str, body: Path, token: str, *headers: str) -> tuple[int, bytes]:
    command = [
        curl,
        "--silent",
        "--show-error",
        "--max-time",
        "10",
        "--data-binary",
        f"@{body}",
        "-H",
        "Content-Type: application/x-ndjson",
        "-H",
        f"Authorization: Bearer {token}",
        "--write-out",
        "\n%{http_code}",
    ]
    for header in headers:
        command += ["-H", header]
    done = subprocess.run([*command, url], check=True, capture_output=True, timeout=20)
    answer, _, status = done.stdout.rpartition(b"\n")
    return int(status), answer


def test_curl_posts_json_lines_with_the_token(
    collector: Callable[..., Running], store: Store, tmp_path: Path
) -> None:
    curl = needs("curl", "curl")
    running = collector(["http"], http_token=TOKEN)
    host, port = running.address("http")
    url = f"http://{host}:{port}/"
    small = tmp_path / "small.ndjson"
    small.write_bytes(
        b'{"host":"c1","message":"posted by curl"}\n{"host":"c1","message":"and another"}\n'
    )
    assert curl_post(curl, url, small, TOKEN) == (200, b'{"received":2}')
    assert curl_post(curl, url, small, "not-the-token")[0] == 401
    # a bulk body, sent only after the listener answers "Expect: 100-continue"
    large = tmp_path / "large.ndjson.gz"
    large.write_bytes(
        gzip.compress(
            b"".join(
                orjson.dumps({"host": "c2", "message": f"bulk {n}", "pad": "x" * 300}) + b"\n"
                for n in range(5000)
            ),
            mtime=0,
        )
    )
    status, answer = curl_post(
        curl, url, large, TOKEN, "Content-Encoding: gzip", "Expect: 100-continue"
    )
    assert (status, orjson.loads(answer)) == (200, {"received": 5000})
    rows = running.stored(store, "host, message, transport")
    assert [row[:2] for row in rows[:2]] == [("c1", "posted by curl"), ("c1", "and another")]
    assert [row[1] for row in rows[2:]] == [f"bulk {n}" for n in range(5000)]
    assert {row[2] for row in rows} == {"http"}
