"""Reads the Hits view and the timeline need beside storage.hits: filter choices, the values
a rule's hits carry (to offer as suppressions), and hit markers for a filtered time range."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from watchkeeper.core.attack import tactic_of
from watchkeeper.core.fields import quote_ident
from watchkeeper.core.progress import Progress
from watchkeeper.storage import hits
from watchkeeper.storage.store import Store

MARK_LIMIT = 5000


@dataclass
class HitFacets:
    """What the Hits view's filters offer: the tactics and hosts that have hits."""

    tactics: list[str]
    hosts: list[str]


@dataclass(frozen=True)
class HitMark:
    """One hit on the timeline."""

    time: datetime
    level: str
    title: str
    rule_id: str


def facets(store: Store, progress: Progress | None = None, limit: int = 500) -> HitFacets:
    """The ATT&CK tactics of rules with hits, and the hosts hits were on."""
    tag_rows = store.fetch_all(
        "SELECT DISTINCT unnest(r.tags) AS tag FROM detection_rules r "
        "WHERE r.rule_id IN (SELECT DISTINCT rule_id FROM hits) ORDER BY tag",
        [],
        progress,
    )
    tactics = {tactic_of(str(r[0])) for r in tag_rows if r[0]}
    host_rows = store.fetch_all(
        "SELECT host FROM hits WHERE host IS NOT NULL GROUP BY host "
        f"ORDER BY lower(host) LIMIT {int(limit)}",
        [],
        progress,
    )
    return HitFacets(sorted(t for t in tactics if t), [str(r[0]) for r in host_rows])


def field_values(
    store: Store, rule_id: str, field_name: str, limit: int = 50, progress: Progress | None = None
) -> list[tuple[str, int]]:
    """A field's values in the events a rule hit, most frequent first; [] for an unknown field."""
    column = store.resolve(field_name)
    if column is None:
        return []
    name = quote_ident(column)
    rows = store.fetch_all(
        # by position: an original field may itself be called "value"
        f"SELECT CAST({name} AS VARCHAR), count(*) FROM events "
        f"WHERE id IN (SELECT event FROM hits WHERE rule_id = ?) AND {name} IS NOT NULL "
        f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {int(limit)}",
        [rule_id],
        progress,
    )
    return [(str(value), int(count)) for value, count in rows if str(value).strip()]


def hit_marks(
    store: Store,
    start: datetime,
    end: datetime,
    levels: Sequence[str] = (),
    where: str = "TRUE",
    params: Sequence[object] = (),
    limit: int = MARK_LIMIT,
    progress: Progress | None = None,
) -> list[HitMark]:
    """Visible hits in [start, end) on events that match a compiled filter (`where`, `params`).

    `where` comes from storage.filters.compile_filter, so it holds no pasted values.
    """
    # The same notion of visible as the Hits view: a suppressed hit leaves no marker.
    source, sql_params = hits._visible(store)
    conditions = ["h.time IS NOT NULL", "h.time >= ?", "h.time < ?"]
    sql_params += [start, end]
    if levels:
        conditions.append("list_contains(?, r.level)")
        sql_params.append(list(levels))
    if where.strip().upper() != "TRUE":
        # The filter may scan every event: first make sure there is a hit to mark.
        found = store.fetch_one(
            f"SELECT 1 FROM ({source}) h JOIN detection_rules r "
            f"USING (rule_id) WHERE {' AND '.join(conditions)} LIMIT 1",
            sql_params,
            progress,
        )
        if found is None:
            return []
        conditions.append(f"h.event IN (SELECT id FROM events WHERE {where})")
        sql_params += list(params)
    rows = store.fetch_all(
        f"SELECT h.time, r.level, r.title, h.rule_id FROM ({source}) h "
        f"JOIN detection_rules r USING (rule_id) WHERE {' AND '.join(conditions)} "
        f"ORDER BY h.time LIMIT {int(limit)}",
        sql_params,
        progress,
    )
    return [HitMark(r[0], r[1] or "", str(r[2]), str(r[3])) for r in rows]
