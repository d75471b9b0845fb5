"""The listeners with real sockets: what senders send ends up as events in a real store.

Clients here are Python sockets; tests/unit/collect/test_senders.py uses logger, rsyslog,
syslog-ng and curl. The helpers at the top are shared with that file.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import random
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from watchkeeper.collect import webhook
from watchkeeper.collect.listeners import (
    CollectError,
    Listeners,
    ListenerSettings,
    ListenerStats,
)
from watchkeeper.collect.loader import load_spool
from watchkeeper.collect.service import listener_settings
from watchkeeper.collect.spool import Spool
from watchkeeper.core import settings as settings_module
from watchkeeper.core.settings import Settings
from watchkeeper.storage.store import Store

LOCAL = "127.0.0.1"
TOKEN = "s3cret-token"


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(0.002)


def utc_now() -> datetime:
    """Now as the store keeps times: UTC without a zone."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Running:
    """Listeners serving on free ports, and the spool they feed."""

    listeners: Listeners
    spool: Spool
    folder: Path

    def address(self, name: str) -> tuple[str, int]:
        return self.listeners.addresses()[name]

    def stats(self) -> ListenerStats:
        return self.listeners.stats()

    def wait_received(self, name: str, count: int, timeout: float = 30.0) -> None:
        wait_until(
            lambda: self.stats().received[name] >= count,
            timeout,
            f"{count} messages on {name} (have {self.stats().received[name]})",
        )

    def wait_read(self, name: str, size: int) -> None:
        wait_until(lambda: self.stats().bytes[name] >= size, what=f"{size} bytes read on {name}")

    def stored(
        self, store: Store, columns: str = "host, message, received, transport"
    ) -> list[tuple[Any, ...]]:
        """Stop, seal what was spooled, load it into the store, and read the events back."""
        self.listeners.stop()
        self.spool.close()
        load_spool(store, self.folder)
        return store.fetch_all(f"SELECT {columns} FROM events ORDER BY import_id, record_no")


class Collectors:
    """Starts listeners, each on a free port, on spools in `folder`; stops them all at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[Running] = []

    def start(self, names: Iterable[str], spool: Spool | None = None, **settings: Any) -> Running:
        spool = spool or Spool(self.folder / f"spool-{len(self.started)}", segment_seconds=0.05)
        listeners = Listeners(ListenerSettings(ports=dict.fromkeys(names, 0), **settings), spool)
        listeners.start()
        running = Running(listeners, spool, spool.folder)
        self.started.append(running)
        return running

    def stop_all(self) -> None:
        for running in self.started:
            running.listeners.stop()
            running.spool.close()
        assert not [t for t in threading.enumerate() if t.name == "watchkeeper-listeners"]


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    collectors = Collectors(tmp_path)
    yield collectors.start
    collectors.stop_all()


@dataclass(frozen=True)
class TlsFiles:
    certificate: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.certificate, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.certificate))


def make_tls_files(folder: Path) -> TlsFiles:
    """A self-signed certificate for localhost, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed (it makes the test certificate)")
    files = TlsFiles(folder / "cert.pem", folder / "key.pem")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(files.key),
            "-out",
            str(files.certificate),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return files


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


def counted(message: bytes) -> bytes:
    """RFC 6587 octet counting as rsyslog does it: the count includes the trailing newline."""
    return b"%d %s" % (len(message), message)


def send(address: tuple[str, int], data: bytes) -> None:
    with socket.create_connection(address) as sender:
        sender.sendall(data)


def closed_by_server(sock: socket.socket, timeout: float = 5.0) -> bool:
    """True when the other end closed (or reset) the connection."""
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def line(number: int, text: str, host: str = "web01") -> bytes:
    return f"<13>May  1 10:00:{number % 60:02d} {host} app[42]: {text}\n".encode()


# -- syslog over UDP and TCP ---------------------------------------------------------------


