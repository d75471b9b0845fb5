"""What every generated log file has in common: its activities, their mix, and its story lines."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from watchkeeper.scenarios.clock import Clock
from watchkeeper.scenarios.office import Rhythm

Write = Callable[[str], object]
Action = Callable[[int], int]
"""Writes one piece of activity happening at epoch milliseconds t; returns the lines written."""

TABLE_BITS = 16  # activities are drawn with getrandbits(16) from a table of 65,536 entries


@dataclass(frozen=True)
class Activity:
    """Something that happens in a log, how often relative to its neighbours, and its size."""

    weight: float
    action: Action
    lines: float = 1.0  # lines one call writes (on average, when it varies)
    sysmon: bool = False  # silenced while Sysmon is stopped on the host


@dataclass(frozen=True)
class Mix:
    """Activities as a lookup table, so choosing one costs a getrandbits and an index."""

    table: tuple[Action, ...]
    mean_lines: float

    @classmethod
    def of(cls, activities: Sequence[Activity]) -> Mix:
        live = [activity for activity in activities if activity.weight > 0]
        if not live:
            raise ValueError("a mix needs at least one activity")
        total = sum(activity.weight for activity in live)
        size = 1 << TABLE_BITS
        counts: list[int] = []
        done = 0
        cumulative = 0.0
        for index, activity in enumerate(live):
            cumulative += activity.weight
            # At least one entry each, so rare activities (a service install) still happen.
            upto = max(done + 1, round(cumulative / total * size))
            upto = min(upto, size - (len(live) - index - 1))
            counts.append(upto - done)
            done = upto
        counts[-1] += size - done
        table: list[Action] = []
        for activity, count in zip(live, counts, strict=True):
            table.extend([activity.action] * count)
        # The table rounds weights, so the mean comes from the table itself.
        mean = sum(a.lines * c for a, c in zip(live, counts, strict=True)) / size
        return cls(tuple(table), mean)


@dataclass(frozen=True)
class StoryLine:
    """One line an attack story adds to a file, at its time; `payload` is the source's own shape."""

    t_ms: int
    path: str
    payload: object


class Source:
    """One output file: the activities that fill it and how its story lines are written."""

    def __init__(
        self, path: str, share: float, rhythm: Rhythm, clock: Clock, rng: random.Random
    ) -> None:
        self.path = path
        self.share = share  # its part of the background volume
        self.rhythm = rhythm
        self.clock = clock
        self.rng = rng
        self.write: Write = _unbound
        self._mixes: dict[object, tuple[Mix, Mix]] = {}

    def start(self, write: Write) -> None:
        """Bind the file's writer; subclasses build their activities here."""
        self.write = write

    def people(self) -> list[Activity]:
        """What people do (weighted by the working-day rhythm)."""
        raise NotImplementedError

    def background(self) -> list[Activity]:
        """What machines do by themselves, at any hour."""
        raise NotImplementedError

    def filler(self) -> Action:
        """A one-line activity, used to land on the exact number of lines asked for."""
        raise NotImplementedError

    def breakpoints(self) -> list[int]:
        """Times (ms) where the mix changes; the generator starts a new slot at each."""
        return []

    def mode_at(self, t_ms: int) -> object:
        """A key for the mix in force at t; sources whose mix changes override it."""
        return None

    def mixes(self, t_ms: int) -> tuple[Mix, Mix]:
        """(people, background) mixes in force at t."""
        mode = self.mode_at(t_ms)
        found = self._mixes.get(mode)
        if found is None:
            found = (
                Mix.of(self._filter(self.people(), mode)),
                Mix.of(self._filter(self.background(), mode)),
            )
            self._mixes[mode] = found
        return found

    def _filter(self, activities: list[Activity], mode: object) -> list[Activity]:
        return activities

    def write_story(self, line: StoryLine) -> None:
        """Write one story line in this file's shape."""
        raise NotImplementedError


def _unbound(text: str) -> object:
    raise RuntimeError("source written to before start()")


EPHEMERAL_PORTS = tuple(str(49152 + n) for n in range(16384))  # Windows' and Linux's dynamic range
_HEX4: list[str] = []


def hex4() -> list[str]:
    """'0000'..'ffff', for GUIDs and ids made per event."""
    if not _HEX4:
        _HEX4.extend(f"{n:04x}" for n in range(1 << 16))
    return _HEX4
