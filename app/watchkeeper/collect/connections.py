"""Connections of the TCP listeners, and the counters and rules that apply to every sender.

A `Link` is one accepted connection: it is admitted or turned away, paused while the spool is
over its budget, and hands batches to the spool. `StreamConnection` is syslog or JSON lines
over TCP or TLS; the HTTP listener's connection is in collect/webhook.py.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from watchkeeper.collect.framing import Frames, LineFramer, SyslogFramer, looks_like_tls
from watchkeeper.collect.spool import Received

if TYPE_CHECKING:
    from watchkeeper.collect.listeners import Listeners

log = logging.getLogger(__name__)

# listener name -> (transport, kind of message)
LISTENER_KINDS: dict[str, tuple[str, str]] = {
    "syslog-udp": ("udp", "syslog"),
    "syslog-tcp": ("tcp", "syslog"),
    "syslog-tls": ("tls", "syslog"),
    "json-tcp": ("tcp", "json"),
    "json-tls": ("tls", "json"),
    "http": ("http", "json"),
}
BLOCK_AFTER = 100  # rejected messages within a window that get a peer blocked ...
WINDOW_SECONDS = 60.0  # ... when they are also most of what it sent in that window
BLOCK_SECONDS = 600.0
MAX_PEERS = 10_000  # peers counted one by one; any more are counted together as "other"
HANDSHAKE_SECONDS = 10.0


@dataclass
class _Window:
    start: float
    accepted: int = 0
    rejected: int = 0


class Tally:
    """Counters and the peer rules. Changed only on the loop's thread; read under the lock."""

    def __init__(self, names: Iterable[str]) -> None:
        self.lock = threading.Lock()
        self.received = dict.fromkeys(names, 0)
        self.bytes = dict.fromkeys(self.received, 0)
        self.connections = dict.fromkeys(self.received, 0)
        self.rejected: dict[str, int] = {}
        self.blocked: dict[str, float] = {}  # peer -> time.monotonic() it is let in again
        self.refused = 0
        self.discarded = 0
        self._windows: dict[str, _Window] = {}

    def accepted(self, name: str, peer: str, messages: int, size: int) -> None:
        now = time.monotonic()
        with self.lock:
            self.received[name] += messages
            self.bytes[name] += size
            self._window(peer, now).accepted += messages

    def reject(self, peer: str, count: int = 1) -> bool:
        """Count rejected messages from `peer`; True when that gets it blocked."""
        now = time.monotonic()
        with self.lock:
            key = peer if peer in self.rejected or len(self.rejected) < MAX_PEERS else "other"
            self.rejected[key] = self.rejected.get(key, 0) + count
            window = self._window(peer, now)
            window.rejected += count
            if window.rejected < BLOCK_AFTER or window.rejected <= window.accepted:
                return False
            self.blocked[peer] = now + BLOCK_SECONDS
            del self._windows[peer]
        log.warning(
            "refusing %s for %d minutes: %d of its messages in a minute were rejected",
            peer,
            BLOCK_SECONDS // 60,
            window.rejected,
        )
        return True

    def is_blocked(self, peer: str) -> bool:
        return peer in self.blocked

    def expire(self) -> None:
        """Let blocked peers in again when their time is up; forget old windows."""
        now = time.monotonic()
        with self.lock:
            for peer in [p for p, until in self.blocked.items() if until <= now]:
                del self.blocked[peer]
            for peer in [p for p, w in self._windows.items() if now - w.start > WINDOW_SECONDS]:
                del self._windows[peer]

    def _window(self, peer: str, now: float) -> _Window:
        window = self._windows.get(peer)
        if window is None or now - window.start > WINDOW_SECONDS:
            if len(self._windows) >= MAX_PEERS:
                self._windows.clear()
            window = self._windows[peer] = _Window(now)
        return window


def peer_host(address: object) -> str:
    """The sender's address without its port; an IPv4 address mapped into IPv6 unwrapped."""
    if not isinstance(address, tuple) or not address:
        return "unknown"
    host = str(address[0])
    return host[7:] if host.startswith("::ffff:") and "." in host else host


