"""Receiving forwarded logs: throughput, loss, loading, memory and latency, beside yardsticks.

- TCP (both framings), TLS and HTTP: messages per second from one sender process until every
  message is in the spool, counted on disk; rsyslog receiving the same stream into a file (and
  for HTTP, a bare server that only counts lines) is the yardstick.
- UDP at rising paced rates: what was spooled, what was lost, and the kernel's drop count;
  rsyslog's imudp beside it.
- Loading the spool into a store, in events per second and peak memory, against importing
  the same messages as a plain syslog file.
- The `watchkeeper collect` process's memory during minutes of steady sending while it loads.
- Time from sending one message to finding it in the store, against rsyslog writing it.

Every receiver and sender is a child process (this script run with `--role`), so the figures
and the peak memory (ru_maxrss) of each are its own. Linux only: rsyslog, /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve()
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "app")}
MESSAGE_BYTES = 299  # plus the newline (or the octet count): 300 bytes a message on the wire
CHUNK = 1000  # messages a sender hands to sendall at once
STALL_SECONDS = 10.0  # a receiver whose count has not moved for this long has all it will get
UDP_RATES = (20_000, 50_000, 100_000, 200_000, 400_000)  # the last: faster than one sender can
UDP_SECONDS = 2.0
HTTP_LINES = 1000  # NDJSON lines a POST
MEMORY_RATE = 50_000

Figures = dict[str, Any]


# -- what is sent ------------------------------------------------------------------------


def syslog_parts(number: int) -> tuple[bytes, bytes]:
    """An RFC 5424 message of exactly 299 bytes, unique by its number: (header, message)."""
    header = b"<86>1 2026-11-03T08:%02d:%02d.%03dZ web%02d sshd %05d - - " % (
        number // 60_000 % 60,
        number // 1000 % 60,
        number % 1000,
        number % 40,
        1000 + number % 30_000,
    )
    text = (
        b"Failed password for invalid user u%05d from 203.0.113.%03d port %05d ssh2 "
        b"seq=%010d " % (number % 977, number % 250, 40_000 + number % 20_000, number)
    )
    return header, text.ljust(MESSAGE_BYTES - len(header), b"x")


def syslog_message(number: int) -> bytes:
    header, text = syslog_parts(number)
    return header + text


def framed(number: int, framing: str) -> bytes:
    message = syslog_message(number)
    return b"%d %s" % (len(message), message) if framing == "octet" else message + b"\n"


def json_line(number: int) -> bytes:
    """One NDJSON line of 300 bytes with its newline, as Fluent Bit or Vector posts them."""
    head = b'{"host":"fb%02d","level":"info","service":"api","message":"request %010d ' % (
        number % 40,
        number,
    )
    return head + b"x" * (MESSAGE_BYTES - len(head) - 2) + b'"}\n'


# -- child processes: senders ------------------------------------------------------------


def emit(figures: Figures) -> None:
    sys.stdout.write(json.dumps(figures) + "\n")
    sys.stdout.flush()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def connect(host: str, port: int, cafile: str | None) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=30)
    sock.settimeout(None)
    if cafile is None:
        return sock
    context = ssl.create_default_context(cafile=cafile)
    context.check_hostname = False  # the certificate itself is checked against cafile
    return context.wrap_socket(sock, server_hostname="localhost")


def role_send(config: Figures) -> None:
    """Syslog over TCP or TLS: `count` unique messages flat out, or `rate` a second, paced.

    Like a fire-and-forget sender, it never reads and closes as soon as sendall returns.
    """
    framing, rate = config["framing"], config.get("rate", 0)
    if rate:
        per_tick = rate // 100  # a chunk every 10 ms; one second of messages, then again
        chunks = [
            b"".join(framed(n, framing) for n in range(i * per_tick, (i + 1) * per_tick))
            for i in range(100)
        ]
        total = int(rate * config["seconds"]) // per_tick
    else:
        count = config["count"]
        chunks = [
            b"".join(framed(n, framing) for n in range(start, min(start + CHUNK, count)))
            for start in range(0, count, CHUNK)
        ]
        total, per_tick = len(chunks), 0
    sock = connect(config["host"], config["port"], config.get("cafile"))
    start = time.monotonic()
    for tick in range(total):
        if per_tick:
            pause = start + tick / 100 - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        sock.sendall(chunks[tick % len(chunks)])
    end = time.monotonic()
    sock.close()
    emit({"start": start, "end": end, "sent": total * per_tick if per_tick else config["count"]})


def role_send_udp(config: Figures) -> None:
    """Syslog over UDP at `rate` datagrams a second for `seconds`, paced every millisecond."""
    rate, seconds = config["rate"], config["seconds"]
    messages = [syslog_message(n) for n in range(rate)]
    per_tick = rate // 1000
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((config["host"], config["port"]))
    send = sock.send
    start = time.monotonic()
    sent = 0
    for tick in range(int(seconds * 1000)):
        pause = start + tick / 1000 - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        base = tick * per_tick % rate
        for message in messages[base : base + per_tick]:
            send(message)
        sent += per_tick
    end = time.monotonic()
    emit({"start": start, "end": end, "sent": sent})


def role_send_http(config: Figures) -> None:
    """NDJSON posts of HTTP_LINES lines over one kept-alive connection, with a bearer token."""
    import http.client

    count = config["count"]
    bodies = [
        b"".join(json_line(n) for n in range(start, min(start + HTTP_LINES, count)))
        for start in range(0, count, HTTP_LINES)
    ]
    headers = {"Authorization": f"Bearer {config['token']}", "Content-Type": "application/x-ndjson"}
    connection = http.client.HTTPConnection(config["host"], config["port"], timeout=60)
    accepted = 0
    start = time.monotonic()
    for body in bodies:
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status}: {answer[:200]!r}")
        accepted += json.loads(answer).get("received", body.count(b"\n"))
    end = time.monotonic()
    connection.close()
    emit({"start": start, "end": end, "sent": count, "accepted": accepted})


# -- child processes: receivers ----------------------------------------------------------


def use_memory_keyring() -> None:
    """Secrets for this run only: the TLS key's passphrase never reaches a real keyring."""
    import keyring

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.keyrings import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())


