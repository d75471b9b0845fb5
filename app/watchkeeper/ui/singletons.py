"""A workaround: PySide6 6.12 on Python 3.11 drops references to None and True it never took.

PySide6 6.12's bindings return None and True without taking a reference, as if they were
immortal objects (Python 3.12 and later, PEP 683, where their counts are never looked at):
each call of a Qt method that returns nothing costs None one reference, each signal emitted
from Python costs True one. On Python 3.11 the count reaches zero after some thousands and
the interpreter aborts ("none_dealloc: deallocating None", "bool_dealloc: deallocating True
or False"). Where the loss shows, None, True and False get a count no session can use up,
which is what Python 3.12 does for them anyway.

Why not pin an older release instead: 6.6.3.1, 6.7.3, 6.8.3, 6.9.3, 6.10.3, 6.11.0 and 6.11.3
lose no reference over 100,000 calls, but 6.11.3 crashes (SIGSEGV in `QRawFont.familyName`)
on a machine without fonts, where it also reports the default font as able to draw every
letter, so the self-test's font check could not say "letters would show as boxes". No
release newer than 6.12.0 was offered on 2026-12-07. This module goes when one without the
loss is.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject

PROBE_CALLS = 16
RESERVE = 1 << 40


def _qt_loses_none() -> bool:
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(PROBE_CALLS):
        probe.setObjectName("")  # returns nothing
    return before - sys.getrefcount(None) >= PROBE_CALLS // 2


def keep_alive() -> bool:
    """Give None, True and False a reserve of references if Qt calls lose them; whether it did."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False  # immortal there
    if not _qt_loses_none():
        return False
    counts = [ctypes.c_ssize_t.from_address(id(obj)) for obj in (None, True, False)]
    # the count is the object's first field, except in debug builds that trace references
    if any(
        abs(count.value - sys.getrefcount(obj)) > 1000
        for count, obj in zip(counts, (None, True, False), strict=True)
    ):
        return False
    for count in counts:
        count.value += RESERVE
    return True