class Link(asyncio.Protocol):
    """A connection of any TCP listener: admission, pausing, and delivery to the spool."""

    idle_seconds: float | None = None  # closed sooner than the listeners' idle time; None: not

    def __init__(self, owner: Listeners, name: str) -> None:
        self.owner = owner
        self.name = name
        self.transport: asyncio.Transport | None = None
        self.peer = "unknown"
        self.pending: list[Received] = []  # a batch the spool could not take yet
        self.last_active = time.monotonic()
        self.admitted = False
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.peer = peer_host(transport.get_extra_info("peername"))
        self.admitted = self.owner.admit(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.admitted:
            self.admitted = False
            self.owner.forget(self)

    @property
    def holds_unread(self) -> bool:
        """Paused or holding a batch: closing it now would lose what the sender sent."""
        return self._paused or bool(self.pending)

    def pause(self) -> None:
        if not self._paused and self.transport is not None and not self.transport.is_closing():
            self._paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        if self._paused and not self.pending and self.transport is not None:
            self._paused = False
            if not self.transport.is_closing():
                self.transport.resume_reading()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def deliver(self, batch: list[Received], size: int) -> bool:
        """Spool a batch; False (the batch kept and reading paused) when the spool failed."""
        self.owner.tally.accepted(self.name, self.peer, len(batch), size)
        if not batch:
            return True
        if not self.owner.append(batch):
            self.pending = batch
            self.pause()
            return False
        self.owner.after_append()
        return True

    def retry(self) -> None:
        """Spool the batch the spool refused before; read again when it takes it."""
        if self.pending and self.owner.append(self.pending):
            self.pending = []
            if not self.owner.paused:
                self.resume()

    def reject(self, count: int = 1) -> None:
        if count and self.owner.tally.reject(self.peer, count):
            self.owner.close_peer(self.peer)


class StreamConnection(Link):
    """Syslog or JSON lines over TCP or TLS."""

    def __init__(self, owner: Listeners, name: str) -> None:
        super().__init__(owner, name)
        self.transport_name, self.kind = LISTENER_KINDS[name]
        limit = owner.settings.max_message_bytes
        self.framer: SyslogFramer | LineFramer = (
            SyslogFramer(limit) if self.kind == "syslog" else LineFramer(limit)
        )
        self._first = True
        self._handshaking = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if not self.admitted or self.transport is None:
            return
        if self.transport_name == "tls":
            self.transport.pause_reading()  # start_tls reads the handshake itself
            self._handshaking = True
            self.owner.start_task(self._start_tls(self.transport))
        elif self.owner.paused:
            self.pause()

    async def _start_tls(self, raw: asyncio.Transport) -> None:
        context = self.owner.settings.tls
        assert context is not None
        try:
            secured = await asyncio.get_running_loop().start_tls(
                raw, self, context, server_side=True, ssl_handshake_timeout=HANDSHAKE_SECONDS
            )
        except ssl.SSLError as error:  # not TLS, or a version or cipher we do not speak
            log.info(
                "%s: TLS handshake with %s failed: %s", self.name, self.peer, error.reason or error
            )
            self.reject()
            return
        except (TimeoutError, OSError):  # gone, or silent, before the handshake ended
            return
        self._handshaking = False
        if secured is None or secured.is_closing():
            return
        assert isinstance(secured, asyncio.Transport)
        self.transport = secured
        if self.owner.paused or self.pending:
            self._paused = False
            self.pause()

    def pause(self) -> None:
        if self._handshaking:  # the secured transport is paused when the handshake ends
            return
        super().pause()

    def data_received(self, data: bytes) -> None:
        self.last_active = time.monotonic()
        try:
            if self._first:
                self._first = False
                if self.transport_name == "tcp" and looks_like_tls(data):
                    log.info(
                        "%s: %s began a TLS handshake on a port without TLS", self.name, self.peer
                    )
                    self.reject()
                    self.close()
                    return
            self._take(self.framer.feed(data), len(data))
        except Exception:  # a bug must cost one connection, never the listener
            log.exception("%s: connection from %s closed after an error", self.name, self.peer)
            self.close()

    def eof_received(self) -> bool | None:
        try:
            self._take(self.framer.finish(), 0)
        except Exception:
            log.exception("%s: connection from %s closed after an error", self.name, self.peer)
        return False

    def _take(self, frames: Frames, size: int) -> None:
        messages = frames.messages
        if self.kind == "json" and any(message[:1] == b"[" for message in messages):
            messages = list(unpack_arrays(messages))
        self.deliver(
            [Received(self.peer, self.transport_name, self.kind, message) for message in messages],
            size,
        )
        self.reject(frames.rejected)
        if frames.broken:
            log.info("%s: closed the connection from %s: %s", self.name, self.peer, frames.broken)
            self.close()


def unpack_arrays(messages: list[bytes]) -> Iterator[bytes]:
    """A line holding a JSON array of objects is those objects (Fluent Bit's json format)."""
    for message in messages:
        if message[:1] == b"[":
            try:
                value = orjson.loads(message)
            except orjson.JSONDecodeError:
                value = None  # kept as it is: the parser quarantines it with its reason
            if isinstance(value, list) and all(isinstance(item, dict) for item in value):
                yield from (orjson.dumps(item) for item in value)
                continue
        yield message