def stop_requested() -> threading.Event:
    """Set when the parent writes a line to our stdin or closes it."""
    event = threading.Event()

    def wait() -> None:
        sys.stdin.readline()
        event.set()

    threading.Thread(target=wait, daemon=True).start()
    return event


def spooled_on_disk(folder: Path) -> int:
    """Messages in the segments: their lines, less each segment's header line."""
    total = 0
    for path in folder.iterdir():
        if path.suffix in (".seg", ".open"):
            with path.open("rb") as segment:
                total += (
                    sum(block.count(b"\n") for block in iter(lambda: segment.read(1 << 20), b""))
                    - 1
                )
    return total


def role_receive(config: Figures) -> None:
    """Listeners and a spool, nothing else: until `expect` messages are spooled, or told."""
    from watchkeeper.collect import certificates, secrets
    from watchkeeper.collect.connections import LISTENER_KINDS
    from watchkeeper.collect.listeners import Listeners, ListenerSettings
    from watchkeeper.collect.spool import Spool

    name, expect = config["listener"], config.get("expect")
    folder = Path(config["folder"])
    context, cert = None, ""
    if LISTENER_KINDS[name][0] == "tls":
        use_memory_keyring()
        files = certificates.ensure_certificate(folder.with_name(folder.name + ".tls"))
        context = certificates.server_context(
            files, secrets.get_secret(certificates.PASSPHRASE_SECRET)
        )
        cert = str(files.cert)
    spool = Spool(folder)
    listeners = Listeners(
        ListenerSettings(ports={name: 0}, tls=context, http_token=config.get("token")), spool
    )
    listeners.start()
    host, port = listeners.addresses()[name]
    stop = stop_requested()
    emit({"host": host, "port": port, "cert": cert})
    done = None
    count, changed = 0, time.monotonic()
    while not stop.is_set():
        now = time.monotonic()
        if spool.appended != count:
            count, changed = spool.appended, now
        if expect and count >= expect:
            done = now
            break
        if expect and count and now - changed > STALL_SECONDS:
            break
        time.sleep(0.002)
    stats = listeners.stats()
    listeners.stop()
    spool.close()
    emit(
        {
            "done": done or changed,
            "spooled": spool.appended,
            "on_disk": spooled_on_disk(folder),
            "udp_dropped": stats.udp_dropped,
            "discarded": stats.discarded,
            "rejected": sum(stats.rejected.values()),
            "peak_mb": peak_mb(),
        }
    )


def role_http_sink(config: Figures) -> None:
    """The HTTP yardstick: reads each POST by its Content-Length, counts its lines, answers 200."""
    counted = [0]

    class Sink(asyncio.Protocol):
        def __init__(self) -> None:
            self.buffer = bytearray()
            self.transport: asyncio.Transport | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while True:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(self.buffer[:end]).lower()
                length = int(head.split(b"content-length:")[1].split(b"\r\n")[0])
                if len(self.buffer) < end + 4 + length:
                    return
                body = self.buffer[end + 4 : end + 4 + length]
                lines = body.count(b"\n")
                counted[0] += lines
                del self.buffer[: end + 4 + length]
                answer = b'{"received": %d}' % lines
                assert self.transport is not None
                self.transport.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer)
                )

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Sink, "127.0.0.1", 0)
        emit({"host": "127.0.0.1", "port": server.sockets[0].getsockname()[1]})
        await loop.run_in_executor(None, sys.stdin.readline)
        server.close()

    asyncio.run(serve())
    emit({"spooled": counted[0], "on_disk": counted[0], "peak_mb": peak_mb()})


