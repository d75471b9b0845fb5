"""What the logging plan expects and has not arrived, as rows of the Sources view.

A planned source that never sent anything is silent from day one ("planned, never seen");
a planned log of a source that does send, none of whose proving channels came within a
day, is silent too ("planned, missing"). Both are `SourceRow`s with no events, so the
Sources view, `watchkeeper sources` and the Overview show them beside the senders heard.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from watchkeeper.core.printable import printable
from watchkeeper.core.progress import Progress
from watchkeeper.setup.check import CHANNEL_WINDOW, channel_query, expected_channels
from watchkeeper.setup.plan import LoggingPlan, PlanError, load_plan
from watchkeeper.storage.plan_evidence import channel_counts, name_matches
from watchkeeper.storage.sources import (
    DEFAULT_EXPECTED,
    SPARK_MINUTES,
    STATUSES,
    SourceRow,
    naive_utc,
    source_key,
)
from watchkeeper.storage.store import Store

NEVER_SEEN = "planned, never seen"
MISSING = "planned, missing"
NAMED = 3  # the Overview's sentence names this many, then counts the rest


def saved_plan() -> LoggingPlan | None:
    """The saved plan, or None when there is none or it cannot be read (the wizard says why)."""
    with contextlib.suppress(PlanError):
        return load_plan()
    return None


def planned_rows(
    store: Store,
    plan: LoggingPlan | None,
    heard: list[SourceRow],
    now: datetime,
    progress: Progress | None = None,
) -> list[SourceRow]:
    """Silent rows for each planned source never heard and each planned log not arriving."""
    if plan is None:
        return []
    stamp = naive_utc(now)
    rows: list[SourceRow] = []
    for source in plan.sources:
        if source.platform == "mdm":
            continue  # phones are imported from an export, never forwarded
        if not any(name_matches(source.name, row.host, row.sender) for row in heard):
            rows.append(_row(source.name, NEVER_SEEN, stamp))
            continue
        channels = expected_channels(plan, source)
        counts = channel_counts(
            store,
            source.name,
            [channel_query(channel) for channel in channels],
            stamp - CHANNEL_WINDOW,
            stamp,
            progress,
        )
        rows += [
            _row(source.name, f"{channel.label} ({MISSING})", stamp)
            for channel, count in zip(channels, counts, strict=True)
            if not count
        ]
    return rows


def _row(name: str, application: str, now: datetime) -> SourceRow:
    return SourceRow(
        key=source_key(name, application),
        sender=name,
        host=name,
        application=application,
        format="",
        transports=[],
        encrypted=None,
        first_seen=now,
        last_seen=now,
        events=0,
        per_minute=[0] * SPARK_MINUTES,
        rate=0.0,
        skew_seconds=None,
        gap_seconds=None,
        expected_seconds=DEFAULT_EXPECTED,
        expected_from="default",
        learned=False,
        quiet_seconds=0.0,
        status="silent",
    )


def missing_sentence(rows: list[SourceRow]) -> str:
    """What the plan expects and is missing, in one sentence; empty when nothing is."""
    planned = [row for row in rows if row.events == 0]
    if not planned:
        return ""
    never = [printable(row.host) for row in planned if row.application == NEVER_SEEN]
    logs = [
        f"{printable(row.application.removesuffix(f' ({MISSING})'))} from {printable(row.host)}"
        for row in planned
        if row.application != NEVER_SEEN
    ]
    parts = []
    if never:
        parts.append("never heard from " + _listed(never))
    if logs:
        parts.append("not seen in 24 h: " + _listed(logs))
    return "Missing from the logging plan: " + "; ".join(parts) + "."


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:NAMED])
    return shown + (f" and {len(names) - NAMED} more" if len(names) > NAMED else "")


def with_plan(
    store: Store,
    plan: LoggingPlan | None,
    heard: list[SourceRow],
    now: datetime,
    progress: Progress | None = None,
) -> list[SourceRow]:
    """The senders heard and the plan's missing rows, in `source_rows`' order (silent first)."""
    rows = heard + planned_rows(store, plan, heard, now, progress)
    rows.sort(
        key=lambda row: (
            STATUSES.index(row.status),
            row.sender.lower(),
            row.application.lower(),
            row.key,
        )
    )
    return rows
