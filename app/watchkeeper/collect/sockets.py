"""The listeners' sockets: bound with a sentence a user can act on when they cannot be, and
syslog over UDP read from its socket in bursts (the TCP, TLS and HTTP connections are in
collect/connections.py and collect/webhook.py).
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from watchkeeper.collect.connections import LISTENER_KINDS, peer_host
from watchkeeper.collect.framing import is_garbage
from watchkeeper.collect.spool import Received
from watchkeeper.core.errors import CollectError

if TYPE_CHECKING:
    from watchkeeper.collect.listeners import Listeners

DATAGRAMS_PER_READ = 1024
UDP_BUFFER_BYTES = 8 * 1024 * 1024  # asked for; the system may give less


class UdpReceiver:
    """Syslog over UDP: one datagram, one message; read in bursts for speed."""

    def __init__(self, owner: Listeners, name: str, sock: socket.socket) -> None:
        self.owner = owner
        self.name = name
        self.sock = sock

    def read(self) -> None:
        owner = self.owner
        limit = owner.settings.max_message_bytes
        batch: list[Received] = []
        senders: dict[str, list[int]] = {}  # peer -> [messages, bytes]
        for _ in range(DATAGRAMS_PER_READ):
            try:
                data, address = self.sock.recvfrom(65536)
            except OSError:  # nothing more to read now (or an error of an earlier datagram)
                break
            peer = peer_host(address)
            if owner.tally.is_blocked(peer):
                continue
            counts = senders.setdefault(peer, [0, 0])
            counts[1] += len(data)
            message = data.rstrip(b"\r\n\0")
            if not message:
                continue
            if len(message) > limit or is_garbage(message):
                owner.tally.reject(peer)
                continue
            counts[0] += 1
            batch.append(Received(peer, "udp", "syslog", message))
        spooled = bool(batch) and not owner.spool.full and owner.append(batch)
        if batch and not spooled:  # UDP cannot be slowed: what the spool cannot take is lost
            with owner.tally.lock:
                owner.tally.discarded += len(batch)
        for peer, (messages, size) in senders.items():
            owner.tally.accepted(self.name, peer, messages if spooled else 0, size)
        if spooled:
            owner.after_append()


def udp_drops(sock: socket.socket) -> int | None:
    """Datagrams the kernel dropped on this socket (Linux's /proc/net/udp); None elsewhere."""
    try:
        inode = os.fstat(sock.fileno()).st_ino
    except OSError:
        return None
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            columns = line.split()
            if len(columns) >= 13 and columns[9] == str(inode):
                return int(columns[12])
    return None


def bind_socket(name: str, host: str, port: int) -> socket.socket:
    """A bound socket for a listener, or a CollectError that names it and says why not."""
    kind = socket.SOCK_DGRAM if LISTENER_KINDS[name][0] == "udp" else socket.SOCK_STREAM
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host or None, port, type=kind, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror:
        raise CollectError(f"{name}: {host!r} is not an address of this computer") from None
    sock = socket.socket(family, kind)
    try:
        if family == socket.AF_INET6 and host in ("::", ""):
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # IPv4 too
        if kind == socket.SOCK_STREAM:
            if os.name == "nt":
                sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_EXCLUSIVEADDRUSE", 0), 1)
            else:  # a restart may bind while old connections linger in TIME_WAIT
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        else:
            with contextlib.suppress(OSError):  # the system's limit applies anyway
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_BUFFER_BYTES)
        sock.bind(address)
        if kind == socket.SOCK_STREAM:
            sock.listen(128)
        sock.setblocking(False)
    except OSError as error:
        sock.close()
        raise CollectError(_bind_problem(name, host, port, error)) from error
    return sock


def _bind_problem(name: str, host: str, port: int, error: OSError) -> str:
    protocol = "UDP" if LISTENER_KINDS[name][0] == "udp" else "TCP"
    if error.errno == errno.EADDRINUSE:
        return (
            f"{name}: {protocol} port {port} on {host} is already in use by another "
            "program; choose another port or stop that program"
        )
    if error.errno == errno.EACCES and os.name == "nt":  # taken for exclusive use
        return (
            f"{name}: {protocol} port {port} on {host} is in use by another program or "
            "reserved by Windows; choose another port"
        )
    if error.errno == errno.EACCES:
        return (
            f"{name}: {protocol} port {port} needs administrator rights; choose a port above 1023"
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return f"{name}: {host} is not an address of this computer"
    return f"{name}: cannot listen on {host} {protocol} port {port} ({error.strerror})"
