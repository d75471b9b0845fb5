"""Sigma correlation rules as DuckDB window functions.

Every referenced rule contributes its matching events as rows (id, time, ref, group values,
value); a window over each group, framed by the rule's timespan, counts events, distinct
values or distinct rules, and the events inside any window that met the condition are the
hits. A referenced correlation contributes the events it matched, so "a brute force followed
by a success" is a temporal_ordered correlation over an event_count one.

As in pySigma's SQLite backend, an event without a value for a group-by field belongs to no
group (otherwise every event lacking the field would pile up in one group and trip the
threshold), and group values and counted values compare without regard to case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.fields import quote_text

OPERATORS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "=", "neq": "<>"}
MAX_DEPTH = 3

# (rule, group field names, aliases, measured field, label) -> SELECTs of id, time, ref (the
# label), g0.., v: the rule's events in each table it reads.
BaseQuery = Callable[[Any, list[str], dict[str, str], str | None, str], list[str]]


class CorrelationError(WatchkeeperError):
    pass


def group_columns(count: int) -> list[str]:
    return [f"g{i}" for i in range(count)]


def reach(rule: Any, find: Callable[[str], Any], depth: int = 0) -> int:
    """Seconds before (or after) an event that the rule's hits around it can depend on.

    A correlation over a correlation reaches back by both timespans: the outer window may
    start at an inner hit whose own window began one inner timespan earlier.
    """
    if depth > MAX_DEPTH:
        raise CorrelationError("correlations nest more than three deep")
    spec = rule.correlation
    inner = [
        reach(target, find, depth + 1)
        for target in map(find, spec["rules"])
        if target is not None and target.kind == "correlation"
    ]
    return int(spec["timespan"]) + max(inner, default=0)


def matched_events(rule: Any, find: Callable[[str], Any], base: BaseQuery, depth: int = 0) -> str:
    """SELECT id, time, g0.. of the events in groups that met the correlation's condition."""
    if depth > MAX_DEPTH:
        raise CorrelationError("correlations nest more than three deep")
    spec = rule.correlation
    group_by: list[str] = list(spec["group_by"])
    groups = group_columns(len(group_by))
    kind = spec["type"]
    measured = spec.get("field")
    if kind == "value_count" and not measured:
        raise CorrelationError("value_count needs a field to count")
    parts: list[str] = []
    order: list[str] = []
    for reference in spec["rules"]:
        target = find(reference)
        if target is None:
            raise CorrelationError(f"refers to {reference!r}, which is not loaded")
        fields = {
            alias: mapping.get(reference, alias) for alias, mapping in spec["aliases"].items()
        }
        names = [fields.get(name, name) for name in group_by]
        tag = quote_text(reference)
        if target.kind == "correlation":
            inner = matched_events(target, find, base, depth + 1)
            inner_groups = list(target.correlation["group_by"])
            picks = []
            for name in names:
                if name not in inner_groups:
                    raise CorrelationError(f"groups by {name!r}, which {reference!r} does not")
                picks.append(f"g{inner_groups.index(name)}")
            selected = "".join(f", {p} AS {g}" for p, g in zip(picks, groups, strict=True))
            parts.append(
                f"SELECT id, time, {tag} AS ref{selected}, NULL::VARCHAR AS v FROM ({inner})"
            )
        else:
            value = fields.get(measured, measured) if measured else None
            parts.extend(base(target, names, fields, value, reference))
        order.append(reference)
    if not parts:
        return _nothing(groups)
    grouped = " AND ".join(f"{g} IS NOT NULL" for g in groups) or "true"
    events = f"SELECT * FROM ({' UNION ALL '.join(parts)}) WHERE {grouped}"
    span = int(spec["timespan"])
    if kind == "temporal_ordered":
        return _ordered(events, groups, order, span)
    partition = f"PARTITION BY {', '.join(groups)} " if groups else ""
    frame = (
        f"OVER ({partition}ORDER BY time RANGE BETWEEN INTERVAL {span} SECOND PRECEDING "
        "AND CURRENT ROW)"
    )
    if kind == "event_count":
        measure = f"count(DISTINCT id) {frame}"  # an event two rules match counts once
    elif kind == "value_count":
        measure = f"count(DISTINCT lower(v)) {frame}"
    elif kind == "temporal":
        measure = f"count(DISTINCT ref) {frame}"
    else:
        raise CorrelationError(f"correlation type {kind!r} is not supported")
    op = OPERATORS.get(spec.get("op") or "gte")
    count = spec.get("count")
    if kind == "temporal" and count is None:
        count, op = len(set(order)), ">="
    if op is None or count is None:
        raise CorrelationError("the condition needs an operator and a number")
    # An event is in a window that met the condition when such a window ends at most one
    # span after it: a second window pass, where a join of events to window ends would
    # make a row for every pair (minutes on a busy group).
    ahead = (
        f"OVER ({partition}ORDER BY time RANGE BETWEEN CURRENT ROW AND INTERVAL {span} "
        "SECOND FOLLOWING)"
    )
    columns = "".join(f", {g}" for g in groups)
    return (
        f"WITH b AS ({events}), w AS (SELECT *, {measure} AS n FROM b), "
        f"m AS (SELECT *, max(CASE WHEN n {op} {float(count)} THEN 1 ELSE 0 END) {ahead} "
        f"AS met FROM w) SELECT DISTINCT id, time{columns} FROM m WHERE met = 1"
    )


