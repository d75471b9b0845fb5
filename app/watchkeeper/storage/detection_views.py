"""Reading detections: the list a person triages, counts per level, stories, and JSON.

Only hits no suppression hides count: a detection whose hits are all suppressed is not
shown, and one partly suppressed shows the range and count of its visible hits. Stories are
worked out here, over the detections read: they are few, and a story depends on which are
visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from watchkeeper.core.attack import tactic_tags, tactics, techniques
from watchkeeper.core.identity import KIND_PERSON, base_kind, parse_account
from watchkeeper.core.progress import Progress
from watchkeeper.storage import hits
from watchkeeper.storage.hits import HitFilter
from watchkeeper.storage.store import Store

LEVELS = ("critical", "high", "medium", "low", "informational")
# Detections this close in time can be one story (see `stories`).
STORY_MINUTES = 30
EVENT_LIMIT = 1000


@dataclass
class DetectionFilter(HitFilter):
    states: Sequence[str] = ()  # empty: every state


WHAT_MATTERS = DetectionFilter(levels=hits.DEFAULT_LEVELS, statuses=hits.DEFAULT_STATUSES)


@dataclass
class Detection:
    id: int
    rule_id: str
    title: str
    level: str
    status: str
    tags: list[str]
    author: str
    host: str
    user: str
    first: datetime | None
    last: datetime | None
    events: int
    hosts: list[str]
    users: list[str]
    state: str
    state_by: str
    state_at: datetime | None
    reason: str
    incident: str
    lead: int = 0  # the story's lead (its own id when it leads or stands alone)
    story_size: int = 1

    @property
    def tactics(self) -> list[str]:
        return tactics(self.tags)

    @property
    def techniques(self) -> list[str]:
        return techniques(self.tags)

    @property
    def leads(self) -> bool:
        return self.lead == self.id


def level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def _rows(store: Store, show_suppressed: bool, progress: Progress | None) -> list[Detection]:
    source, params = ("SELECT * FROM hits", []) if show_suppressed else hits._visible(store)
    rows = store.fetch_all(
        "SELECT d.id, d.rule_id, coalesce(r.title, d.rule_id), coalesce(r.level, ''), "
        "coalesce(r.status, ''), coalesce(r.tags, []), coalesce(r.author, ''), "
        "coalesce(any_value(d.host), ''), coalesce(any_value(d.username), ''), min(h.time), "
        "max(h.time), count(*), list_sort(list(DISTINCT h.host) FILTER (h.host IS NOT NULL)), "
        "list_sort(list(DISTINCT h.username) FILTER (h.username IS NOT NULL)), "
        "any_value(d.state), coalesce(any_value(d.state_by), ''), any_value(d.state_at), "
        "coalesce(any_value(d.reason), ''), coalesce(any_value(d.incident), '') "
        f"FROM ({source}) h JOIN detections d ON d.id = h.detection "
        "LEFT JOIN detection_rules r ON r.rule_id = d.rule_id "
        "GROUP BY d.id, d.rule_id, r.title, r.level, r.status, r.tags, r.author",
        params,
        progress,
    )
    return [
        Detection(
            int(r[0]),
            str(r[1]),
            str(r[2]),
            str(r[3]),
            str(r[4]),
            list(r[5] or []),
            str(r[6]),
            str(r[7]),
            str(r[8]),
            r[9],
            r[10],
            int(r[11]),
            list(r[12] or []),
            list(r[13] or []),
            str(r[14]),
            str(r[15]),
            r[16],
            str(r[17]),
            str(r[18]),
            int(r[0]),
        )
        for r in rows
    ]


def stories(found: list[Detection], minutes: int = STORY_MINUTES) -> None:
    """Set each detection's story lead, led by the most severe (then the earliest, then the
    first found). Two detections within `minutes` of each other are one story when they are
    on one host or name one person, and either share a technique or tactic or are both high
    or critical: an attack's steps (a spray, then a logon elsewhere, then an administrator
    added) have different techniques by design, and severe detections are few."""
    parent = {d.id: d.id for d in found}

    def root(key: int) -> int:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    gap = timedelta(minutes=minutes)
    timed = sorted(
        (d for d in found if d.first is not None and d.last is not None),
        key=lambda d: (d.first, d.id),
    )
    people = {d.id: _people(d) for d in timed}  # read once, compared for many pairs
    active: list[Detection] = []  # earlier ones that end within `gap` of this one
    for item in timed:
        assert item.first is not None
        active = [e for e in active if e.last is not None and e.last + gap >= item.first]
        for earlier in active:
            if (earlier.rule_id, earlier.host) != (item.rule_id, item.host) and _related(
                earlier, item, people
            ):
                parent[root(item.id)] = root(earlier.id)
        active.append(item)
    members: dict[int, list[Detection]] = {}
    for item in found:
        members.setdefault(root(item.id), []).append(item)
    for group in members.values():
        lead = min(group, key=lambda d: (level_rank(d.level), d.first or datetime.max, d.id))
        for item in group:
            item.lead = lead.id
            item.story_size = len(group)


SEVERE = ("critical", "high")
# Names every password guesser tries on every machine: they tie no two detections together.
GUESSED_NAMES = frozenset({"admin", "administrator", "guest", "test", "user", "ubuntu", "pi"})
# groups some events put in a user field
GROUPS = frozenset({"administrators", "users", "guests", "everyone", "support"})


def _people(item: Detection) -> set[str]:
    """The people a detection names, without their domain (CONTOSO\\bob, bob@contoso: bob);
    the system's own accounts, machines and groups are not people (core.identity)."""
    names = set()
    for name in {item.user, *item.users}:
        account = parse_account(name or "")
        if (
            account.name
            and base_kind(account) == KIND_PERSON
            and account.name_key not in GUESSED_NAMES | GROUPS
        ):
            names.add(account.name_key)
    return names


