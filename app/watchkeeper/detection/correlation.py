"""Sigma correlation rules as DuckDB window functions.

Every referenced rule contributes its matching events as rows (id, time, ref, group values,
value); a window over each group, framed by the rule's timespan, counts events, distinct
values or distinct rules, and the events inside any window that met the condition are the
hits. A referenced correlation contributes the events it matched, so "a brute force followed
by a success" is a temporal_ordered correlation over an event_count one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from watchkeeper.core.errors import WatchkeeperError

OPERATORS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "=", "neq": "<>"}

# (rule, group field names, aliases, measured field, label) -> SELECTs of id, time, ref (the
# label), g0.., v: the rule's events in each table it reads.
BaseQuery = Callable[[Any, list[str], dict[str, str], str | None, str], list[str]]


class CorrelationError(WatchkeeperError):
    pass


def group_columns(count: int) -> list[str]:
    return [f"g{i}" for i in range(count)]


def matched_events(rule: Any, find: Callable[[str], Any], base: BaseQuery,
                   depth: int = 0) -> str:
    """SELECT id, time, g0.. of the events in groups that met the correlation's condition."""
    if depth > 3:
        raise CorrelationError("correlations nest more than three deep")
    spec = rule.correlation
    group_by: list[str] = list(spec["group_by"])
    groups = group_columns(len(group_by))
    parts: list[str] = []
    order: list[str] = []
    for reference in spec["rules"]:
        target = find(reference)
        if target is None:
            raise CorrelationError(f"refers to {reference!r}, which is not loaded")
        fields = {alias: mapping.get(reference, alias)
                  for alias, mapping in spec["aliases"].items()}
        names = [fields.get(name, name) for name in group_by]
        tag = _literal(reference)
        if target.kind == "correlation":
            inner = matched_events(target, find, base, depth + 1)
            inner_groups = list(target.correlation["group_by"])
            picks = []
            for name in names:
                if name not in inner_groups:
                    raise CorrelationError(f"groups by {name!r}, which {reference!r} does not")
                picks.append(f"g{inner_groups.index(name)}")
            selected = ", ".join(f"{p} AS {g}" for p, g in zip(picks, groups, strict=True))
            parts.append(f"SELECT id, time, {tag} AS ref{', ' if groups else ''}{selected}, "
                         f"NULL::VARCHAR AS v FROM ({inner})")
        else:
            parts.extend(base(target, names, fields, spec.get("field"), reference))
        order.append(reference)
    if not parts:
        return _nothing(groups)
    events = " UNION ALL ".join(parts)
    span = int(spec["timespan"])
    partition = f"PARTITION BY {', '.join(groups)} " if groups else ""
    frame = (f"OVER ({partition}ORDER BY time RANGE BETWEEN INTERVAL {span} SECOND PRECEDING "
             "AND CURRENT ROW)")
    kind = spec["type"]
    if kind == "temporal_ordered":
        return _ordered(events, groups, order, span)
    if kind == "event_count":
        measure = f"count(*) {frame}"
    elif kind == "value_count":
        if not spec.get("field"):
            raise CorrelationError("value_count needs a field to count")
        measure = f"count(DISTINCT v) {frame}"
    elif kind == "temporal":
        measure = f"count(DISTINCT ref) {frame}"
    else:
        raise CorrelationError(f"correlation type {kind!r} is not supported")
    op = OPERATORS.get(spec.get("op") or "gte")
    count = spec.get("count")
    if kind == "temporal" and count is None:
        count, op = len(order), ">="
    if op is None or count is None:
        raise CorrelationError("the condition needs an operator and a number")
    same = " AND ".join(f"b.{g} IS NOT DISTINCT FROM e.{g}" for g in groups) or "true"
    columns = ", ".join(f"b.{g}" for g in groups)
    return (f"WITH b AS ({events}), w AS (SELECT *, {measure} AS n FROM b), "
            f"e AS (SELECT DISTINCT {', '.join([*groups, 'time']) } FROM w WHERE n {op} {float(count)}) "
            f"SELECT DISTINCT b.id, b.time{', ' if groups else ''}{columns} FROM b JOIN e ON {same} "
            f"AND b.time BETWEEN e.time - INTERVAL {span} SECOND AND e.time")


def _ordered(events: str, groups: list[str], order: list[str], span: int) -> str:
    """Each rule in turn, every step no earlier than the one before, all within the span."""
    steps = []
    for index, reference in enumerate(order):
        steps.append(f"s{index} AS (SELECT * FROM b WHERE ref = {_literal(reference)})")
    joins = "s0"
    for index in range(1, len(order)):
        same = " AND ".join(f"s{index}.{g} IS NOT DISTINCT FROM s0.{g}" for g in groups)
        joins += (f" JOIN s{index} ON {same + ' AND ' if same else ''}"
                  f"s{index}.time >= s{index - 1}.time AND "
                  f"s{index}.time <= s0.time + INTERVAL {span} SECOND")
    chains = ", ".join(f"s{i}.id AS id{i}" for i in range(len(order)))
    members = " UNION ".join(f"SELECT id{i} AS id FROM c" for i in range(len(order)))
    columns = ", ".join(f"b.{g}" for g in groups)
    return (f"WITH b AS ({events}), {', '.join(steps)}, c AS (SELECT {chains} FROM {joins}) "
            f"SELECT DISTINCT b.id, b.time{', ' if groups else ''}{columns} FROM b "
            f"WHERE b.id IN ({members})")


def _nothing(groups: list[str]) -> str:
    extra = "".join(f", NULL::VARCHAR AS {g}" for g in groups)
    return f"SELECT NULL::BIGINT AS id, NULL::TIMESTAMP AS time{extra} WHERE false"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