def _ordered(events: str, groups: list[str], order: list[str], span: int) -> str:
    """The events of any chain with one event of each rule in turn, all within the span.

    Events are ordered by time, then by id (the order they were read in), so two events of
    the same second keep the order of their log, and no event fills two steps. Chains are
    not listed one by one (three busy rules would make billions): a forward pass finds, for
    each event of step i, the latest start of a chain of steps 0..i ending at it; a backward
    pass finds the earliest end of a chain of steps i..n-1 starting at it; an event is in a
    chain when that end is within the span of that start.
    """
    g = "".join(f", {name}" for name in groups)
    partition = f"PARTITION BY {', '.join(groups)} " if groups else ""
    within = f"INTERVAL {span} SECOND"
    steps = [
        f"s{i} AS (SELECT DISTINCT id, time{g} FROM b WHERE ref = {quote_text(ref)})"
        for i, ref in enumerate(order)
    ]
    # f{i}: events of step i with the latest start of a chain ending at them
    passes = [f"f0 AS (SELECT id, time{g}, time AS start FROM s0)"]
    for i in range(1, len(order)):
        passes.append(
            f"f{i} AS (SELECT id, time{g}, start FROM (SELECT id, time{g}, side, "
            f"max(CASE WHEN side = 0 THEN start END) OVER ({partition}ORDER BY time, id, "
            "side DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS start FROM ("
            f"SELECT id, time{g}, start, 0 AS side FROM f{i - 1} UNION ALL "
            f"SELECT id, time{g}, NULL::TIMESTAMP, 1 FROM s{i})) "
            f"WHERE side = 1 AND time <= start + {within})"
        )
    # r{i}: events of step i with the earliest end of a chain through them, kept if in span
    last = len(order) - 1
    passes.append(f"r{last} AS (SELECT id, time{g}, start, time AS finish FROM f{last})")
    for i in range(last - 1, -1, -1):
        passes.append(
            f"r{i} AS (SELECT id, time{g}, start, finish FROM (SELECT id, time{g}, start, side, "
            f"min(CASE WHEN side = 1 THEN finish END) OVER ({partition}ORDER BY time, id, "
            "side DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS finish FROM ("
            f"SELECT id, time{g}, start, NULL::TIMESTAMP AS finish, 0 AS side FROM f{i} "
            f"UNION ALL SELECT id, time{g}, NULL::TIMESTAMP, finish, 1 FROM r{i + 1})) "
            f"WHERE side = 0 AND finish <= start + {within})"
        )
    members = " UNION ALL ".join(f"SELECT id, time{g} FROM r{i}" for i in range(len(order)))
    return (
        f"WITH b AS ({events}), {', '.join(steps + passes)} "
        f"SELECT DISTINCT id, time{g} FROM ({members})"
    )


def _nothing(groups: list[str]) -> str:
    extra = "".join(f", NULL::VARCHAR AS {g}" for g in groups)
    return f"SELECT NULL::BIGINT AS id, NULL::TIMESTAMP AS time{extra} WHERE false"
