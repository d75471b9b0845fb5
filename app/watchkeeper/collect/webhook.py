"""The HTTP listener: JSON posted by Fluent Bit, Vector or curl, behind a bearer token.

A small HTTP/1.1 server on asyncio, not a framework: POST only, `Authorization: Bearer`,
a body of NDJSON or a JSON array of objects, by Content-Length or chunked, optionally gzip.
A body is taken whole or not at all: one line that is not a JSON object makes the request a
400 and nothing of it is kept, so a sender that corrects and resends duplicates nothing.
The answer to a good request is 200 with `{"received": N}`; connections are kept alive.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING

import orjson

from watchkeeper.collect.connections import Link
from watchkeeper.collect.spool import Received

if TYPE_CHECKING:
    from watchkeeper.collect.listeners import Listeners

log = logging.getLogger(__name__)

MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024  # as sent; a gzip body may unpack to four times this
MAX_UNPACKED_BYTES = 4 * MAX_BODY_BYTES


class HttpProblem(Exception):
    """A request the server answers with an error status."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(slots=True)
class HttpHead:
    method: str
    target: str
    version: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    length: int | None  # Content-Length, when given
    chunked: bool

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection

    @property
    def has_body(self) -> bool:
        return self.chunked or self.length is not None


@dataclass(slots=True)
class HttpRequest:
    head: HttpHead
    body: bytes


class HttpRequestReader:
    """Reads HTTP/1.1 requests from a stream: a head, then its body (by length or chunked).

    `feed` returns the heads and whole requests it completed, in order (a head first, so
    the server can refuse a request before its body comes), ending with an HttpProblem for
    a request it cannot read; the connection closes after that.
    """

    def __init__(self, max_body: int = MAX_BODY_BYTES) -> None:
        self.max_body = max_body
        self._buffer = bytearray()
        self._head: HttpHead | None = None
        self._body = bytearray()
        self._chunk_left = -1  # chunked: bytes left of the current chunk; -1 a size line next
        self._trailers = False
        self._failed = False

    def feed(self, data: bytes) -> list[HttpHead | HttpRequest | HttpProblem]:
        if self._failed:
            return []
        self._buffer += data
        done: list[HttpHead | HttpRequest | HttpProblem] = []
        try:
            while True:
                if self._head is None:
                    head = self._read_head()
                    if head is None:
                        break
                    self._head = head
                    done.append(head)
                request = self._read_chunked() if self._head.chunked else self._read_sized()
                if request is None:
                    break
                done.append(request)
        except HttpProblem as problem:
            self._failed = True  # the stream cannot be followed further
            self._buffer.clear()
            done.append(problem)
        return done

    def _read_head(self) -> HttpHead | None:
        while self._buffer.startswith((b"\r", b"\n")):  # blank lines between requests
            del self._buffer[:1]
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_HEAD_BYTES:
                raise HttpProblem(431, "the request head is too large")
            return None
        if end > MAX_HEAD_BYTES:
            raise HttpProblem(431, "the request head is too large")
        text = bytes(self._buffer[:end]).decode("latin-1")
        del self._buffer[:end + 4]
        return parse_head(text, self.max_body)

    def _read_sized(self) -> HttpRequest | None:
        assert self._head is not None
        length = self._head.length or 0
        if len(self._buffer) < length:
            return None
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        return self._finish(body)

    def _read_chunked(self) -> HttpRequest | None:
        while True:
            if self._trailers:  # trailer fields up to a blank line, ignored
                end = self._buffer.find(b"\r\n")
                if end < 0:
                    if len(self._buffer) > MAX_HEAD_BYTES:
                        raise HttpProblem(431, "the trailer fields are too large")
                    return None
                del self._buffer[:end + 2]
                if end == 0:
                    self._trailers = False
                    body = bytes(self._body)
                    self._body.clear()
                    return self._finish(body)
                continue
            if self._chunk_left < 0:
                end = self._buffer.find(b"\r\n")
                if end < 0:
                    if len(self._buffer) > 1024:
                        raise HttpProblem(400, "a chunk size line is too long")
                    return None
                size_text = bytes(self._buffer[:end]).split(b";")[0].strip()
                del self._buffer[:end + 2]
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise HttpProblem(400, "a chunk size is not a number") from None
                if size < 0:
                    raise HttpProblem(400, "a chunk size is negative")
                if size == 0:
                    self._trailers = True
                    continue
                if len(self._body) + size > self.max_body:
                    raise HttpProblem(413, f"the body is over {self.max_body} bytes")
                self._chunk_left = size
            if len(self._buffer) < self._chunk_left + 2:
                return None
            if self._buffer[self._chunk_left:self._chunk_left + 2] != b"\r\n":
                raise HttpProblem(400, "a chunk does not end where its size says")
            self._body += self._buffer[:self._chunk_left]
            del self._buffer[:self._chunk_left + 2]
            self._chunk_left = -1

    def _finish(self, body: bytes) -> HttpRequest:
        assert self._head is not None
        request = HttpRequest(self._head, body)
        self._head = None
        return request


