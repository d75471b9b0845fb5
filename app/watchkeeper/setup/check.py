"""Step 4, "Prove it works": one row per planned source, each item green, amber or red.

The items: seen at all (and not silent), the test event found, the clock within 2 s of
this computer, every expected channel seen within a day, and every message encrypted.
Red is what must be fixed (never seen, silent, unencrypted, the clock off); amber is
what is not there yet (waiting for the test event, a channel not seen in a day); each
item that is not green carries its fix in one sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from watchkeeper.core.printable import printable
from watchkeeper.core.progress import Progress
from watchkeeper.core.settings import Settings
from watchkeeper.setup.catalogue import LOGS, Channel
from watchkeeper.setup.check_items import (
    CheckItem,
    channel_item,
    clock_item,
    encryption_item,
    not_forwarded_item,
    seen_item,
    test_item,
    waiting_item,
)
from watchkeeper.setup.plan import CheckState, LoggingPlan, PlannedSource
from watchkeeper.storage.plan_evidence import (
    ChannelQuery,
    channel_counts,
    find_marker,
    name_matches,
)
from watchkeeper.storage.sources import SourceRow, naive_utc, source_rows
from watchkeeper.storage.store import Store

__all__ = ["CheckItem", "CheckRow", "check_plan", "record_result", "worst"]

CHANNEL_WINDOW = timedelta(hours=24)
ORDER: tuple[CheckState, ...] = ("red", "amber", "green")  # the worst first


@dataclass(frozen=True)
class CheckRow:
    name: str  # as the plan gives it (event text: escape it in rich text)
    platform: str
    state: CheckState
    items: tuple[CheckItem, ...]
    marker: str = ""  # the test marker looked for; empty: any

    @property
    def fix(self) -> str:
        """The fix of the first of the worst items: what to do first."""
        for item in self.items:
            if item.state == self.state and item.fix:
                return item.fix
        return ""

    @property
    def summary(self) -> str:
        """The row in one sentence: all good, or what is wrong first."""
        if self.state == "green":
            return "Everything checked arrives as planned."
        for item in self.items:
            if item.state == self.state:
                return item.detail
        return ""


def worst(states: list[CheckState]) -> CheckState:
    for state in ORDER:
        if state in states:
            return state
    return "green"


def check_plan(
    store: Store,
    plan: LoggingPlan,
    now: datetime,
    settings: Settings,
    markers: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> list[CheckRow]:
    """One row per planned source, in the plan's order, as of `now`.

    `markers` gives a source's test marker by name (any case); without one, any test
    marker found from that source counts.
    """
    wanted = {name.lower(): marker for name, marker in (markers or {}).items()}
    rows = source_rows(store, now, dict(settings.source_intervals), progress)
    return [
        _check_source(store, plan, source, rows, now, wanted.get(source.name.lower(), ""), progress)
        for source in plan.sources
    ]


def expected_channels(plan: LoggingPlan, source: PlannedSource) -> list[Channel]:
    """The channels that prove each of the source's logs arrives, in the catalogue's order."""
    return [
        channel for key in plan.logs_for(source) if key in LOGS for channel in LOGS[key].channels
    ]


def channel_query(channel: Channel) -> ChannelQuery:
    return ChannelQuery(
        channel=channel.channel,
        event_ids=channel.event_ids,
        processes=channel.processes,
        source=channel.source,
        field=channel.field,
    )


def _check_source(
    store: Store,
    plan: LoggingPlan,
    source: PlannedSource,
    all_rows: list[SourceRow],
    now: datetime,
    marker: str,
    progress: Progress | None,
) -> CheckRow:
    name = printable(source.name)
    if source.platform == "mdm":
        item = not_forwarded_item(name)
        return CheckRow(source.name, source.platform, item.state, (item,), marker)
    rows = [row for row in all_rows if name_matches(source.name, row.host, row.sender)]
    channels = expected_channels(plan, source)
    items = [seen_item(name, source.platform, rows, plan)]
    if not rows:
        items.append(test_item(name, marker, None))
        items += [waiting_item(channel.label, "channel") for channel in channels]
        items += [waiting_item("Clock", "clock"), waiting_item("Encrypted", "encrypted")]
    else:
        found = find_marker(store, source.name, marker or None, progress)
        items.append(test_item(name, marker, found))
        items.append(clock_item(name, rows))
        until = naive_utc(now)
        counts = channel_counts(
            store,
            source.name,
            [channel_query(channel) for channel in channels],
            until - CHANNEL_WINDOW,
            until,
            progress,
        )
        items += [
            channel_item(channel, count) for channel, count in zip(channels, counts, strict=True)
        ]
        items.append(encryption_item(name, rows, plan))
    state = worst([item.state for item in items])
    return CheckRow(source.name, source.platform, state, tuple(items), marker)


def record_result(plan: LoggingPlan, rows: list[CheckRow], now: datetime) -> None:
    """Keep the answer in the plan (saved with it): each source's state and when."""
    plan.checked = {row.name: row.state for row in rows}
    plan.checked_at = now
