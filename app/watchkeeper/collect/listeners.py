"""The listeners: syslog over UDP, TCP and TLS, JSON lines over TCP and TLS, JSON over HTTP.

One asyncio loop on a daemon thread serves them all. What it receives goes to the spool in
batches, one per piece read from a socket; the listeners never touch the store. When the
spool is over its budget, TCP, TLS and HTTP connections stop reading, so senders are slowed
by TCP itself and nothing is lost; UDP cannot be slowed, so what it drops is counted.

Everything a sender sends is hostile input: an over-long or binary message is dropped and
counted against its sender, a sender whose messages are mostly rejected is refused for ten
minutes, and nothing a sender does raises out of the loop.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from watchkeeper.collect.connections import LISTENER_KINDS, Link, StreamConnection, Tally
from watchkeeper.collect.sockets import UdpReceiver, bind_socket, udp_drops
from watchkeeper.collect.spool import Received, Spool
from watchkeeper.collect.webhook import HttpConnection
from watchkeeper.core.disk import disk_full_sentence, is_disk_full
from watchkeeper.core.errors import CollectError
from watchkeeper.core.settings import CONNECTION_IDLE_SECONDS, CONNECTIONS_PER_SENDER

__all__ = ["LISTENER_KINDS", "CollectError", "ListenerSettings", "ListenerStats", "Listeners"]

log = logging.getLogger(__name__)

TICK_SECONDS = 0.1  # the spool's timer, backpressure and the peer rules run this often
DRAIN_SECONDS = 1.0  # on stop, for connections to deliver what they sent
BACKLOG = 1024  # connects waiting to be accepted: a burst must not crowd out other senders


@dataclass
class ListenerSettings:
    ports: dict[str, int]  # listener name (see LISTENER_KINDS) -> port; 0 picks a free one
    bind: str = "127.0.0.1"  # "0.0.0.0" or "::" only when the user turned the network on
    tls: ssl.SSLContext | None = None  # needed by syslog-tls and json-tls
    http_token: str | None = None  # the bearer token the http listener requires
    max_message_bytes: int = 256 * 1024  # a longer message is rejected and counted
    max_connections: int = 256  # TCP, TLS and HTTP together
    # one address may hold this many of them, so a flood from one cannot lock the others out
    max_connections_per_sender: int = CONNECTIONS_PER_SENDER
    # a connection that sends nothing for this long is closed (a sender reconnects when it
    # has something to say); HTTP's kept-alive connections close sooner (collect/webhook.py)
    idle_seconds: float = CONNECTION_IDLE_SECONDS


@dataclass(frozen=True)
class ListenerStats:
    received: dict[str, int]  # messages spooled, per listener
    bytes: dict[str, int]  # bytes read, per listener
    connections: dict[str, int]  # open connections, per listener
    rejected: dict[str, int]  # messages or requests refused (too long, garbage), per peer
    blocked: dict[str, datetime]  # peers refused until then (UTC)
    udp_dropped: int | None  # datagrams the system dropped on our UDP socket; None: unknown
    refused: int = 0  # connections turned away: too many, or from a blocked peer
    discarded: int = 0  # UDP messages dropped because the spool was full or failing
    paused: bool = False  # reading is paused: the spool is over its budget
    spool_problem: str = ""  # why the spool takes nothing now (a full disk); "" when it does


class Listeners:
    """The listeners of one collector, served on an asyncio loop in a daemon thread."""

    def __init__(self, settings: ListenerSettings, spool: Spool) -> None:
        self.settings = settings
        self.spool = spool
        self.tally = Tally(settings.ports)
        self.paused = False  # the spool is over its budget: connections are not read
        self._links: set[Link] = set()
        self._per_sender: dict[str, int] = {}  # peer -> connections it holds
        self._sockets: dict[str, socket.socket] = {}
        self._addresses: dict[str, tuple[str, int]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self.spool_problem = ""  # set while the spool fails (a full disk), in one sentence
        self._ticks = 0

    # -- the caller's thread ------------------------------------------------------------

    def start(self) -> None:
        """Bind every listener, then serve; returns once all are listening."""
        if self._thread is not None:
            raise CollectError("The listeners are already running.")
        self._check_settings()
        try:
            for name, port in self.settings.ports.items():
                sock = self._sockets[name] = bind_socket(name, self.settings.bind, port)
                host, bound_port = sock.getsockname()[:2]
                self._addresses[name] = (str(host), int(bound_port))
        except CollectError:
            self._close_sockets()
            raise
        self._loop = asyncio.SelectorEventLoop()  # add_reader for UDP bursts, on every OS
        self._loop.set_exception_handler(_log_loop_error)
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run, args=(ready, failure), name="watchkeeper-listeners", daemon=True
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            self._close_sockets()
            raise CollectError(f"The listeners could not start: {failure[0]}")

    def stop(self) -> None:
        """Close every listener and connection and end the thread (the spool stays open)."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        if thread.is_alive() and not loop.is_closed():
            loop.call_soon_threadsafe(self._shutdown)
        thread.join()
        self._thread = None
        self._close_sockets()

    def addresses(self) -> dict[str, tuple[str, int]]:
        return dict(self._addresses)

    def stats(self) -> ListenerStats:
        tally = self.tally
        now_mono, now = time.monotonic(), datetime.now(UTC)
        udp = self._sockets.get("syslog-udp")
        dropped = udp_drops(udp) if udp is not None and udp.fileno() >= 0 else None
        with tally.lock:
            return ListenerStats(
                received=dict(tally.received),
                bytes=dict(tally.bytes),
                connections=dict(tally.connections),
                rejected=dict(tally.rejected),
                blocked={
                    peer: now + timedelta(seconds=until - now_mono)
                    for peer, until in tally.blocked.items()
                },
                udp_dropped=dropped,
                refused=tally.refused,
                discarded=tally.discarded,
                paused=self.paused,
                spool_problem=self.spool_problem,
            )

    def _check_settings(self) -> None:
        for name in self.settings.ports:
            if name not in LISTENER_KINDS:
                raise CollectError(f"There is no listener called {name!r}.")
            if LISTENER_KINDS[name][0] == "tls" and self.settings.tls is None:
                raise CollectError(f"{name}: TLS needs a certificate and its key")
        if "http" in self.settings.ports and not self.settings.http_token:
            raise CollectError("http: the HTTP listener needs a token for senders to present")

    def _close_sockets(self) -> None:
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()

    # -- the loop's thread --------------------------------------------------------------

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as error:  # reported by start() in the caller's thread
            failure.append(error)
            for server in self._servers:
                server.close()
            self._servers.clear()
            loop.close()
            ready.set()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        for name, sock in self._sockets.items():
            transport = LISTENER_KINDS[name][0]
            if transport == "udp":
                loop.add_reader(sock.fileno(), UdpReceiver(self, name, sock).read)
                continue
            factory = _factory(self, name)
            self._servers.append(await loop.create_server(factory, sock=sock, backlog=BACKLOG))
        self._timer = loop.call_later(TICK_SECONDS, self._tick)

    def _shutdown(self) -> None:
        """Stop taking connections and datagrams, read what senders already sent, then close.

        A sender that closed its end leaves its last messages in our socket buffer; they are
        read (for up to DRAIN_SECONDS) rather than thrown away with the connection.
        """
        loop = self._loop
        assert loop is not None
        for server in self._servers:
            server.close()
        self._servers.clear()
        for name, sock in self._sockets.items():
            if LISTENER_KINDS[name][0] == "udp":
                loop.remove_reader(sock.fileno())
        deadline = loop.time() + DRAIN_SECONDS

        def finish() -> None:
            if self._links and loop.time() < deadline:
                loop.call_later(0.02, finish)
                return
            if self._timer is not None:
                self._timer.cancel()
            for link in list(self._links):
                link.close()
            loop.stop()

        finish()

    def admit(self, link: Link) -> bool:
        """Take a new connection, or turn it away.

        Turned away: a blocked peer, a peer holding its share already, or a full pool in
        which no other peer holds more than the newcomer would. When the pool is full and
        some peer holds more, that peer's quietest connection is closed to make room, so a
        sender with few connections always gets in however many another one opens.
        """
        assert link.transport is not None
        settings = self.settings
        holding = self._per_sender.get(link.peer, 0)
        admitted = not self.tally.is_blocked(link.peer) and (
            holding < settings.max_connections_per_sender
        )
        if admitted and len(self._links) >= settings.max_connections:
            admitted = self._make_room(link.peer, holding)
        if not admitted:
            with self.tally.lock:
                self.tally.refused += 1
            link.transport.abort()
            return False
        self._links.add(link)
        self._per_sender[link.peer] = holding + 1
        with self.tally.lock:
            self.tally.connections[link.name] += 1
        return True

    def _make_room(self, newcomer: str, holding: int) -> bool:
        """Close the quietest connection of the biggest holder, if it holds more than
        `newcomer` would; whether there is room now."""
        biggest = max(self._per_sender, key=self._per_sender.__getitem__, default=None)
        if biggest is None or biggest == newcomer or self._per_sender[biggest] <= holding + 1:
            return False
        quietest = min(
            (link for link in self._links if link.peer == biggest and not link.holds_unread),
            key=lambda link: link.last_active,
            default=None,
        )
        if quietest is None:
            return False
        log.info(
            "closed a quiet connection of %s (it holds %d) to let %s in",
            biggest,
            self._per_sender[biggest],
            newcomer,
        )
        quietest.admitted = False
        self.forget(quietest)
        quietest.close()
        return True

    def forget(self, link: Link) -> None:
        self._links.discard(link)
        left = self._per_sender.get(link.peer, 0) - 1
        if left > 0:
            self._per_sender[link.peer] = left
        else:
            self._per_sender.pop(link.peer, None)
        with self.tally.lock:
            self.tally.connections[link.name] -= 1

    def close_peer(self, peer: str) -> None:
        for link in [link for link in self._links if link.peer == peer]:
            link.close()

    def start_task(self, coroutine: Coroutine[Any, Any, None]) -> None:
        assert self._loop is not None
        task = self._loop.create_task(coroutine)
        self._tasks.add(task)  # held, or the loop might forget a task that is running
        task.add_done_callback(self._tasks.discard)

    def call_later(self, seconds: float, callback: Callable[[], None]) -> None:
        assert self._loop is not None
        self._loop.call_later(seconds, callback)

    def append(self, batch: list[Received]) -> bool:
        """Spool a batch; False when the spool failed (a full disk), which is logged.

        The spool takes a batch whole or not at all, so a refused batch is offered again
        (TCP, TLS, HTTP: reading waits) or counted as discarded (UDP).
        """
        try:
            self.spool.append(batch)
        except OSError as error:
            if not self.spool_problem:
                log.error("the spool cannot take messages: %s", error)
            self.spool_problem = (
                disk_full_sentence(
                    self.spool.folder,
                    "senders are held back (UDP messages "
                    "are dropped) until it takes messages again",
                )
                if is_disk_full(error)
                else f"The spool cannot take messages ({error.strerror or error})."
            )
            return False
        if self.spool_problem:
            log.warning("the spool takes messages again")
        self.spool_problem = ""
        return True

    def after_append(self) -> None:
        if self.spool.full and not self.paused:
            self._pause_all()

    def _pause_all(self) -> None:
        self.paused = True
        for link in self._links:
            link.pause()

    def _tick(self) -> None:
        try:
            self.spool.tick()
        except OSError as error:
            log.error("the spool cannot seal a segment: %s", error)
        try:
            for link in [link for link in self._links if link.pending]:
                link.retry()
            full = self.spool.full
            if full and not self.paused:
                self._pause_all()
            elif not full and self.paused:
                self.paused = False
                for link in list(self._links):
                    link.resume()
            self._ticks += 1
            if self._ticks % 10 == 0:  # once a second
                self.tally.expire()
                self._close_idle(time.monotonic())
        except Exception:
            log.exception("the listeners' timer failed")
        finally:
            assert self._loop is not None
            if self._loop.is_running():
                self._timer = self._loop.call_later(TICK_SECONDS, self._tick)

    def _close_idle(self, now: float) -> None:
        """Close connections that sent nothing for their idle time (what they sent is kept)."""
        for link in [link for link in self._links if not link.holds_unread]:
            limit = self.settings.idle_seconds
            if link.idle_seconds is not None:
                limit = min(limit, link.idle_seconds)
            if now - link.last_active > limit:
                link.close()


def _factory(owner: Listeners, name: str) -> Callable[[], Link]:
    if name == "http":
        return lambda: HttpConnection(owner, name)
    return lambda: StreamConnection(owner, name)


def _log_loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
    """asyncio's reports of errors it caught (a peer resetting mid-write, ...), to our log."""
    error = context.get("exception")
    log.info(
        "listener: %s",
        context.get("message"),
        exc_info=error if isinstance(error, BaseException) else None,
    )