def parse_head(text: str, max_body: int) -> HttpHead:
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpProblem(400, "not an HTTP/1.1 request line")
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise HttpProblem(400, "a header line is malformed")
        key = name.lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    chunked = False
    if "transfer-encoding" in headers:
        codings = [c.strip().lower() for c in headers["transfer-encoding"].split(",")]
        if codings[-1] != "chunked" or "content-length" in headers:
            raise HttpProblem(400, "only the chunked transfer coding is understood")
        chunked = True
    length: int | None = None
    if "content-length" in headers:
        values = {v.strip() for v in headers["content-length"].split(",")}
        value = values.pop()
        if values or not value.isdigit():
            raise HttpProblem(400, "Content-Length is not one number")
        length = int(value)
        if length > max_body:
            raise HttpProblem(413, f"the body is over {max_body} bytes")
    return HttpHead(method.upper(), target, version, headers, length, chunked)


def unpack_body(body: bytes, encoding: str) -> bytes:
    """The body without its Content-Encoding (gzip or deflate), at most MAX_UNPACKED_BYTES."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip"):
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decompressor = zlib.decompressobj()
    else:
        raise HttpProblem(415, f"Content-Encoding {encoding!r} is not understood")
    try:
        unpacked = decompressor.decompress(body, MAX_UNPACKED_BYTES)
    except zlib.error:
        raise HttpProblem(400, f"the body is not valid {encoding}") from None
    if decompressor.unconsumed_tail:
        raise HttpProblem(413, f"the body unpacks to over {MAX_UNPACKED_BYTES} bytes")
    return unpacked


def json_objects(body: bytes) -> list[bytes]:
    """The JSON objects of a body, each as one line of JSON: a JSON array of objects, or
    NDJSON (one object, or one array of objects, a line). All or nothing: any line that is
    not JSON objects makes the whole body a 400, so a corrected retry duplicates nothing.
    """
    text = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        return []
    if text[:1] == b"[":
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # perhaps NDJSON of arrays
        else:
            return _objects(value, 1)
    found: list[bytes] = []
    for number, line in enumerate(text.split(b"\n"), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise HttpProblem(400, f"line {number}: not JSON ({error})") from None
        if isinstance(value, dict):
            found.append(line)  # the sender's own bytes, as sent
        else:
            found.extend(_objects(value, number))
    return found


def _objects(value: object, number: int) -> list[bytes]:
    if isinstance(value, dict):
        return [orjson.dumps(value)]
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return [orjson.dumps(item) for item in value]
    raise HttpProblem(400, f"line {number}: JSON that is not objects")


IDLE_SECONDS = 120.0  # a kept-alive connection with nothing sent for this long is closed
DRAIN_SECONDS = 2.0  # after refusing a request, what the sender still sends is read this long


class HttpConnection(Link):
    """One connection to the HTTP listener: requests in order, answers in order."""

    idle_seconds = IDLE_SECONDS

    def __init__(self, owner: Listeners, name: str) -> None:
        super().__init__(owner, name)
        self.token = (owner.settings.http_token or "").encode("utf-8")
        self.reader = HttpRequestReader()
        self._draining = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self.admitted and self.owner.paused:
            self.pause()

    def data_received(self, data: bytes) -> None:
        self.last_active = time.monotonic()
        if self._draining:
            return
        try:
            for item in self.reader.feed(data):
                if isinstance(item, HttpProblem):
                    self.reject()
                    self._refuse(item.status, item.reason)
                elif isinstance(item, HttpHead):
                    self._begin(item)
                else:
                    self._answer(item)
                if self._draining or self.transport is None or self.transport.is_closing():
                    return
        except Exception:  # a bug must cost one connection, never the listener
            log.exception("http: connection from %s closed after an error", self.peer)
            self.close()

    def eof_received(self) -> bool | None:
        return False

    def _begin(self, head: HttpHead) -> None:
        """Refuse a request by its head, before its body is read, when it cannot succeed."""
        if head.method != "POST":
            self._refuse(405, "only POST is accepted", [("Allow", "POST")])
        elif not self._authorised(head):
            self.reject()
            self._refuse(401, "a valid bearer token is required",
                         [("WWW-Authenticate", 'Bearer realm="watchkeeper"')])
        elif not head.has_body:
            self._refuse(411, "Content-Length (or chunked transfer coding) is required")
        elif "100-continue" in head.headers.get("expect", "").lower():
            assert self.transport is not None
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _authorised(self, head: HttpHead) -> bool:
        scheme, _, token = head.headers.get("authorization", "").partition(" ")
        given = token.strip().encode("utf-8", "surrogateescape")
        # compare_digest takes the same time wherever the first difference is
        return scheme.lower() == "bearer" and hmac.compare_digest(given, self.token)

    def _answer(self, request: HttpRequest) -> None:
        head = request.head
        try:
            body = unpack_body(request.body, head.headers.get("content-encoding", ""))
            objects = json_objects(body)
        except HttpProblem as problem:
            self.reject()
            self._respond(problem.status, {"error": problem.reason}, close=not head.keep_alive)
            return
        batch = [Received(self.peer, "http", "json", message) for message in objects]
        if batch and not self.owner.append(batch):
            self._respond(503, {"error": "the collector cannot store messages now"},
                          close=not head.keep_alive, headers=[("Retry-After", "10")])
            return
        self.owner.tally.accepted(self.name, self.peer, len(batch), len(request.body))
        self.owner.after_append()
        self._respond(200, {"received": len(batch)}, close=not head.keep_alive)

    def _refuse(self, status: int, reason: str,
                headers: Sequence[tuple[str, str]] = ()) -> None:
        """Answer and close; read what the sender still sends for a moment, so that closing
        with unread bytes does not reset the connection before it reads the answer."""
        self._respond(status, {"error": reason}, close=False, headers=[
            *headers, ("Connection", "close")])
        self._draining = True
        transport = self.transport
        assert transport is not None
        if transport.can_write_eof():
            transport.write_eof()
        self.owner.call_later(DRAIN_SECONDS, self.close)

    def _respond(self, status: int, payload: dict[str, object], close: bool,
                 headers: Sequence[tuple[str, str]] = ()) -> None:
        transport = self.transport
        assert transport is not None
        body = orjson.dumps(payload)
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
                 "Content-Type: application/json", f"Content-Length: {len(body)}",
                 *(f"{name}: {value}" for name, value in headers)]
        if close:
            lines.append("Connection: close")
        transport.write("\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + body)
        if close:
            transport.close()
