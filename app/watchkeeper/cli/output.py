"""What the commands print: JSON, terminal-safe text, one-line errors, progress on stderr."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TextIO, TypeVar

if TYPE_CHECKING:
    from watchkeeper.core.errors import WatchkeeperError
    from watchkeeper.core.progress import Progress, ProgressState

T = TypeVar("T")

EXIT_FAILED = 1
EXIT_USAGE = 2


def json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return str(value)


def print_json(document: object, out: TextIO) -> None:
    out.write(json.dumps(document, default=json_default, ensure_ascii=False, indent=2))
    out.write("\n")


def safe(text: object, width: int | None = None) -> str:
    """Event text for one terminal line: line breaks and tabs as spaces, other control
    characters shown as escapes, never obeyed."""
    value = "" if text is None else " ".join(str(text).split())
    value = "".join(
        ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}"
        for ch in value
    )
    if width is not None and len(value) > width:
        value = value[: width - 1] + "…"
    return value


def ago(seconds: float, suffix: str = " ago") -> str:
    for size, unit in ((86_400, "d"), (3_600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}{suffix}"
    return f"{seconds:.0f} s{suffix}"


def print_error(error: WatchkeeperError, as_json: bool, out: TextIO, err: TextIO) -> int:
    """The error's title and sentence on one line of stderr (and as JSON when asked)."""
    if as_json:
        print_json({"error": {"title": error.title, "message": error.message}}, out)
    pointer = getattr(error, "pointer", None)
    err.write(f"watchkeeper: {error.title}: {error.message}\n")
    if callable(pointer):
        err.write(pointer() + "\n")
    return EXIT_FAILED


class TerminalProgress:
    """One updating line on stderr: files, events and rate; nothing when not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self._shown = False

    def __call__(self, state: ProgressState) -> None:
        if not self.enabled:
            return
        total = f"/{state.total}" if state.total else ""
        line = (
            f"\r{state.stage} {state.done}{total} files  {state.records:,} records  "
            f"{state.rate:,.0f}/s  {safe(state.item, 40)}"
        )
        self.stream.write(line.ljust(100)[:120])
        self.stream.flush()
        self._shown = True

    def finish(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * 110 + "\r")
            self.stream.flush()


def with_progress(run: Callable[[Progress], T], err: TextIO) -> T:
    """Run a long job with a terminal progress line; the first Ctrl-C cancels it cleanly."""
    from watchkeeper.core.progress import Progress

    bar = TerminalProgress(err)
    progress = Progress(bar)
    previous = None
    if threading_main():

        def _on_interrupt(signum: int, frame: object) -> None:
            err.write("\nStopping after the current batch (Ctrl-C again to abort)…\n")
            signal.signal(signal.SIGINT, signal.default_int_handler)
            progress.cancel()

        previous = signal.signal(signal.SIGINT, _on_interrupt)
    try:
        return run(progress)
    finally:
        bar.finish()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
