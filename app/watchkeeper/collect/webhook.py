"""The HTTP listener: JSON posted by Fluent Bit, Vector or curl, behind a bearer token.

Requests are framed by h11 (heads, Content-Length, chunked bodies, keep-alive) inside our
asyncio protocol; what is ours: POST only, `Authorization: Bearer` compared in constant time,
the limits, and a body of NDJSON or a JSON array of objects, optionally gzip or deflate.
Framing that two parsers could read two ways (Content-Length with chunked, a folded header
line, a bare LF in the head) is refused with a 400, not read one of the ways.
A body is taken whole or not at all: one line that is not a JSON object makes the request a
400 and nothing of it is kept, so a sender that corrects and resends duplicates nothing.
The answer to a good request is 200 with `{"received": N}`; connections are kept alive.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING

import h11
import orjson

from watchkeeper.collect.connections import Link
from watchkeeper.collect.spool import Received

if TYPE_CHECKING:
    from watchkeeper.collect.listeners import Listeners

log = logging.getLogger(__name__)

MAX_HEAD_BYTES = 16 * 1024  # a request head (or chunked trailer) longer than this is a 431
MAX_BODY_BYTES = 16 * 1024 * 1024  # as sent; a gzip body may unpack to four times this
MAX_UNPACKED_BYTES = 4 * MAX_BODY_BYTES
HEAD_END = re.compile(rb"\n\r?\n")  # where h11 ends a head
FOLDED_LINE = re.compile(rb"\n[ \t]")  # obs-fold: a header line continued on the next
BARE_LF = re.compile(rb"(?<!\r)\n")


class HttpProblem(Exception):
    """A request the server answers with an error status."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(slots=True)
class HttpHead:
    method: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    length: int | None  # Content-Length, when given
    chunked: bool

    @property
    def has_body(self) -> bool:
        return self.chunked or self.length is not None


def request_head(request: h11.Request) -> HttpHead:
    """The head of a request h11 read; an HttpProblem for framing h11 lets through."""
    if not request.http_version.startswith(b"1."):
        raise HttpProblem(400, "not an HTTP/1.1 request line")
    headers: dict[str, str] = {}
    for raw_name, raw_value in request.headers:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    chunked = "transfer-encoding" in headers  # h11 lets only "chunked" through
    length = int(headers["content-length"]) if "content-length" in headers else None
    if chunked and length is not None:
        raise HttpProblem(400, "Content-Length and Transfer-Encoding together are refused")
    if length is not None and length > MAX_BODY_BYTES:
        raise HttpProblem(413, f"the body is over {MAX_BODY_BYTES} bytes")
    return HttpHead(request.method.decode("latin-1").upper(), headers, length, chunked)


def check_head(unread: bytes) -> None:
    """Refuse the head at the start of `unread` where h11 would forgive it: over-long (h11
    limits only a head still incomplete), a folded header line, or a line ending in a bare
    LF (a proxy in front may read either of these otherwise)."""
    end = HEAD_END.search(unread, 0, MAX_HEAD_BYTES + 4)
    if end is None and len(unread) > MAX_HEAD_BYTES:
        raise HttpProblem(431, "the request head is too large")
    head = unread[: end.end()] if end else unread
    if FOLDED_LINE.search(head):
        raise HttpProblem(400, "a header line is folded onto the next (obs-fold)")
    if BARE_LF.search(head):
        raise HttpProblem(400, "a line of the request head ends without CR")