# -- child processes: the store ----------------------------------------------------------


def store_counts(store: Any) -> tuple[int, int]:
    row = store.fetch_one("SELECT count(*), count(DISTINCT message) FROM events")
    return (int(row[0]), int(row[1])) if row else (0, 0)


def role_load(config: Figures) -> None:
    """The loader alone: every sealed segment of a spool into a new store."""
    from watchkeeper.collect.loader import load_spool
    from watchkeeper.storage.store import Store

    with Store(Path(config["db"])) as store:
        start = time.perf_counter()
        summary = load_spool(store, Path(config["folder"]))
        seconds = time.perf_counter() - start
        events, distinct = store_counts(store)
    emit(
        {
            "seconds": seconds,
            "events": summary.events,
            "quarantined": summary.quarantined,
            "stored": events,
            "distinct": distinct,
            "peak_mb": peak_mb(),
        }
    )


def role_import(config: Figures) -> None:
    """The yardstick for loading: the same messages as a plain syslog file, imported."""
    from watchkeeper.ingest.importer import import_paths
    from watchkeeper.storage.store import Store

    path = Path(config["file"])
    with path.open("wb") as out:
        for start in range(0, config["count"], CHUNK):
            out.write(
                b"".join(
                    syslog_message(n) + b"\n"
                    for n in range(start, min(start + CHUNK, config["count"]))
                )
            )
    with Store(Path(config["db"])) as store:
        start_time = time.perf_counter()
        summary = import_paths(store, [path])
        seconds = time.perf_counter() - start_time
        events, distinct = store_counts(store)
    emit(
        {
            "seconds": seconds,
            "events": summary.events,
            "quarantined": summary.quarantined,
            "stored": events,
            "distinct": distinct,
            "peak_mb": peak_mb(),
        }
    )


def role_latency(config: Figures) -> None:
    """Send one message at a time and time it until the store finds it.

    The service: the real Collector loading on its own schedule, the store searched right
    after each load. The test event: `send_test_event`, which loads on demand while it waits.
    """
    from watchkeeper.collect.listeners import ListenerSettings
    from watchkeeper.collect.service import (
        LOAD_EVERY,
        Collector,
        LoadReport,
        send_test_event,
        test_message,
    )
    from watchkeeper.core.settings import Settings
    from watchkeeper.storage.store import Store

    work, samples = Path(config["folder"]), config["samples"]
    rng = random.Random(6)
    db = work / "latency.duckdb"
    wanted: list[str] = []
    found = threading.Event()
    found_at: list[float] = []

    def on_loaded(report: LoadReport) -> None:
        if not wanted:
            return
        with Store(db, read_only=True) as reader:
            row = reader.fetch_one(
                "SELECT count(*) FROM events WHERE message LIKE ?", [f"%{wanted[-1]}"]
            )
        if row and row[0]:
            found_at.append(time.monotonic())
            wanted.clear()
            found.set()

    service = Collector(
        db,
        Settings(),
        ListenerSettings(ports={"syslog-tcp": 0}),
        load=True,
        detect=False,
        on_loaded=on_loaded,
    )
    service.start()
    via_service: list[float | None] = []
    for _ in range(samples):
        time.sleep(rng.uniform(0, LOAD_EVERY))  # any moment of the loader's cycle
        message = test_message("bench")
        found.clear()
        found_at.clear()
        wanted.append(message.rsplit(b" ", 1)[-1].decode())
        sent = time.monotonic()
        service.send(message)
        via_service.append(found_at[0] - sent if found.wait(15) and found_at else None)
        wanted.clear()
    service.stop()

    tester = Collector(
        work / "test-event.duckdb",
        Settings(),
        ListenerSettings(ports={"syslog-tcp": 0}),
        load=False,
        detect=False,
    )
    tester.start()
    via_test: list[float | None] = []
    for _ in range(samples):
        time.sleep(rng.uniform(0, 1))
        sent = time.monotonic()
        try:
            send_test_event(tester)
            via_test.append(time.monotonic() - sent)
        except Exception:
            via_test.append(None)
    tester.stop()
    emit({"service": via_service, "test_event": via_test})


ROLES: dict[str, Callable[[Figures], None]] = {
    "send": role_send,
    "send-udp": role_send_udp,
    "send-http": role_send_http,
    "receive": role_receive,
    "http-sink": role_http_sink,
    "load": role_load,
    "import": role_import,
    "latency": role_latency,
}


# -- the parent: running children and rsyslog --------------------------------------------


