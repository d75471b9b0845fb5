"""A parser's results narrowed for a test: each item checked to be the kind the test expects."""

from __future__ import annotations

from collections.abc import Iterable

from watchkeeper.core.event import Event, Parsed, Rejected


def as_event(item: Parsed) -> Event:
    """The item, which must be an event."""
    assert isinstance(item, Event), item
    return item


def as_rejected(item: Parsed) -> Rejected:
    """The item, which must be a rejected record."""
    assert isinstance(item, Rejected), item
    return item


def as_events(items: Iterable[Parsed]) -> list[Event]:
    """The items, each of which must be an event."""
    return [as_event(item) for item in items]


def events_or_rejected(items: Iterable[Parsed]) -> list[Event | Rejected]:
    """The items, each of which must be an event or a rejected record (no Windows event)."""
    narrowed: list[Event | Rejected] = []
    for item in items:
        assert isinstance(item, Event | Rejected), item
        narrowed.append(item)
    return narrowed