def protocol_problem(error: h11.RemoteProtocolError) -> HttpProblem:
    """What h11 refused, as our answer to it."""
    if error.error_status_hint == 431:
        return HttpProblem(431, "the request head is too large")
    if error.error_status_hint == 501:  # a transfer coding other than chunked
        return HttpProblem(400, "only the chunked transfer coding is understood")
    detail = str(error)
    detail = detail if len(detail) <= 100 else detail[:99] + "…"
    return HttpProblem(400, f"not a valid HTTP/1.1 request ({detail})")


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
        self.http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
        self._head: HttpHead | None = None
        self._body: list[bytes | bytearray] = []  # the pieces read so far, joined once
        self._body_size = 0
        self._draining = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self.admitted and self.owner.paused:
            self.pause()

    def data_received(self, data: bytes) -> None:
        self.last_active = time.monotonic()
        self._receive(data)

    def eof_received(self) -> bool | None:
        self._receive(b"")  # a request cut short is answered, then the connection closes
        return False

    def _receive(self, data: bytes) -> None:
        if self._draining:
            return
        try:
            self.http.receive_data(data)
            self._read_events()
        except HttpProblem as problem:  # the stream cannot be followed further
            self.reject()
            self._refuse(problem.status, problem.reason)
        except Exception:  # a bug must cost one connection, never the listener
            log.exception("http: connection from %s closed after an error", self.peer)
            self.close()

    def _read_events(self) -> None:
        http = self.http
        while not (self._draining or self.transport is None or self.transport.is_closing()):
            if http.their_state is h11.IDLE:  # a request head comes next
                check_head(http.trailing_data[0])
            try:
                event = http.next_event()
            except h11.RemoteProtocolError as error:
                raise protocol_problem(error) from None
            if isinstance(event, h11.Request):
                self._begin(request_head(event))
            elif isinstance(event, h11.Data):
                self._body.append(event.data)
                self._body_size += len(event.data)
                if self._body_size > MAX_BODY_BYTES:
                    raise HttpProblem(413, f"the body is over {MAX_BODY_BYTES} bytes")
            elif isinstance(event, h11.EndOfMessage):
                self._answer()
            else:  # more to read first, or the sender closed
                return

    def _begin(self, head: HttpHead) -> None:
        """Refuse a request by its head, before its body is read, when it cannot succeed."""
        self._head = head
        self._body, self._body_size = [], 0
        if head.method != "POST":
            self._refuse(405, "only POST is accepted", [("Allow", "POST")])
        elif not self._authorised(head):
            self.reject()
            self._refuse(
                401,
                "a valid bearer token is required",
                [("WWW-Authenticate", 'Bearer realm="watchkeeper"')],
            )
        elif not head.has_body:
            self._refuse(411, "Content-Length (or chunked transfer coding) is required")
        elif self.http.client_is_waiting_for_100_continue:
            self._write(h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue"))

    def _authorised(self, head: HttpHead) -> bool:
        scheme, _, token = head.headers.get("authorization", "").partition(" ")
        given = token.strip().encode("latin-1")  # the bytes as sent
        # compare_digest takes the same time wherever the first difference is
        return scheme.lower() == "bearer" and hmac.compare_digest(given, self.token)

    def _answer(self) -> None:
        head, sent = self._head, b"".join(self._body)
        assert head is not None
        self._head, self._body, self._body_size = None, [], 0
        try:
            body = unpack_body(sent, head.headers.get("content-encoding", ""))
            objects = json_objects(body)
        except HttpProblem as problem:
            self.reject()
            self._respond(problem.status, {"error": problem.reason})
        else:
            batch = [Received(self.peer, "http", "json", message) for message in objects]
            if batch and not self.owner.append(batch):
                self._respond(
                    503,
                    {"error": "the collector cannot store messages now"},
                    [("Retry-After", "10")],
                )
            else:
                self.owner.tally.accepted(self.name, self.peer, len(batch), len(sent))
                self.owner.after_append()
                self._respond(200, {"received": len(batch)})
        if self.http.our_state is h11.MUST_CLOSE:  # the sender asked for it
            assert self.transport is not None
            self.transport.close()
        else:
            self.http.start_next_cycle()

    def _refuse(self, status: int, reason: str, headers: Sequence[tuple[str, str]] = ()) -> None:
        """Answer and close; read what the sender still sends for a moment, so that closing
        with unread bytes does not reset the connection before it reads the answer."""
        self._respond(status, {"error": reason}, [*headers, ("Connection", "close")])
        self._draining = True
        transport = self.transport
        assert transport is not None
        if transport.can_write_eof():
            transport.write_eof()
        self.owner.call_later(DRAIN_SECONDS, self.close)

    def _respond(
        self, status: int, payload: dict[str, object], headers: Sequence[tuple[str, str]] = ()
    ) -> None:
        body = orjson.dumps(payload)
        self._write(
            h11.Response(
                status_code=status,
                reason=HTTPStatus(status).phrase,
                headers=[
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(body))),
                    *headers,
                ],
            ),
            h11.Data(data=body),
            h11.EndOfMessage(),
        )

    def _write(self, *events: h11.Event) -> None:
        transport = self.transport
        assert transport is not None
        transport.write(b"".join(self.http.send(event) or b"" for event in events))