def test_udp_datagrams_become_events_from_their_sender(
    collector: Callable[..., Running], store: Store
) -> None:
    running = collector(["syslog-udp"])
    before = utc_now()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for datagram in (
            line(1, "first"),
            line(2, "second").rstrip(b"\n") + b"\0",
            b"<13>1 2026-05-01T10:00:03Z web02 app - - - third",
        ):
            sender.sendto(datagram, running.address("syslog-udp"))
    running.wait_received("syslog-udp", 3)
    dropped = running.stats().udp_dropped  # what the system dropped on our socket
    assert dropped == 0 or (dropped is None and not Path("/proc/net/udp").exists())
    rows = running.stored(store, "host, message, received, transport, sender")
    assert [row[:2] for row in rows] == [
        ("web01", "first"),
        ("web01", "second"),
        ("web02", "third"),
    ]
    assert all(before - timedelta(seconds=1) <= row[2] <= utc_now() for row in rows)
    assert {row[3:] for row in rows} == {("udp", LOCAL)}


def test_tcp_lines_end_with_lf_crlf_or_nul(collector: Callable[..., Running], store: Store) -> None:
    running = collector(["syslog-tcp"])
    stream = (
        line(1, "one").replace(b"\n", b"\r\n")
        + line(2, "two")
        + line(3, "three").replace(b"\n", b"\0")
        + b"\n\n"
        + line(4, "four")
        + line(5, "five, its newline never sent").rstrip(b"\n")
    )
    send(running.address("syslog-tcp"), stream)
    # a device that sends no priority: its first byte is a digit, yet it is no octet count
    send(running.address("syslog-tcp"), b"2026-05-01T10:00:06Z web02 app: six\n")
    running.wait_received("syslog-tcp", 6)
    rows = running.stored(store)
    assert sorted(row[1] for row in rows) == sorted(
        ["one", "two", "three", "four", "five, its newline never sent", "six"]
    )
    assert {row[3] for row in rows} == {"tcp"}


def test_octet_counted_messages_count_their_newline_and_may_hold_newlines(
    collector: Callable[..., Running], store: Store
) -> None:
    running = collector(["syslog-tcp"])
    messages = [
        b"<13>1 2026-05-01T10:00:01Z web01 app 42 - - counted one\n",
        b"<13>1 2026-05-01T10:00:02Z web01 app 42 - - a stack trace:\n  at line 7\n",
        b"<13>1 2026-05-01T10:00:03Z web01 app 42 - - no newline counted",
    ]
    last = b"<13>1 2026-05-01T10:00:04Z web01 app 42 - - a newline sent but not counted"
    send(
        running.address("syslog-tcp"),
        b"".join(counted(m) for m in messages) + counted(last) + b"\n",
    )
    running.wait_received("syslog-tcp", 4)
    assert [row[1] for row in running.stored(store)] == [
        "counted one",
        "a stack trace:\n  at line 7",
        "no newline counted",
        "a newline sent but not counted",
    ]


def test_messages_split_between_reads_at_every_byte_arrive_whole(
    collector: Callable[..., Running], store: Store
) -> None:
    running = collector(["syslog-tcp"])
    address = running.address("syslog-tcp")
    expected: list[str] = []
    for framing in ("lines", "octets"):
        position = 1
        while True:
            texts = [f"{framing} split at {position} first", f"{framing} split at {position} last"]
            messages = [line(position, text) for text in texts]
            stream = b"".join(counted(m) if framing == "octets" else m for m in messages)
            if position >= len(stream):
                break
            with socket.create_connection(address) as sender:
                sender.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                first_read = running.stats().bytes["syslog-tcp"] + position
                sender.sendall(stream[:position])
                running.wait_read("syslog-tcp", first_read)  # the first piece on its own
                sender.sendall(stream[position:])
            expected += texts
            position += 1
    running.wait_received("syslog-tcp", len(expected))
    assert [row[1] for row in running.stored(store)] == expected


