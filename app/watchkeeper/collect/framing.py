"""Cutting received byte streams into messages: syslog frames and JSON lines.

No sockets here: each framer takes the bytes as they arrive, in pieces of any size, and
returns the whole messages found so far. Memory stays bounded by the message limit: an
over-long message is counted and skipped, never buffered whole; a counted one is skipped by
its count and a line up to its newline, so the connection goes on.

Syslog over TCP comes in two framings (RFC 6587): octet counting, `LEN SP MSG`, which
RFC 5425 prescribes for TLS (rsyslog's count includes the newline it appends, so a trailing
newline is stripped), and one message a line (LF, CRLF or NUL). The framing is chosen per
connection from its first bytes: digits then a space mean octet counting. A counted stream
that goes on with a line starting with "<" goes on as lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Bytes that are text: printable ASCII, tab, CR, LF and everything from 0x80 (UTF-8 and the
# single-byte code pages). `bytes.translate(None, TEXT_BYTES)` leaves the control bytes.
TEXT_BYTES = bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100)) + b"\t\r\n"
_DIGITS = frozenset(b"0123456789")
_MAX_COUNT_DIGITS = 10  # an octet count longer than this is not a count


def is_garbage(frame: bytes) -> bool:
    """Not text: over a tenth control characters, or control characters in bytes that are not
    UTF-8 either (random bytes are both; a coloured terminal line is UTF-8 with a few)."""
    controls = len(frame.translate(None, TEXT_BYTES))
    if not controls:
        return False
    if controls * 10 > len(frame):
        return True
    try:
        frame.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def looks_like_tls(head: bytes) -> bool:
    """The start of a TLS handshake (a record of type 22, version 3.x): TLS on a plain port."""
    return len(head) >= 2 and head[0] == 0x16 and head[1] == 0x03


@dataclass(slots=True)
class Frames:
    """What one piece of a stream completed."""

    messages: list[bytes] = field(default_factory=list)
    oversize: int = 0  # messages longer than the limit, skipped
    garbage: int = 0  # messages that are mostly not text, skipped
    broken: str = ""  # why the framing cannot go on: the connection must close

    @property
    def rejected(self) -> int:
        return self.oversize + self.garbage


def _keep_text(messages: list[bytes], frames: Frames) -> None:
    """Move the messages that are text into `frames`, counting the garbage."""
    for message in messages:
        if is_garbage(message):
            frames.garbage += 1
        else:
            frames.messages.append(message)


class LineFramer:
    """One message a line: LF, CRLF or NUL ends it; blank lines are skipped."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pending = bytearray()  # the start of a line whose end has not come
        self._skipping = False  # inside an over-long line, until its end

    def feed(self, data: bytes) -> Frames:
        frames = Frames()
        if b"\0" in data:
            data = data.replace(b"\0", b"\n")
        end = data.rfind(b"\n")
        if end < 0:
            if not self._skipping:
                self._pending += data
                if len(self._pending) > self.max_bytes:
                    self._start_skipping(frames)
            return frames
        head = data[:end]
        if self._pending:
            head = bytes(self._pending) + head
            self._pending.clear()
        lines = (
            head.split(b"\n") if b"\r" not in head else head.replace(b"\r\n", b"\n").split(b"\n")
        )
        if self._skipping:
            del lines[0]  # the end of the over-long line
            self._skipping = False
        self._pending += data[end + 1 :]
        if len(self._pending) > self.max_bytes:
            self._start_skipping(frames)
        self._collect(lines, head, frames)
        return frames

    def finish(self) -> Frames:
        """The stream ended: a last line without its newline is still a message."""
        frames = Frames()
        if self._pending and not self._skipping:
            last = bytes(self._pending).rstrip(b"\r")
            self._collect([last], last, frames)
        self._pending.clear()
        self._skipping = False
        return frames

    def _start_skipping(self, frames: Frames) -> None:
        frames.oversize += 1
        self._pending.clear()
        self._skipping = True

    def _collect(self, lines: list[bytes], text: bytes, frames: Frames) -> None:
        """Keep the lines that are neither blank, too long nor garbage; `text` holds them all."""
        if len(text) > self.max_bytes:
            kept = [line for line in lines if len(line) <= self.max_bytes]
            frames.oversize += len(lines) - len(kept)
            lines = kept
        lines = [line for line in lines if line]
        if text.translate(None, TEXT_BYTES):
            _keep_text(lines, frames)
        else:
            frames.messages.extend(lines)


