"""Writes the office's month as log files: background spread over the hours, stories merged in."""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from watchkeeper.core.progress import Progress
from watchkeeper.scenarios import stories
from watchkeeper.scenarios.clock import DAY_MS, HOUR_MS, Clock, from_ms, to_ms
from watchkeeper.scenarios.linux_audit import AuditSource
from watchkeeper.scenarios.linux_syslog import SyslogSource
from watchkeeper.scenarios.mobile import PhoneSource
from watchkeeper.scenarios.network import FirewallSource, public_addresses
from watchkeeper.scenarios.office import DC, PCS, ZONE
from watchkeeper.scenarios.sources import TABLE_BITS, Action, Source, StoryLine
from watchkeeper.scenarios.summary import ScenarioSummary
from watchkeeper.scenarios.windows import WindowsSource

WRITE_BUFFER = 1 << 20
# Each file's part of the background volume; the stories come on top.
# Windows lines are the largest (1-2 KB in NXLog's shape); these keep 10 million events near 5 GB.
SHARES = {
    "pc": 0.0145,
    "dc": 0.075,
    "firewall": 0.44,
    "web01-auth": 0.06,
    "web01-syslog": 0.045,
    "files01-auth": 0.025,
    "files01-syslog": 0.025,
    "files01-audit": 0.05,
    "phones": 0.106,
}


def generate(
    out_dir: Path,
    *,
    events: int = 200_000,
    seed: int = 1,
    days: int = 30,
    end: datetime | None = None,
    progress: Progress | None = None,
) -> ScenarioSummary:
    """Write a small office's `days` up to `end` as log files under `out_dir`.

    `events` is the number of lines in all files together (one event a line); the attack
    stories are always written, so a smaller number than they need gives just the stories.
    The same seed and end give the same bytes. `end` defaults to now, rounded down to the hour.
    """
    if events < 0:
        raise ValueError("events must be zero or more")
    if days < 1:
        raise ValueError("days must be at least 1")
    end = _end_of_range(end)
    end_ms = to_ms(end)
    clock = Clock(end_ms - days * DAY_MS, end_ms)
    plan = stories.plan(clock, random.Random(f"{seed}:stories"))
    sources = _sources(clock, seed)
    for source in sources:
        if isinstance(source, WindowsSource):
            source.sysmon_off = plan.sysmon_off.get(source.host.name, [])
    by_path: dict[str, list[StoryLine]] = {source.path: [] for source in sources}
    for line in plan.lines:
        by_path[line.path].append(line)
    budgets = _split(max(0, events - len(plan.lines)), [source.share for source in sources])

    out_dir = Path(out_dir)
    counts: dict[str, int] = {}
    done = 0
    for source, budget in zip(sources, budgets, strict=True):
        target = out_dir / source.path
        target.parent.mkdir(parents=True, exist_ok=True)
        counts[source.path] = _write(source, target, budget, by_path[source.path], progress, done)
        # last changed when its office's range ends: readers take the year of a syslog
        # stamp (which has none) from a file's last change
        os.utime(target, (end.timestamp(), end.timestamp()))
        done += counts[source.path]
    if progress is not None:
        progress.update(stage="Scenario written", records=done)
        progress.flush()
    return ScenarioSummary(
        out_dir=out_dir,
        files=tuple(out_dir / source.path for source in sources),
        events_per_file=counts,
        total_events=done,
        start=from_ms(clock.start_ms),
        end=end,
        zone=ZONE,
        seed=seed,
        stories=tuple(plan.stories),
    )


def _end_of_range(end: datetime | None) -> datetime:
    if end is None:
        return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)  # the office runs on UTC
    return end.astimezone(UTC).replace(microsecond=0)