def test_an_over_long_message_is_rejected_and_the_next_one_still_arrives(
    collector: Callable[..., Running], store: Store
) -> None:
    running = collector(["syslog-tcp"])
    huge = b"<13>May  1 10:00:00 web01 app: " + b"x" * 300_000 + b"\n"
    with socket.create_connection(running.address("syslog-tcp")) as sender:
        sender.sendall(line(1, "before") + huge + line(2, "after the long line"))
        running.wait_received("syslog-tcp", 2)
        sender.sendall(line(3, "the connection is still open"))
        running.wait_received("syslog-tcp", 3)
    with socket.create_connection(running.address("syslog-tcp")) as sender:
        sender.sendall(
            counted(line(4, "counted before"))
            + counted(huge)
            + counted(line(5, "counted after the long one"))
        )
        running.wait_received("syslog-tcp", 5)
    assert running.stats().rejected == {LOCAL: 2}
    assert [row[1] for row in running.stored(store)] == [
        "before",
        "after the long line",
        "the connection is still open",
        "counted before",
        "counted after the long one",
    ]


def client_hello() -> bytes:
    """The first flight of a real TLS client."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname="x")
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    return outgoing.read()


def test_garbage_and_a_tls_hello_on_a_plain_port_are_counted_never_stored(
    collector: Callable[..., Running], store: Store
) -> None:
    running = collector(["syslog-tcp", "json-tcp"])
    with socket.create_connection(running.address("syslog-tcp")) as sender:
        sender.sendall(random.Random(7).randbytes(8192))
        sender.shutdown(socket.SHUT_WR)
        assert closed_by_server(sender)  # the listener read it all
    for name in ("syslog-tcp", "json-tcp"):
        with socket.create_connection(running.address(name)) as sender:
            sender.sendall(client_hello())
            assert closed_by_server(sender)
    assert running.stats().rejected[LOCAL] >= 20
    noise_passed = running.stats().received["syslog-tcp"]  # short runs of bytes, quarantined
    send(running.address("syslog-tcp"), line(1, "a good message after the noise"))
    running.wait_received("syslog-tcp", noise_passed + 1)
    assert [row[1] for row in running.stored(store)] == ["a good message after the noise"]
    assert running.stats().blocked == {}  # some noise is not yet a reason to refuse a sender


def test_a_sender_of_mostly_garbage_is_refused_for_ten_minutes(
    collector: Callable[..., Running], store: Store
) -> None:
    running = collector(["syslog-tcp", "syslog-udp"])
    address = running.address("syslog-tcp")
    garbage = b"\x01\x02\x03\x04 not text \x05\x06\x07\x08\n"
    with socket.create_connection(address) as sender:
        # a busy sender with some bad lines among many good ones is not refused
        sender.sendall(b"".join(line(n, f"good {n}") for n in range(300)) + garbage * 150)
        wait_until(lambda: running.stats().rejected.get(LOCAL, 0) == 150)
        assert running.stats().blocked == {}
        sender.sendall(garbage * 200)  # now most of what it sent this minute is garbage
        assert closed_by_server(sender)
    blocked = running.stats().blocked
    assert list(blocked) == [LOCAL]
    assert timedelta(minutes=9) < blocked[LOCAL] - datetime.now(UTC) <= timedelta(minutes=10)
    with socket.create_connection(address) as again:
        assert closed_by_server(again)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(line(1, "refused too"), running.address("syslog-udp"))
    assert running.stats().refused >= 1
    other = socket.socket()
    try:
        other.bind(("127.0.0.2", 0))  # another sender (Linux answers on all of 127/8)
    except OSError:
        other.close()
    else:
        with other:
            other.connect(address)
            other.sendall(line(2, "another sender is still heard"))
        running.wait_received("syslog-tcp", 301)
    messages = {row[1] for row in running.stored(store)}
    assert "refused too" not in messages and len(messages) == running.stats().received["syslog-tcp"]


# -- JSON lines over TCP -------------------------------------------------------------------


def test_json_lines_from_nxlog_and_fluent_bit_become_events(
    collector: Callable[..., Running], store: Store, fixtures: Path
) -> None:
    running = collector(["json-tcp"])
    nxlog = (fixtures / "nxlog" / "im_msvistalog.json").read_bytes().splitlines()[0]
    fluent_bit = b'{"date":1777629600.5,"host":"fb01","log":"disk full","level":"error"}'
    fluent_array = b'[{"host":"fb02","log":"one of two"},{"host":"fb02","log":"two of two"}]'
    send(running.address("json-tcp"), b"\n".join([nxlog, fluent_bit, fluent_array]) + b"\r\n")
    running.wait_received("json-tcp", 4)
    rows = running.stored(store, "host, message, event_id")
    assert rows[0][0] == "FS01.oakfield.local" and rows[0][2] == 4624
    assert [row[:2] for row in rows[1:]] == [
        ("fb01", "disk full"),
        ("fb02", "one of two"),
        ("fb02", "two of two"),
    ]


# -- HTTP ----------------------------------------------------------------------------------


def post(
    connection: http.client.HTTPConnection,
    body: bytes | Iterable[bytes],
    token: str | None = TOKEN,
    **headers: str,
) -> tuple[int, dict[str, Any]]:
    sent = {"Content-Type": "application/x-ndjson", **headers}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    chunked = not isinstance(body, bytes)
    connection.request("POST", "/", body=body, headers=sent, encode_chunked=chunked)
    response = connection.getresponse()
    return response.status, orjson.loads(response.read())


def test_http_takes_ndjson_arrays_gzip_and_chunked_bodies_behind_a_token(
    collector: Callable[..., Running], store: Store
) -> None:
    running = collector(["http"], http_token=TOKEN)
    connection = http.client.HTTPConnection(*running.address("http"), timeout=10)
    ndjson = b'{"host":"h1","message":"first"}\n{"host":"h1","message":"second"}\n'
    assert post(connection, ndjson) == (200, {"received": 2})
    array = orjson.dumps([{"host": "h2", "log": "from an array"}])
    assert post(connection, array, **{"Content-Type": "application/json"}) == (200, {"received": 1})
    packed = gzip.compress(b'{"host":"h3","message":"gzipped"}\n')
    assert post(connection, packed, **{"Content-Encoding": "gzip"}) == (200, {"received": 1})
    pieces = [b'{"host":"h4",', b'"message":"chunked"}\n']
    assert post(connection, iter(pieces)) == (200, {"received": 1})
    assert running.stats().connections["http"] == 1  # one connection, kept alive throughout
    rows = running.stored(store)
    assert [row[:2] for row in rows] == [
        ("h1", "first"),
        ("h1", "second"),
        ("h2", "from an array"),
        ("h3", "gzipped"),
        ("h4", "chunked"),
    ]
    assert {row[3] for row in rows} == {"http"}


def test_http_refuses_a_wrong_token_bad_json_and_a_body_without_length(
    collector: Callable[..., Running], store: Store
) -> None:
    running = collector(["http"], http_token=TOKEN)
    address = running.address("http")
    connection = http.client.HTTPConnection(*address, timeout=10)
    body = b'{"host":"h1","message":"not with that token"}\n'
    assert post(connection, body, token="guess")[0] == 401
    assert post(connection, body, token=None)[0] == 401
    status, answer = post(connection, b'{"host":"h1","message":"good"}\n{"host": oops}\n')
    assert status == 400 and "line 2" in answer["error"]
    assert post(connection, b'{"host":"h1","message":"kept"}\n') == (200, {"received": 1})
    with socket.create_connection(address) as raw:
        raw.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode())
        assert raw.makefile("rb").readline().startswith(b"HTTP/1.1 411 ")
    with socket.create_connection(address) as raw:
        raw.sendall(
            f"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Content-Length: 999999999\r\n\r\n".encode()
        )
        assert raw.makefile("rb").readline().startswith(b"HTTP/1.1 413 ")
    # a bad body is refused whole: a sender that fixes it and resends duplicates nothing
    assert [row[1] for row in running.stored(store)] == ["kept"]
    assert running.stats().rejected == {LOCAL: 4}


def head(*fields: str) -> bytes:
    """A POST's head with the token, then `fields`, as raw bytes."""
    lines = ["POST / HTTP/1.1", "Host: x", f"Authorization: Bearer {TOKEN}", *fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


FRAMED = b'{"host":"s1","message":"framed one way"}\n'
SMUGGLED = b'{"host":"s2","message":"smuggled"}\n'
# what a server that reads the first request's framing wrongly takes for a second request
NEXT = head(f"Content-Length: {len(SMUGGLED)}") + SMUGGLED


@pytest.mark.parametrize(
    ("request_bytes", "half_close"),
    [
        pytest.param(
            head(f"Content-Length: {len(chunk(FRAMED))}", "Transfer-Encoding: chunked")
            + chunk(FRAMED)
            + b"0\r\n\r\n"
            + NEXT,
            False,
            id="content-length-and-chunked",
        ),
        pytest.param(
            head(f"Content-Length: {len(FRAMED)}", "Content-Length: 0") + FRAMED + NEXT,
            False,
            id="two-content-lengths",
        ),
        pytest.param(
            head(f"Content-Length: {len(FRAMED)}", "X-Note: first", " and folded") + FRAMED + NEXT,
            False,
            id="folded-header",
        ),
        pytest.param(
            head("Transfer-Encoding:", " chunked", f"Content-Length: {len(FRAMED)}")
            + FRAMED
            + NEXT,
            False,
            id="folded-transfer-encoding",
        ),
        pytest.param(
            head(f"Content-Length: {len(FRAMED)}").replace(b"Host: x\r\n", b"Host: x\n")
            + FRAMED
            + NEXT,
            False,
            id="bare-line-feed",
        ),
        pytest.param(
            head("Transfer-Encoding: chunked")
            + b"1"
            + b"0" * 24
            + b"\r\n"
            + FRAMED
            + b"\r\n0\r\n\r\n"
            + NEXT,
            False,
            id="chunk-size-of-25-digits",
        ),
        # 2**64 + 1: a parser that keeps sizes in 64 bits reads a chunk of 1 byte
        pytest.param(
            head("Transfer-Encoding: chunked") + b"10000000000000001\r\n{\r\n0\r\n\r\n" + NEXT,
            True,
            id="chunk-size-over-64-bits",
        ),
    ],
)
def test_http_refuses_requests_framed_two_ways_and_keeps_nothing_of_them(
    collector: Callable[..., Running], store: Store, request_bytes: bytes, half_close: bool
) -> None:
    running = collector(["http"], http_token=TOKEN)
    with socket.create_connection(running.address("http"), timeout=10) as raw:
        raw.sendall(request_bytes)
        if half_close:  # the request never ends: the sender stops sending
            raw.shutdown(socket.SHUT_WR)
        answer = raw.makefile("rb").read()
    head_bytes, _, body = answer.partition(b"\r\n\r\n")
    status_line, *fields = head_bytes.decode().split("\r\n")
    assert status_line.startswith("HTTP/1.1 400 "), answer
    assert "Connection: close" in fields
    assert len(body) == int(dict(f.split(": ", 1) for f in fields)["Content-Length"])  # no more
    assert running.stats().rejected == {LOCAL: 1}
    assert running.stored(store, "message") == []


def test_http_answers_an_over_long_head_431_and_an_over_long_chunked_body_413(
    collector: Callable[..., Running], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhook, "MAX_BODY_BYTES", 1000)
    running = collector(["http"], http_token=TOKEN)
    address = running.address("http")
    with socket.create_connection(address, timeout=10) as raw:
        line = b'{"host":"s1","message":"%s"}\n' % (b"x" * 600)
        raw.sendall(head("Transfer-Encoding: chunked") + chunk(line) + chunk(line))
        assert raw.makefile("rb").readline().startswith(b"HTTP/1.1 413 ")
    with socket.create_connection(address, timeout=10) as raw:  # sent in one piece
        raw.sendall(head(f"Content-Length: {len(FRAMED)}", "X-Pad: " + "x" * 20_000) + FRAMED)
        assert raw.makefile("rb").readline().startswith(b"HTTP/1.1 431 ")
    assert running.stats().rejected == {LOCAL: 2}
    assert running.stored(store, "message") == []


# -- TLS -----------------------------------------------------------------------------------


def test_tls_listeners_take_syslog_and_json_and_refuse_plain_text(
    collector: Callable[..., Running], store: Store, tls_files: TlsFiles
) -> None:
    running = collector(["syslog-tls", "json-tls"], tls=tls_files.server_context())
    client = tls_files.client_context()
    with socket.create_connection(running.address("syslog-tls")) as plain:
        plain.sendall(line(1, "plain text on the TLS port"))
        assert closed_by_server(plain)
    wait_until(lambda: running.stats().rejected.get(LOCAL) == 1)
    # each client waits for the listener before it closes: closing with the server's session
    # tickets unread makes the client's system reset the connection, losing what is in flight
    with (
        socket.create_connection(running.address("syslog-tls")) as raw,
        client.wrap_socket(raw, server_hostname="localhost") as secured,
    ):
        assert secured.version() in ("TLSv1.2", "TLSv1.3")
        secured.sendall(counted(b"<13>1 2026-05-01T10:00:01Z web01 app - - - over TLS\n"))
        secured.sendall(line(2, "a line after a counted one"))
        running.wait_received("syslog-tls", 2)
    with (
        socket.create_connection(running.address("json-tls")) as raw,
        client.wrap_socket(raw, server_hostname="localhost") as secured,
    ):
        secured.sendall(b'{"host":"j1","message":"JSON over TLS"}\n')
        running.wait_received("json-tls", 1)
    rows = running.stored(store)
    assert sorted(row[1] for row in rows) == [
        "JSON over TLS",
        "a line after a counted one",
        "over TLS",
    ]
    assert {row[3] for row in rows} == {"tls"}


# -- limits, errors, backpressure ----------------------------------------------------------


def test_connections_over_the_limit_are_turned_away(
    collector: Callable[..., Running], store: Store
) -> None:
    running = collector(["syslog-tcp"], max_connections=2)
    address = running.address("syslog-tcp")
    first, second = socket.create_connection(address), socket.create_connection(address)
    wait_until(lambda: running.stats().connections["syslog-tcp"] == 2)
    with socket.create_connection(address) as third:
        assert closed_by_server(third)
    assert running.stats().refused == 1
    first.close()
    wait_until(lambda: running.stats().connections["syslog-tcp"] == 1)
    send(address, line(1, "a place was free again"))
    second.close()
    running.wait_received("syslog-tcp", 1)
    assert [row[1] for row in running.stored(store)] == ["a place was free again"]


def test_a_port_in_use_is_named_in_a_clear_error(
    collector: Callable[..., Running], tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind((LOCAL, 0))
        taken.listen()
        port = taken.getsockname()[1]
        listeners = Listeners(
            ListenerSettings(ports={"syslog-udp": 0, "syslog-tcp": port}), Spool(tmp_path / "spool")
        )
        with pytest.raises(CollectError) as raised:
            listeners.start()
    assert raised.value.title == "Listener not started"
    assert str(raised.value) == (
        f"syslog-tcp: TCP port {port} on {LOCAL} is already in use "
        "by another program; choose another port or stop that program"
    )
    assert listeners.addresses() == {} or not listeners.stats().connections["syslog-tcp"]
    # nothing was left listening: the port can be used at once
    assert (
        collector(
            ["syslog-tcp"],
        ).address("syslog-tcp")[1]
        != 0
    )
    with socket.socket() as free_again:
        free_again.bind((LOCAL, port))


def test_stop_frees_the_ports_for_a_restart(
    collector: Callable[..., Running], tmp_path: Path, store: Store
) -> None:
    first = collector(["syslog-tcp", "syslog-udp"])
    tcp, udp = first.address("syslog-tcp"), first.address("syslog-udp")
    first.listeners.stop()
    again = Listeners(
        ListenerSettings(ports={"syslog-tcp": tcp[1], "syslog-udp": udp[1]}), first.spool
    )
    again.start()
    try:
        send(tcp, line(1, "after the restart"))
        wait_until(lambda: again.stats().received["syslog-tcp"] == 1)
    finally:
        again.stop()
    assert [row[1] for row in first.stored(store)] == ["after the restart"]


LOADER = """
import sys, time
from pathlib import Path
from watchkeeper.collect.loader import load_spool
from watchkeeper.storage.store import Store

with Store(Path(sys.argv[1])) as store:
    deadline = time.monotonic() + 300  # guards a hang, not the speed
    while store.fetch_one("SELECT count(*) FROM events") != (int(sys.argv[3]),):
        if time.monotonic() > deadline:
            sys.exit("the spool did not drain")
        load_spool(store, Path(sys.argv[2]))
        time.sleep(0.02)
"""


@pytest.mark.slow
def test_a_full_spool_slows_the_sender_and_nothing_is_lost(
    collector: Callable[..., Running], tmp_path: Path
) -> None:
    spool = Spool(
        tmp_path / "small-spool",
        segment_bytes=256 * 1024,
        segment_seconds=0.05,
        budget_bytes=512 * 1024,
    )
    running = collector(["syslog-tcp"], spool=spool)
    total = 60_000
    payload = b"".join(line(n, f"message {n:06d} " + "x" * 230) for n in range(total))
    sender = socket.create_connection(running.address("syslog-tcp"))
    sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    sending = threading.Thread(target=sender.sendall, args=(payload,), daemon=True)
    sending.start()
    wait_until(lambda: running.stats().paused, what="reading to pause")
    # paused: the listener reads no more, the buffers fill and the sender's send() blocks
    received = running.stats().received["syslog-tcp"]
    time.sleep(0.3)  # a stretch in which nothing may be read
    assert running.stats().received["syslog-tcp"] == received < total
    assert sending.is_alive()
    # the store's owner (here another process, as the app is beside a headless collector)
    # drains the spool; reading resumes each time it is under its budget again
    database = tmp_path / "owner.duckdb"
    loader = subprocess.run(
        [sys.executable, "-c", LOADER, str(database), str(spool.folder), str(total)],
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert loader.returncode == 0, loader.stderr
    sending.join(5)
    sender.close()
    with Store(database) as store:
        assert store.fetch_one("SELECT count(*), count(DISTINCT message) FROM events") == (
            total,
            total,
        )


# -- senders that hold connections, flood, or go quiet ------------------------------------

OTHER = "127.0.0.2"  # another sender on this machine: loopback is 127.0.0.0/8 on Linux


def connect_from(source: str, address: tuple[str, int]) -> socket.socket:
    try:
        return socket.create_connection(address, timeout=10, source_address=(source, 0))
    except OSError as error:  # macOS and Windows route only 127.0.0.1 unless told otherwise
        pytest.skip(f"cannot send from {source} on this system: {error}")


def test_one_sender_holding_connections_leaves_room_for_the_others(
    collector: Callable[..., Running], store: Store
) -> None:
    running = collector(["syslog-tcp", "json-tcp"])
    address = running.address("syslog-tcp")
    limit = ListenerSettings(ports={}).max_connections
    held = [connect_from(OTHER, address) for _ in range(limit + 10)]
    try:
        wait_until(
            lambda: running.stats().refused >= 10, what="the flood's extra connections refused"
        )
        # the good sender gets in on both listeners while the other holds everything it may
        send(address, line(1, "through the syslog listener"))
        send(running.address("json-tcp"), b'{"message": "through the json listener"}\n')
        running.wait_received("syslog-tcp", 1)
        running.wait_received("json-tcp", 1)
        # the flooding sender holds no more than its share (once the good sender's own
        # connections, which the count includes, have closed)
        share = ListenerSettings(ports={}).max_connections_per_sender
        wait_until(
            lambda: sum(running.stats().connections.values()) <= share,
            what=f"the connections held to come down to one sender's share ({share})",
        )
    finally:
        for sock in held:
            sock.close()
    assert sorted(row[1] for row in running.stored(store)) == [
        "through the json listener",
        "through the syslog listener",
    ]


def test_a_full_pool_makes_room_for_a_new_sender_by_closing_a_big_holder_idle_connection(
    collector: Callable[..., Running], store: Store
) -> None:
    running = collector(["syslog-tcp"], max_connections=4, max_connections_per_sender=4)
    address = running.address("syslog-tcp")
    held = [connect_from(OTHER, address) for _ in range(4)]
    try:
        wait_until(lambda: running.stats().connections["syslog-tcp"] == 4)
        send(address, line(1, "a newcomer while the pool is full"))
        running.wait_received("syslog-tcp", 1)
        assert sum(closed_by_server(sock, timeout=0.2) for sock in held) == 1
    finally:
        for sock in held:
            sock.close()
    assert [row[1] for row in running.stored(store)] == ["a newcomer while the pool is full"]


@pytest.mark.parametrize("name", ["syslog-tcp", "json-tcp"])
def test_a_quiet_connection_is_closed_after_the_idle_time_and_what_it_sent_is_kept(
    collector: Callable[..., Running], store: Store, name: str
) -> None:
    assert ListenerSettings(ports={}).idle_seconds is not None
    running = collector([name], idle_seconds=0.5)
    message = line(1, "then silence") if name == "syslog-tcp" else b'{"message": "then silence"}\n'
    with (
        socket.create_connection(running.address(name)) as silent,
        socket.create_connection(running.address(name)) as talker,
    ):
        talker.sendall(message)
        running.wait_received(name, 1)
        assert closed_by_server(silent, timeout=5)
        assert closed_by_server(talker, timeout=5)
    wait_until(lambda: running.stats().connections[name] == 0)
    assert [row[1] for row in running.stored(store)] == ["then silence"]


def test_a_burst_of_connects_from_one_sender_costs_a_good_sender_nothing(
    collector: Callable[..., Running], store: Store
) -> None:
    running = collector(["syslog-tcp"])
    address = running.address("syslog-tcp")
    steady = socket.create_connection(address, timeout=10)
    burst = 3000
    opened: list[socket.socket] = []
    flooding = threading.Event()

    def flood() -> None:
        flooding.set()
        for _ in range(burst):
            with contextlib.suppress(OSError):  # a refused connect is what a flood may get
                opened.append(
                    socket.create_connection(address, timeout=10, source_address=(OTHER, 0))
                )

    connect_from(OTHER, address).close()
    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    flooding.wait(5)
    sent = 0
    try:
        # a steady sender on its connection, and a sender that connects once per message
        # (as `logger --tcp` run from a script does), while the flood goes on
        deadline = time.monotonic() + 60
        while flooder.is_alive() and sent < 2000 and time.monotonic() < deadline:
            steady.sendall(line(sent, f"steady {sent:04d}"))
            send(address, line(sent, f"one-shot {sent:04d}"))
            sent += 1
            time.sleep(0.005)
        flooder.join(60)
        assert not flooder.is_alive()
        steady.sendall(line(sent, "after the burst"))
        steady.close()
        running.wait_received("syslog-tcp", 2 * sent + 1, timeout=30)
    finally:
        for sock in opened:
            sock.close()
    messages = [row[1] for row in running.stored(store)]
    assert len(messages) == len(set(messages)) == 2 * sent + 1
    assert running.stats().refused >= burst - 64


def test_the_limits_per_sender_and_the_idle_time_are_settings_with_sound_fallbacks(
    tmp_path: Path,
) -> None:
    chosen = listener_settings(
        Settings(connections_per_sender=4, connection_idle_seconds=30), {"syslog-tcp": 0}
    )
    assert (chosen.max_connections_per_sender, chosen.idle_seconds) == (4, 30)
    saved = tmp_path / "settings.json"
    saved.write_text(
        orjson.dumps({"connections_per_sender": 0, "connection_idle_seconds": "never"}).decode()
    )
    loaded = settings_module.load(saved)
    defaults = ListenerSettings(ports={})
    assert (loaded.connections_per_sender, loaded.connection_idle_seconds) == (
        defaults.max_connections_per_sender,
        defaults.idle_seconds,
    )