class SyslogFramer:
    """Syslog over TCP or TLS: octet counting or lines, chosen from the first bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._lines: LineFramer | None = None
        self._counted = False  # octet counting chosen
        self._rest = b""  # the start of a count, or the first bytes before the choice
        self._parts: list[bytes] = []  # the body so far of a counted message
        self._need = 0  # bytes of that body still to come
        self._skip = 0  # bytes still to come of an over-long counted message

    @property
    def framing(self) -> str:
        return "octet-counted" if self._counted else "lines" if self._lines else "undecided"

    def feed(self, data: bytes) -> Frames:
        if self._lines is not None:
            return self._lines.feed(data)
        if not self._counted:
            return self._choose(data)
        return self._feed_counted(data)

    def finish(self) -> Frames:
        if self._lines is not None:
            return self._lines.finish()
        frames = Frames()
        if self._need or self._skip or self._rest.strip(b"\r\n\0 "):
            frames.oversize += 1 if self._skip else 0
            frames.broken = "the stream ended inside a message"
        return frames

    def _choose(self, data: bytes) -> Frames:
        head = (self._rest + data).lstrip(b"\r\n\0 ")
        digits = 0
        while digits < len(head) and head[digits] in _DIGITS:
            digits += 1
        if digits == len(head) and digits <= _MAX_COUNT_DIGITS:
            self._rest = head  # all digits so far: wait for what follows them
            return Frames()
        self._rest = b""
        if 0 < digits <= _MAX_COUNT_DIGITS and head[digits] == 0x20:
            self._counted = True
            return self._feed_counted(head)
        self._lines = LineFramer(self.max_bytes)
        return self._lines.feed(head)

    def _feed_counted(self, data: bytes) -> Frames:
        frames = Frames()
        if self._skip:
            skipped = min(self._skip, len(data))
            self._skip -= skipped
            data = data[skipped:]
        if self._need and data:
            if len(data) < self._need:
                self._parts.append(data)
                self._need -= len(data)
                return frames
            self._parts.append(data[: self._need])
            data = data[self._need :]
            self._need = 0
            self._complete(b"".join(self._parts), frames)
            self._parts = []
        work = self._rest + data if self._rest else data
        self._rest = b""
        size = len(work)
        position = 0
        found: list[bytes] = []
        while position < size:
            if work[position] in b"\r\n\0 ":  # a sender's newline after a counted message
                position += 1
                continue
            space = work.find(b" ", position, position + _MAX_COUNT_DIGITS + 1)
            if space < 0:
                if size - position > _MAX_COUNT_DIGITS or not work[position:].isdigit():
                    self._broken_count(work[position:], frames)
                    break
                self._rest = work[position:]
                break
            count = work[position:space]
            if not count.isdigit():
                self._broken_count(work[position:], frames)
                break
            length = int(count)
            start = space + 1
            end = start + length
            if length > self.max_bytes + 2:  # room for the newline (or CRLF) in the count
                frames.oversize += 1
                if end > size:
                    self._skip = end - size
                    break
                position = end
                continue
            if end > size:
                self._parts = [work[start:]]
                self._need = end - size
                break
            found.append(work[start:end])
            position = end
        if found:
            self._collect(found, frames)
        return frames

    def _complete(self, message: bytes, frames: Frames) -> None:
        self._collect([message], frames)

    def _collect(self, found: list[bytes], frames: Frames) -> None:
        messages = [
            message.rstrip(b"\r\n\0") if message[-1:] in b"\r\n\0" else message for message in found
        ]
        messages = [message for message in messages if message]
        if b"".join(messages).translate(None, TEXT_BYTES):
            _keep_text(messages, frames)
        else:
            frames.messages.extend(messages)

    def _broken_count(self, rest: bytes, frames: Frames) -> None:
        """Not a count where one should be: a sender that mixes framings, or garbage."""
        if rest[:1] == b"<":  # a syslog line: the sender went on without counts
            self._counted = False
            self._lines = LineFramer(self.max_bytes)
            more = self._lines.feed(rest)
            frames.messages.extend(more.messages)
            frames.oversize += more.oversize
            frames.garbage += more.garbage
            return
        frames.garbage += 1
        frames.broken = "the octet count is not a number"