class Child:
    """This script in another process, speaking JSON lines on stdout."""

    def __init__(self, role: str, config: Figures, log: Path) -> None:
        self.role = role
        self.log = log
        self._stderr = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPT), "--role", role, json.dumps(config)],
            cwd=ROOT,
            env=ENV,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )

    def read(self) -> Figures:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            tail = self.log.read_text(errors="replace").strip().splitlines()[-15:]
            raise RuntimeError(f"the {self.role} child failed:\n" + "\n".join(tail))
        figures: Figures = json.loads(line)
        return figures

    def stop(self) -> None:
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.write("stop\n")
            self.process.stdin.close()

    def finish(self) -> Figures:
        figures = self.read()
        self.process.wait()
        assert self.process.stdin is not None and self.process.stdout is not None
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.close()
        self.process.stdout.close()
        self._stderr.close()
        return figures


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_tcp(port: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def udp_drops_on_port(port: int) -> int | None:
    """The kernel's drop count of the UDP socket bound to `port` (Linux's /proc/net/udp)."""
    suffix = f":{port:04X}"
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
            columns = line.split()
            if len(columns) >= 13 and columns[1].endswith(suffix):
                return int(columns[12])
    return None


def proc_status_mb(pid: int, key: str) -> float | None:
    """A size from /proc/PID/status: VmRSS (resident now) or VmHWM (the most it ever was)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return None


def folder_mb(folder: Path) -> float:
    total = 0
    for path in folder.glob("*"):
        with contextlib.suppress(FileNotFoundError):  # loaded and removed meanwhile
            total += path.stat().st_size
    return total / 1e6


def find_rsyslogd() -> str | None:
    return shutil.which(
        "rsyslogd", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    )


class Rsyslog:
    """rsyslogd unprivileged in the foreground, one input, `%msg%` a line into a file."""

    def __init__(
        self, binary: str, folder: Path, transport: str, tls_files: tuple[Path, Path] | None = None
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.transport = transport
        self.output = folder / "received.log"
        self.port = free_port(socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM)
        listen = f'address="127.0.0.1" port="{self.port}"'
        if transport == "udp":
            inputs = f'module(load="imudp")\ninput(type="imudp" {listen})'
        elif transport == "tls":
            assert tls_files is not None
            cert, key = tls_files
            inputs = (
                f'global(DefaultNetstreamDriverCAFile="{cert}" '
                f'DefaultNetstreamDriverCertFile="{cert}" '
                f'DefaultNetstreamDriverKeyFile="{key}")\n'
                'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" '
                'StreamDriver.AuthMode="anon")\n'
                f'input(type="imtcp" {listen})'
            )
        else:
            inputs = f'module(load="imtcp")\ninput(type="imtcp" {listen})'
        config = folder / "rsyslog.conf"
        config.write_text(
            f'global(workDirectory="{folder}")\n{inputs}\n'
            'template(name="bare" type="string" string="%msg%\\n")\n'
            f'action(type="omfile" file="{self.output}" template="bare")\n'
        )
        self._log = (folder / "rsyslogd.log").open("wb")
        self.peak_mb: float | None = None
        self.process = subprocess.Popen(
            [binary, "-n", "-f", str(config), "-i", str(folder / "rsyslogd.pid")],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        if transport == "udp":
            deadline = time.monotonic() + 10
            while udp_drops_on_port(self.port) is None and time.monotonic() < deadline:
                time.sleep(0.05)
        else:
            wait_for_tcp(self.port)

    def size(self) -> int:
        try:
            return self.output.stat().st_size
        except FileNotFoundError:
            return 0

    def lines(self) -> int:
        if not self.output.exists():
            return 0
        with self.output.open("rb") as received:
            return sum(block.count(b"\n") for block in iter(lambda: received.read(1 << 20), b""))

    def stop(self) -> None:
        self.peak_mb = proc_status_mb(self.process.pid, "VmHWM")
        self.process.terminate()
        self.process.wait(timeout=30)
        self._log.close()

    def __enter__(self) -> Rsyslog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def rsyslog_line_bytes() -> int:
    return len(syslog_parts(0)[1]) + 1  # `%msg%` is the message after the header, then \n


def wait_for_size(rsyslog: Rsyslog, size: int, sender: Child) -> float:
    """When rsyslog's file reached `size` bytes, or when it last grew if it stopped short."""
    last, changed = -1, time.monotonic()
    while True:
        now = time.monotonic()
        current = rsyslog.size()
        if current >= size:
            return now
        if current != last:
            last, changed = current, now
        if sender.process.poll() is not None and now - changed > STALL_SECONDS / 2:
            return changed
        time.sleep(0.002)


def wait_until_quiet(rsyslog: Rsyslog, seconds: float = 0.5) -> None:
    last, changed = -1, time.monotonic()
    while time.monotonic() - changed < seconds:
        if rsyslog.size() != last:
            last, changed = rsyslog.size(), time.monotonic()
        time.sleep(0.02)


# -- the parent: the measurements --------------------------------------------------------


class Bench:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.log = work / "children.log"
        self.rsyslogd = find_rsyslogd()
        self.problems: list[str] = []

    def child(self, role: str, **config: Any) -> Child:
        return Child(role, config, self.log)

    # 1 and 2: throughput with nothing lost --------------------------------------------

    def ours_stream(self, listener: str, count: int, framing: str = "lines") -> Figures:
        folder = self.work / f"{listener}-{framing}.spool"
        token = "bench-token" if listener == "http" else None
        receiver = self.child(
            "receive", listener=listener, expect=count, folder=str(folder), token=token
        )
        ready = receiver.read()
        if listener == "http":
            sender = self.child(
                "send-http", host=ready["host"], port=ready["port"], count=count, token=token
            )
        else:
            sender = self.child(
                "send",
                host=ready["host"],
                port=ready["port"],
                count=count,
                framing=framing,
                cafile=ready["cert"] or None,
            )
        sent = sender.finish()
        received = receiver.finish()
        return self._figures(sent, received["done"], received["on_disk"], received["peak_mb"])

    def bare_http(self, count: int) -> Figures:
        sink = self.child("http-sink")
        ready = sink.read()
        sent = self.child(
            "send-http", host=ready["host"], port=ready["port"], count=count, token="bench-token"
        ).finish()
        sink.stop()
        received = sink.finish()
        return self._figures(sent, sent["end"], received["on_disk"], received["peak_mb"])

    def rsyslog_stream(self, transport: str, count: int, framing: str) -> Figures | str:
        if self.rsyslogd is None:
            return "rsyslogd not found (Debian: apt-get install rsyslog)"
        tls_files = None
        if transport == "tls":
            tls_files = self.plain_certificate()
            if tls_files is None:
                return "openssl not found to make rsyslog a certificate"
        folder = self.work / f"rsyslog-{transport}-{framing}"
        with Rsyslog(self.rsyslogd, folder, transport, tls_files) as rsyslog:
            sender = self.child(
                "send",
                host="127.0.0.1",
                port=rsyslog.port,
                count=count,
                framing=framing,
                cafile=str(tls_files[0]) if tls_files else None,
            )
            done = wait_for_size(rsyslog, count * rsyslog_line_bytes(), sender)
            sent = sender.finish()
            wait_until_quiet(rsyslog, 0.2)
            lines = rsyslog.lines()
        shutil.rmtree(folder, ignore_errors=True)
        return self._figures(sent, done, lines, rsyslog.peak_mb)

    def plain_certificate(self) -> tuple[Path, Path] | None:
        """A self-signed certificate with an unencrypted key, which rsyslog's gtls can read."""
        openssl = shutil.which("openssl")
        if openssl is None:
            return None
        cert, key = self.work / "rsyslog-cert.pem", self.work / "rsyslog-key.pem"
        if not cert.exists():
            subprocess.run(
                [
                    openssl,
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-nodes",
                    "-keyout",
                    str(key),
                    "-out",
                    str(cert),
                    "-days",
                    "2",
                    "-subj",
                    "/CN=localhost",
                ],
                check=True,
                capture_output=True,
            )
        return cert, key

    def check(self, name: str, figures: Figures) -> None:
        if figures["lost"]:
            self.problems.append(f"{name}: {figures['lost']:,} of {figures['sent']:,} lost")

    @staticmethod
    def _figures(sent: Figures, done: float | None, arrived: int, peak: float | None) -> Figures:
        """Rate from the sender's first byte until the last message arrived."""
        seconds = (done or time.monotonic()) - sent["start"]
        return {
            "sent": sent["sent"],
            "arrived": arrived,
            "lost": sent["sent"] - arrived,
            "seconds": seconds,
            "rate": arrived / seconds,
            "peak_mb": peak,
            "sender_seconds": sent["end"] - sent["start"],
        }

    # 3: UDP --------------------------------------------------------------------------

    def ours_udp(self, rate: int) -> Figures:
        folder = self.work / f"udp-{rate}.spool"
        receiver = self.child("receive", listener="syslog-udp", folder=str(folder))
        ready = receiver.read()
        sent = self.child(
            "send-udp", host=ready["host"], port=ready["port"], rate=rate, seconds=UDP_SECONDS
        ).finish()
        time.sleep(0.5)  # what is still in the socket's buffer
        receiver.stop()
        received = receiver.finish()
        shutil.rmtree(folder, ignore_errors=True)
        return {
            **sent,
            "arrived": received["on_disk"],
            "dropped": received["udp_dropped"],
            "discarded": received["discarded"],
        }

    def rsyslog_udp(self, rate: int) -> Figures | str:
        if self.rsyslogd is None:
            return "rsyslogd not found"
        folder = self.work / f"rsyslog-udp-{rate}"
        with Rsyslog(self.rsyslogd, folder, "udp") as rsyslog:
            sent = self.child(
                "send-udp", host="127.0.0.1", port=rsyslog.port, rate=rate, seconds=UDP_SECONDS
            ).finish()
            wait_until_quiet(rsyslog)
            dropped = udp_drops_on_port(rsyslog.port)
            lines = rsyslog.lines()
        shutil.rmtree(folder, ignore_errors=True)
        return {**sent, "arrived": lines, "dropped": dropped, "discarded": 0}

    # 4: loading ----------------------------------------------------------------------

    def load(self, folder: Path) -> Figures:
        return self.child("load", db=str(self.work / "loaded.duckdb"), folder=str(folder)).finish()

    def import_file(self, count: int) -> Figures:
        return self.child(
            "import",
            db=str(self.work / "imported.duckdb"),
            count=count,
            file=str(self.work / "same-messages.log"),
        ).finish()

    # 5: memory over a long run ---------------------------------------------------------

    def memory_run(self, minutes: float, rate: int) -> Figures:
        """`watchkeeper collect` receiving `rate` messages a second; its RSS every second."""
        port = free_port(socket.SOCK_STREAM)
        db = self.work / "collect" / "store.duckdb"
        spool = db.with_name(db.name + ".spool")
        env = {**ENV, "WATCHKEEPER_HOME": str(self.work / "home")}
        samples: list[tuple[float, float, float]] = []  # seconds, RSS MB, spool backlog MB
        with self.log.open("ab") as errors:
            collector = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "watchkeeper",
                    "collect",
                    "--syslog-tcp",
                    str(port),
                    "--no-detect",
                    "--json",
                    "--db",
                    str(db),
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
            wait_for_tcp(port, 60)
            time.sleep(1)
            started = time.monotonic()

            def sample() -> None:
                rss = proc_status_mb(collector.pid, "VmRSS")
                if rss is not None:
                    samples.append((time.monotonic() - started, rss, folder_mb(spool)))

            sample()
            sender = self.child(
                "send",
                host="127.0.0.1",
                port=port,
                framing="lines",
                rate=rate,
                seconds=minutes * 60,
            )
            while sender.process.poll() is None:
                time.sleep(1)
                sample()
            sent = sender.finish()
            for _ in range(5):  # two of the loader's rounds and a little more
                time.sleep(1)
                sample()
            backlog = folder_mb(spool)
            peak = proc_status_mb(collector.pid, "VmHWM")
            stopping = time.monotonic()
            collector.send_signal(signal.SIGTERM)  # it stops receiving and loads what waits
            while collector.poll() is None:
                peak = proc_status_mb(collector.pid, "VmHWM") or peak
                time.sleep(0.2)
            stop_seconds = time.monotonic() - stopping
            assert collector.stdout is not None
            output = collector.stdout.read()
        return {
            "sent": sent,
            "samples": samples,
            "summary": json.loads(output),
            "peak_mb": peak,
            "backlog_mb": backlog,
            "stop_seconds": stop_seconds,
            "store_mb": db.stat().st_size / 1e6 if db.exists() else 0.0,
        }

    # 6: latency ----------------------------------------------------------------------

    def latency(self, samples: int) -> Figures:
        folder = self.work / "latency"
        folder.mkdir()
        return self.child("latency", folder=str(folder), samples=samples).finish()

    def rsyslog_latency(self, samples: int) -> list[float | None] | str:
        if self.rsyslogd is None:
            return "rsyslogd not found"
        rng = random.Random(6)
        found: list[float | None] = []
        with Rsyslog(self.rsyslogd, self.work / "rsyslog-latency", "tcp") as rsyslog:
            for number in range(samples):
                time.sleep(rng.uniform(0, 0.2))
                size = rsyslog.size()
                sent = time.monotonic()
                with socket.create_connection(("127.0.0.1", rsyslog.port)) as sock:
                    sock.sendall(syslog_message(number) + b"\n")
                while rsyslog.size() <= size and time.monotonic() - sent < 15:
                    time.sleep(0.0002)
                found.append(time.monotonic() - sent if rsyslog.size() > size else None)
        return found


# -- the parent: the table ---------------------------------------------------------------


def throughput_row(
    name: str, figures: Figures | str, yardstick: Figures | str | None = None
) -> str:
    if isinstance(figures, str):
        return f"  {name:40} skipped: {figures}"
    peak = "" if figures["peak_mb"] is None else f"{figures['peak_mb']:6.0f} MB"
    text = (
        f"  {name:40} {figures['rate']:>10,.0f}/s {figures['seconds']:7.2f} s "
        f"{figures['lost']:>6,} {peak:>9}"
    )
    if isinstance(yardstick, dict) and figures["rate"]:
        text += f"   {figures['rate'] / yardstick['rate']:5.2f}x the yardstick"
    return text


def udp_row(name: str, figures: Figures | str) -> str:
    if isinstance(figures, str):
        return f"    {name:14} skipped: {figures}"
    rate = figures["sent"] / (figures["end"] - figures["start"])
    lost = figures["sent"] - figures["arrived"]
    dropped = "?" if figures["dropped"] is None else f"{figures['dropped']:,}"
    return (
        f"    {name:14} {rate:>10,.0f}/s {figures['sent']:>9,} {figures['arrived']:>9,} "
        f"{100 * lost / figures['sent']:>7.2f} % {dropped:>9} {figures['discarded']:>9,}"
    )


def percentiles(values: list[float | None]) -> str:
    measured = sorted(v * 1000 for v in values if v is not None)
    missing = len(values) - len(measured)
    if not measured:
        return "nothing found"
    p95 = measured[min(len(measured) - 1, round(0.95 * (len(measured) - 1)))]
    text = (
        f"median {statistics.median(measured):7.1f} ms   p95 {p95:7.1f} ms   "
        f"min {measured[0]:7.1f}   max {measured[-1]:7.1f}   ({len(values)} messages)"
    )
    return text + (f"; {missing} never found" if missing else "")


@contextlib.contextmanager
def section(title: str) -> Iterator[None]:
    started = time.monotonic()
    print(f"\n{title}", flush=True)
    yield
    print(f"  ({time.monotonic() - started:.0f} s)", flush=True)


def run(bench: Bench, args: argparse.Namespace) -> None:
    count = args.messages
    with section(
        f"1. Syslog over TCP: {count:,} messages of 300 bytes from one sender process "
        "(which closes as soon as its\n   last byte is written), timed from its first "
        "byte until all are in the spool, counted on disk\n"
        f"  {'':40} {'messages':>12} {'time':>9} {'lost':>6} {'peak':>9}"
    ):
        for framing, label in (("lines", "newline"), ("octet", "octet-counted")):
            yardstick = bench.rsyslog_stream("tcp", count, framing)
            mine = bench.ours_stream("syslog-tcp", count, framing)
            print(throughput_row(f"rsyslog imtcp to a file, {label}", yardstick))
            print(throughput_row(f"watchkeeper, {label}", mine, yardstick), flush=True)
            bench.check(f"TCP {label}", mine)
            if framing == "octet":
                shutil.rmtree(bench.work / "syslog-tcp-octet.spool", ignore_errors=True)

    with section(
        f"2. Over TLS (octet-counted) and over HTTP (NDJSON, {HTTP_LINES:,} lines a "
        "POST, kept alive, bearer token)"
    ):
        yardstick = bench.rsyslog_stream("tls", count, "octet")
        mine = bench.ours_stream("syslog-tls", count, "octet")
        print(throughput_row("rsyslog imtcp + gtls to a file", yardstick))
        print(throughput_row("watchkeeper, syslog over TLS", mine, yardstick), flush=True)
        bench.check("TLS", mine)
        shutil.rmtree(bench.work / "syslog-tls-octet.spool", ignore_errors=True)
        http_yardstick = bench.bare_http(count)
        http = bench.ours_stream("http", count)
        print(throughput_row("bare asyncio server counting lines", http_yardstick))
        print(throughput_row("watchkeeper, JSON over HTTP", http, http_yardstick), flush=True)
        bench.check("HTTP", http)
        shutil.rmtree(bench.work / "http-lines.spool", ignore_errors=True)

    sysctl = Path("/proc/sys/net/core")
    buffers = (
        f"net.core.rmem_default {(sysctl / 'rmem_default').read_text().strip()}, "
        f"rmem_max {(sysctl / 'rmem_max').read_text().strip()}"
    )
    with section(
        f"3. Syslog over UDP, paced for {UDP_SECONDS:.0f} s at each rate ({buffers}; "
        "the collector asks for 8 MB)\n"
        f"    {'':14} {'sent at':>12} {'sent':>9} {'arrived':>9} {'lost':>9} "
        f"{'kernel':>9} {'spool':>9}\n"
        f"    {'':14} {'':>12} {'':>9} {'':>9} {'':>9} {'drops':>9} {'full':>9}"
    ):
        for rate in UDP_RATES:
            print(f"  {rate:,}/s")
            print(udp_row("rsyslog imudp", bench.rsyslog_udp(rate)))
            print(udp_row("watchkeeper", bench.ours_udp(rate)), flush=True)

    with section(
        f"4. Loading the spool of the {count:,} TCP messages (newline run) into a new store"
    ):
        imported = bench.import_file(count)
        loaded = bench.load(bench.work / "syslog-tcp-lines.spool")
        for name, figures in (
            ("import_paths, the same as a syslog file", imported),
            ("load_spool, spool to store", loaded),
        ):
            print(
                f"  {name:40} {figures['stored'] / figures['seconds']:>10,.0f} events/s "
                f"{figures['seconds']:7.2f} s  {figures['stored']:>10,} stored "
                f"({figures['distinct']:,} distinct, {figures['quarantined']:,} quarantined)"
                f"  peak {figures['peak_mb']:5.0f} MB",
                flush=True,
            )
        if loaded["stored"] != count or loaded["distinct"] != count:
            bench.problems.append(
                f"load: {count:,} spooled, {loaded['stored']:,} stored, "
                f"{loaded['distinct']:,} distinct"
            )

    with section(
        f"5. Memory of `watchkeeper collect --no-detect` over {args.minutes:g} min of "
        f"TCP at {args.rate:,}/s, loading into its store"
    ):
        memory = bench.memory_run(args.minutes, args.rate)
        print_memory(memory, bench)

    with section("6. From send to searchable, one message at a time over TCP"):
        latency = bench.latency(args.samples)
        yardstick_latency = bench.rsyslog_latency(args.samples)
        print(
            f"  {'rsyslog: until the line is in its file':48} "
            + (
                percentiles(yardstick_latency)
                if isinstance(yardstick_latency, list)
                else f"skipped: {yardstick_latency}"
            )
        )
        print(
            f"  {'watchkeeper collect: until a search finds it':48} "
            f"{percentiles(latency['service'])}"
        )
        print(
            f"  {'send test event (loads while it waits)':48} {percentiles(latency['test_event'])}"
        )
        print(
            "  bounds: a segment is sealed once it is 1 s old (checked every 0.1 s), and the "
            "service loads every 2 s;\n  the test event loads every 0.2 s while it waits, "
            "so only the sealing bounds it."
        )


def print_memory(memory: Figures, bench: Bench) -> None:
    samples: list[tuple[float, float, float]] = memory["samples"]
    sent, summary = memory["sent"], memory["summary"]
    rss = [mb for _, mb, _ in samples]
    print(
        f"  RSS: start {rss[0]:.0f} MB (listening, idle), peak {max(rss):.0f} MB sampled "
        f"({memory['peak_mb']:.0f} MB VmHWM, stopping included), end {rss[-1]:.0f} MB"
    )
    step = max(1, len(samples) // 12)
    print(
        "  RSS, spool backlog: "
        + ", ".join(f"{t:.0f} s {mb:.0f}/{backlog:.0f} MB" for t, mb, backlog in samples[::step])
    )
    achieved = sent["sent"] / (sent["end"] - sent["start"])
    print(
        f"  sent {sent['sent']:,} at {achieved:,.0f}/s; received {summary['received']:,}, "
        f"stored {summary['events']:,} events, {summary['quarantined']:,} quarantined; "
        f"store {memory['store_mb']:.0f} MB"
        + (f"; error: {summary['error']}" if summary.get("error") else "")
    )
    print(
        f"  stopping (SIGTERM: the last load) took {memory['stop_seconds']:.1f} s, with "
        f"{memory['backlog_mb']:.0f} MB still spooled"
    )
    if summary["events"] != sent["sent"] or summary["received"] != sent["sent"]:
        bench.problems.append(
            f"memory run: sent {sent['sent']:,}, received "
            f"{summary['received']:,}, stored {summary['events']:,}"
        )


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--role":
        ROLES[sys.argv[2]](json.loads(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--messages",
        type=int,
        default=1_000_000,
        help="messages per TCP, TLS and HTTP run (default 1,000,000)",
    )
    parser.add_argument(
        "--minutes", type=float, default=5.0, help="length of the memory run (default 5)"
    )
    parser.add_argument(
        "--rate",
        type=int,
        default=MEMORY_RATE,
        help=f"messages a second in the memory run (default {MEMORY_RATE:,})",
    )
    parser.add_argument(
        "--samples",
        type=int,
        default=20,
        help="messages timed from send to searchable (default 20)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="200,000 messages, a 30-second memory run, 10 samples"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        metavar="DIR",
        help="work in DIR and keep it (spools, stores, the children's log)",
    )
    args = parser.parse_args()
    if args.quick:
        args.messages, args.minutes, args.samples = 200_000, 0.5, 10
    if not Path("/proc/net/udp").exists():
        raise SystemExit("This benchmark reads /proc (Linux only).")
    cores = os.cpu_count()
    rsyslogd = find_rsyslogd()
    version = ""
    if rsyslogd:
        words = subprocess.run([rsyslogd, "-v"], capture_output=True, text=True).stdout.split()
        version = " ".join(words[:2])
    print(
        f"python {sys.version.split()[0]}, {cores} cores, load average "
        f"{os.getloadavg()[0]:.2f}; yardstick: "
        f"{version or 'rsyslogd not found, its rows are skipped'}"
    )
    with contextlib.ExitStack() as stack:
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            work = args.keep
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-collect-")))
        bench = Bench(work)
        started = time.monotonic()
        run(bench, args)
        print(
            f"\n{time.monotonic() - started:.0f} s in all; load average now "
            f"{os.getloadavg()[0]:.2f} (other work on the machine skews the figures)."
        )
        if bench.problems:
            print("PROBLEMS:\n  " + "\n  ".join(bench.problems))
            raise SystemExit(1)
        print("Nothing lost over TCP, TLS or HTTP; every spooled message stored once.")


if __name__ == "__main__":
    main()