def _related(one: Detection, other: Detection, people: dict[int, set[str]]) -> bool:
    same = one.host.lower() == other.host.lower() or bool(people[one.id] & people[other.id])
    severe = one.level in SEVERE and other.level in SEVERE
    return same and (severe or _overlap(one, other))


def _overlap(one: Detection, other: Detection) -> bool:
    """Whether two detections share a tactic or a technique (T1110.001 is a T1110)."""
    return bool(
        {t.split(".")[0] for t in one.techniques} & {t.split(".")[0] for t in other.techniques}
        or set(one.tactics) & set(other.tactics)
    )


def _kept(item: Detection, where: DetectionFilter) -> bool:
    if where.levels and item.level not in where.levels:
        return False
    if where.statuses and item.status not in where.statuses:
        return False
    if where.states and item.state not in where.states:
        return False
    if where.tactic and not set(tactic_tags(where.tactic)) & set(item.tags):
        return False
    return not where.host or where.host.lower() in (h.lower() for h in item.hosts)


def list_detections(
    store: Store, where: DetectionFilter = WHAT_MATTERS, progress: Progress | None = None
) -> list[Detection]:
    """Detections under `where`, each with its story's lead: stories first by their lead's
    level and latest time, a lead before the rest of its story."""
    found = _rows(store, where.show_suppressed, progress)
    stories(found)
    by_id = {d.id: d for d in found}
    latest_of: dict[int, float] = {}
    for item in found:
        if item.last is not None:
            latest_of[item.lead] = max(latest_of.get(item.lead, 0.0), item.last.timestamp())

    def quick(item: Detection) -> tuple[Any, ...]:
        lead = by_id[item.lead]
        return (
            level_rank(lead.level),
            -latest_of.get(lead.id, 0.0),
            lead.id,
            not item.leads,
            level_rank(item.level),
            item.first or datetime.max,
            item.id,
        )

    return sorted((d for d in found if _kept(d, where)), key=quick)


def detection_counts(store: Store, new_only: bool = False) -> dict[str, int]:
    """Visible detections per level (what the overview shows); with `new_only`, only those
    nobody has looked at yet."""
    counted: dict[str, int] = {}
    for item in _rows(store, False, None):
        if not new_only or item.state == "new":
            counted[item.level] = counted.get(item.level, 0) + 1
    return counted


def counts(store: Store) -> tuple[dict[str, int], int]:
    """Visible detections per level, and how many of those the Hits view opens on (high and
    critical, of stable and test rules) are new: the navigation's badge."""
    found = _rows(store, False, None)
    levels: dict[str, int] = {}
    for item in found:
        levels[item.level] = levels.get(item.level, 0) + 1
    matter = DetectionFilter(levels=WHAT_MATTERS.levels, statuses=WHAT_MATTERS.statuses)
    return levels, sum(1 for item in found if item.state == "new" and _kept(item, matter))


def new_count(store: Store) -> int:
    """Visible detections of high and critical level that nobody has looked at yet."""
    return counts(store)[1]


def detection_event_ids(
    store: Store, detection_id: int, limit: int | None = None, show_suppressed: bool = False
) -> list[int]:
    source, params = ("SELECT * FROM hits", []) if show_suppressed else hits._visible(store)
    sql = f"SELECT event FROM ({source}) h WHERE detection = ? ORDER BY time NULLS LAST, event"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [int(r[0]) for r in store.fetch_all(sql, [*params, detection_id])]


def document(item: Detection) -> dict[str, Any]:
    """A detection as `detections --json` and `hits --json` print it."""
    return {
        "id": item.id,
        "state": item.state,
        "level": item.level,
        "rule": item.rule_id,
        "title": item.title,
        "status": item.status,
        "author": item.author,
        "host": item.host,
        "user": item.user,
        "first": item.first.isoformat() if item.first else None,
        "last": item.last.isoformat() if item.last else None,
        "events": item.events,
        "hosts": item.hosts,
        "users": item.users,
        "tactics": item.tactics,
        "techniques": item.techniques,
        "lead": item.lead,
        "story_size": item.story_size,
        "state_by": item.state_by,
        "state_at": item.state_at.isoformat() if item.state_at else None,
        "reason": item.reason,
        "incident": item.incident or None,
    }


def detections_json(
    store: Store, where: DetectionFilter, event_limit: int | None = None
) -> list[dict[str, Any]]:
    """Detections as documents; with `event_limit`, each with its events' ids (that many)."""
    result = []
    for item in list_detections(store, where):
        entry = document(item)
        if event_limit is not None:
            ids = detection_event_ids(
                store, item.id, event_limit + 1, show_suppressed=where.show_suppressed
            )
            entry["event_ids"] = ids[:event_limit]
            entry["events_truncated"] = len(ids) > event_limit
        result.append(entry)
    return result