def _sources(clock: Clock, seed: int) -> list[Source]:
    """Every output file, each with its own random stream so one file's size does not move another's."""

    def rng(name: str) -> random.Random:
        return random.Random(f"{seed}:{name}")

    internet = rng("internet")
    scanners, visitors = public_addresses(internet, 300), public_addresses(internet, 500)
    sources: list[Source] = [WindowsSource(pc, clock, rng(pc.path), SHARES["pc"]) for pc in PCS]
    sources.append(WindowsSource(DC, clock, rng(DC.path), SHARES["dc"]))
    for host in ("web01", "files01"):
        sources.append(
            SyslogSource(
                host,
                "auth",
                clock,
                rng(f"{host}-auth"),
                SHARES[f"{host}-auth"],
                scanners if host == "web01" else (),
            )
        )
        sources.append(
            SyslogSource(host, "syslog", clock, rng(f"{host}-syslog"), SHARES[f"{host}-syslog"])
        )
    sources.append(AuditSource(clock, rng("files01-audit"), SHARES["files01-audit"]))
    sources.append(FirewallSource(clock, rng("fw01"), SHARES["firewall"], scanners, visitors))
    sources.append(PhoneSource(clock, rng("phones"), SHARES["phones"]))
    return sources


def _split(total: int, shares: Sequence[float]) -> list[int]:
    """Whole numbers in proportion to `shares` that add up to exactly `total`."""
    whole = sum(shares)
    result, cumulative, given = [], 0.0, 0
    for share in shares:
        cumulative += total * share / whole
        result.append(round(cumulative) - given)
        given += result[-1]
    return result


def _slots(source: Source, clock: Clock) -> list[tuple[int, int, float, float]]:
    """(start, length, people weight, background weight) per clock hour, cut where the mix changes."""
    cuts = sorted({t for t in source.breakpoints() if clock.start_ms < t < clock.end_ms})
    slots = []
    t = clock.start_ms
    while t < clock.end_ms:
        stop = min((t // HOUR_MS + 1) * HOUR_MS, clock.end_ms)
        stop = min([stop, *(cut for cut in cuts if cut > t)])
        people, background = source.rhythm.weights(
            clock.weekday[t // DAY_MS], t % DAY_MS // HOUR_MS
        )
        share = (stop - t) / HOUR_MS
        slots.append((t, stop - t, people * share, background * share))
        t = stop
    return slots


def _write(
    source: Source,
    target: Path,
    budget: int,
    story_lines: list[StoryLine],
    progress: Progress | None,
    done: int,
) -> int:
    """Write one file; returns its line count."""
    clock = source.clock
    slots = _slots(source, clock)
    weight = sum(people + background for _, _, people, background in slots)
    rand, bits = source.rng.random, source.rng.getrandbits
    pending = iter(story_lines)
    story = next(pending, None)
    never = clock.end_ms + DAY_MS
    next_story = story.t_ms if story else never
    emitted = written_stories = 0
    last_t = clock.start_ms
    cumulative = 0.0
    stage = f"Writing {source.path}"
    with target.open("w", encoding="utf-8", newline="\n", buffering=WRITE_BUFFER) as handle:
        source.start(handle.write)
        filler: tuple[Action, ...] = (source.filler(),) * (1 << TABLE_BITS)
        plan: list[tuple[int, int, float, float]] = [*slots, (0, 0, 0.0, 0.0)]
        for index, (start, length, people, background) in enumerate(plan):
            if index < len(slots):
                cumulative += budget * (people + background) / weight if weight else 0.0
                need = round(cumulative) - emitted
                if need <= 0:
                    continue
                people_mix, background_mix = source.mixes(start)
                people_actions = people / people_mix.mean_lines
                background_actions = background / background_mix.mean_lines
                actions = people_actions + background_actions
                chance = people_actions / actions
                count = int(need * actions / (people + background) + 0.5)
                people_table, background_table = people_mix.table, background_mix.table
            else:
                # Land on the exact number asked for with one-line events after the last one.
                count = budget - emitted
                if count <= 0:
                    break
                start, length = last_t, max(1, clock.end_ms - last_t)
                chance, people_table, background_table = 0.0, filler, filler
            times = [start + int(rand() * length) for _ in range(count)]
            times.sort()
            for t in times:
                while next_story <= t:
                    assert story is not None
                    source.write_story(story)
                    written_stories += 1
                    story = next(pending, None)
                    next_story = story.t_ms if story else never
                if rand() < chance:
                    emitted += people_table[bits(TABLE_BITS)](t)
                else:
                    emitted += background_table[bits(TABLE_BITS)](t)
            if times:
                last_t = times[-1]
            if progress is not None:
                progress.update(stage=stage, records=done + emitted + written_stories)
        while story is not None:
            source.write_story(story)
            written_stories += 1
            story = next(pending, None)
    return emitted + written_stories
