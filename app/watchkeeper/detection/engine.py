"""Running rules over the store: new events after each import, or everything on request.

Most rules read one log source (two thirds of SigmaHQ's Windows rules are process_creation),
and most log sources are absent from any one store. So the events of each log source in the
range are first copied into a small temporary table with only the columns its rules read; a
log source with no events costs one cheap query, and each rule then runs over a few hundred
rows instead of the whole table. Ranges are cut into chunks of event ids, so a full re-hunt
of millions of events keeps its memory bounded and can be cancelled between queries.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

import duckdb

from watchkeeper.core.errors import Cancelled
from watchkeeper.core.fields import quote_ident, quote_text
from watchkeeper.core.progress import Progress
from watchkeeper.detection import correlation
from watchkeeper.detection.backend import FIELD_TOKEN, PYTHON_REGEX, RAW_FIELD
from watchkeeper.detection.mapping import Target, column, resolve, targets
from watchkeeper.detection.rules import Rule, RuleSet
from watchkeeper.storage import hits
from watchkeeper.storage.schema import EVENT_TABLES, event_table
from watchkeeper.storage.store import Store

LAST_RUN_KEY = hits.DETECTED_UP_TO
CHUNK_IDS = 1_000_000
# Below this many candidate events, each rule's literals are first looked for in the
# candidates' distinct values (see backend.needles); above it, every rule simply runs.
PREFILTER_ROWS = 200_000
_KEEP = ("id", "time", "host", "username")
_SCRATCH = "wk_scratch"
WORKERS = 2


@dataclass
class RuleFailure:
    rule_id: str
    title: str
    path: str
    reason: str


@dataclass
class DetectReport:
    rules: int = 0  # rules that ran
    events: int = 0  # events in the range examined
    new_hits: int = 0
    seconds: float = 0.0
    full: bool = False
    first_id: int = 0
    last_id: int = 0
    failures: list[RuleFailure] = field(default_factory=list)
    hits_by_rule: dict[str, int] = field(default_factory=dict)


@dataclass
class _Group:
    """Rules over one log source of one table."""

    table: str
    target: Target
    rules: list[Rule] = field(default_factory=list)


def plan(ruleset: RuleSet, disabled: Iterable[str] = ()) -> tuple[list[_Group], list[Rule]]:
    """Event rules grouped by table and log source, and the correlation rules, to run."""
    off = set(disabled)
    silent: set[str] = set()  # rules only a correlation uses (Sigma's generate: false)
    correlations = [r for r in ruleset.rules if r.kind == "correlation" and r.rule_id not in off]
    for rule in correlations:
        if not rule.correlation.get("generate"):
            for reference in rule.correlation["rules"]:
                found = ruleset.find(reference)
                if found is not None:
                    silent.add(found.rule_id)
    groups: dict[tuple[str, str, str], _Group] = {}
    for rule in ruleset.rules:
        if rule.kind != "event" or rule.rule_id in off or rule.rule_id in silent:
            continue
        for target in _targets(rule):
            table = event_table(target.family)
            key = (table, target.condition, json.dumps(dict(target.fields), sort_keys=True))
            groups.setdefault(key, _Group(table, target)).rules.append(rule)
    # a silenced correlation is still evaluated, through the correlations that refer to it
    return list(groups.values()), [r for r in correlations if r.rule_id not in silent]


def _targets(rule: Rule) -> list[Target]:
    source = rule.logsource
    return targets(source.get("product"), source.get("category"), source.get("service"))


def detect(
    store: Store,
    ruleset: RuleSet,
    progress: Progress | None = None,
    full: bool = False,
    chunk: int = CHUNK_IDS,
    keep: Iterable[str] = (),
) -> DetectReport:
    """Run the rules over events newer than the last run (or all events, with `full`, which
    replaces the stored hits except those of the rules in `keep`)."""
    started = time.perf_counter()
    report = DetectReport(full=full)
    top = store.fetch_one("SELECT coalesce(max(id), 0) FROM events")
    report.last_id = int(top[0]) if top else 0
    done = 0 if full else int(hits.get_meta(store, LAST_RUN_KEY) or 0)
    report.first_id = done
    disabled = hits.disabled_rules(store)
    groups, correlations = plan(ruleset, disabled)
    if report.last_id <= done:
        report.seconds = time.perf_counter() - started
        return report
    if progress is not None:
        progress.update(
            stage="Running detection rules", done=0, total=report.last_id - done, item=""
        )
    python_regex = any(PYTHON_REGEX in rule.predicate for rule in ruleset.rules)
    with _Runner(store, progress, python_regex) as runner:
        found = runner.found
        ran: set[str] = set()
        low = done
        while low < report.last_id:
            high = min(low + chunk, report.last_id)
            report.events += runner.chunk(groups, low, high, ran, report)
            low = high
            if progress is not None:
                progress.update(done=high - done)
        _run_correlations(
            store, runner.con, ruleset, correlations, done, report.last_id, full, found, ran, report
        )
        report.rules = len(ran)
        report.hits_by_rule = {
            str(r): int(n)
            for r, n in runner.con.execute(f"SELECT r, count(*) FROM {found} GROUP BY r").fetchall()
        }
        by_id = {rule.rule_id: rule for rule in ruleset.rules}
        # A hunt over everything replaces the stored hits, but a disabled rule keeps its hits
        # (undoing the suppression brings them back), and so does a rule that failed this time.
        kept = {*keep, *disabled, *(failure.rule_id for failure in report.failures)}
        # the hits, and that their events have been seen, are stored together or not at all
        report.new_hits = hits.save_from(
            store,
            (_row(by_id[r]) for r in report.hits_by_rule),
            found,
            EVENT_TABLES,
            replace=full,
            keep=kept,
            meta={LAST_RUN_KEY: str(report.last_id)},
        )
    report.seconds = time.perf_counter() - started
    return report


class _Runner:
    """Connections that run rules over a candidate table, two at a time.

    Most of a rule's cost is DuckDB binding its query, on the calling thread with the GIL
    released, so two connections run nearly twice the rules a second on two cores. The
    candidate table lives in an in-memory database attached to the store's instance, where
    every connection sees it and nothing is written to the store's file.
    """

    def __init__(self, store: Store, progress: Progress | None, python_regex: bool) -> None:
        self.store = store
        self.progress = progress
        self.con = store.cursor()
        self.con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {_SCRATCH}")
        run = uuid.uuid4().hex
        self.table = f"{_SCRATCH}.candidates_{run}"
        # what the rules found, as (rule id, event id, group key): kept out of Python
        self.found = f"{_SCRATCH}.found_{run}"
        self.con.execute(f"CREATE TABLE {self.found} (r VARCHAR, e BIGINT, g VARCHAR)")
        workers = max(1, min(WORKERS, os.cpu_count() or 1))
        self.cursors = [self.con] + [store.cursor() for _ in range(workers - 1)]
        # Only when a rule needs it, and before any query (a cursor with a result open
        # refuses): each registration leaks a reference in DuckDB's Python client, and enough
        # of them crash the process.
        if python_regex:
            for cursor in self.cursors:
                _register_functions(cursor)
        self.pool = ThreadPoolExecutor(len(self.cursors)) if len(self.cursors) > 1 else None
        self._free: queue.SimpleQueue[duckdb.DuckDBPyConnection] = queue.SimpleQueue()
        for cursor in self.cursors:
            self._free.put(cursor)
        if progress is not None:
            progress.on_cancel(self.stop)

    def __enter__(self) -> _Runner:
        return self

    def __exit__(self, kind: object, value: object, tb: object) -> None:
        if self.progress is not None:
            self.progress.remove_cancel_hook(self.stop)
        if self.pool is not None:
            self.pool.shutdown(wait=True)
        with contextlib.suppress(duckdb.Error):
            self.con.execute(f"DROP TABLE IF EXISTS {self.table}")
            self.con.execute(f"DROP TABLE IF EXISTS {self.found}")
        for cursor in self.cursors:
            cursor.close()
        if isinstance(value, duckdb.InterruptException):
            raise Cancelled("Detection stopped at your request; no hits were saved.") from value

    def stop(self) -> None:
        for cursor in self.cursors:
            with contextlib.suppress(duckdb.Error):
                cursor.interrupt()

    def chunk(
        self, groups: list[_Group], low: int, high: int, ran: set[str], report: DetectReport
    ) -> int:
        """Run every group's rules over events with ids in (low, high]; events examined."""
        examined = 0
        con = self.con
        for table in EVENT_TABLES:
            mine = [g for g in groups if g.table == table]
            if not mine:
                continue
            columns = self.store.table_columns(table)
            # One pass counts every log source's events, so absent ones cost nothing more.
            conditions = [resolve(g.target.condition, g.target, columns) or "true" for g in mine]
            counts = ", ".join(f"count(*) FILTER (WHERE {c})" for c in conditions)
            row = con.execute(
                f"SELECT count(*), {counts} FROM {table} WHERE id > ? AND id <= ?", [low, high]
            ).fetchone() or (0,)
            examined += int(row[0] or 0)
            for group, present in zip(mine, row[1:], strict=True):
                ran.update(rule.rule_id for rule in group.rules)
                if present:
                    if self.progress is not None:
                        self.progress.check()
                    self._group(group, table, columns, low, high, report)
        return examined

    def _group(
        self,
        group: _Group,
        table: str,
        columns: dict[str, str],
        low: int,
        high: int,
        report: DetectReport,
    ) -> None:
        con = self.con
        memo: dict[str, str] = {}
        condition = resolve(group.target.condition, group.target, columns, memo) or "true"
        used: set[str] = set()
        for rule in group.rules:
            used.update(_columns_read(rule.predicate, group.target, columns, memo))
        keep = ", ".join(
            quote_ident(c) for c in dict.fromkeys([*(columns[k] for k in _KEEP), *sorted(used)])
        )
        con.execute(
            f"CREATE OR REPLACE TABLE {self.table} AS SELECT {keep} FROM {table} "
            f"WHERE id > ? AND id <= ? AND ({condition})",
            [low, high],
        )
        size = con.execute(f"SELECT count(*) FROM {self.table}").fetchone()
        if not size or not size[0]:
            return
        present = _haystacks(con, self.table, group, columns) if size[0] <= PREFILTER_ROWS else None
        todo = [
            rule for rule in group.rules if present is None or _may_match(rule.needles, present)
        ]

        def run(rule: Rule) -> tuple[Rule, BaseException | None]:
            cursor = self._free.get()
            try:
                predicate = resolve(rule.predicate, group.target, columns, memo)
                cursor.execute(
                    f"INSERT INTO {self.found} SELECT ?, id, NULL FROM {self.table} "
                    f"WHERE {predicate}",
                    [rule.rule_id],
                )
                return rule, None
            except duckdb.InterruptException:
                raise
            except duckdb.Error as error:
                return rule, error
            finally:
                self._free.put(cursor)

        results = self.pool.map(run, todo) if self.pool is not None else map(run, todo)
        for rule, failure in results:
            if failure is not None:
                _fail(report, rule, failure)


def _haystacks(
    con: duckdb.DuckDBPyConnection, table: str, group: _Group, columns: dict[str, str]
) -> dict[str, str]:
    """Each field the group's rules look for text in: its distinct values, lower-cased."""
    # The raw records are most of a batch's bytes; keyword rules are few and simply run.
    names = sorted(
        {name for rule in group.rules for clause in rule.needles for name, _text in clause}
        - {RAW_FIELD}
    )
    if not names:
        return {}
    # lower() once over each field's joined text, not once a row
    values = ", ".join(
        f"lower(string_agg(DISTINCT CAST({column(name, group.target, columns)} AS VARCHAR), "
        "chr(10)))"
        for name in names
    )
    row = con.execute(f"SELECT {values} FROM {table}").fetchone() or ()
    # each value between newlines, so a number can be looked for as a whole value
    return {name: f"\n{text}\n" if text else "" for name, text in zip(names, row, strict=True)}


def _may_match(clauses: list[list[list[str]]], present: dict[str, str]) -> bool:
    return all(
        any(name == RAW_FIELD or text in present.get(name, "") for name, text in clause)
        for clause in clauses
    )


_QUOTED = re.compile(r'"((?:[^"]|"")*)"')


def _columns_read(
    predicate: str, target: Target, columns: dict[str, str], memo: dict[str, str]
) -> set[str]:
    names: set[str] = set()
    for token in set(FIELD_TOKEN.findall(predicate) + FIELD_TOKEN.findall(target.condition)):
        sql = memo.get(token)
        if sql is None:
            sql = memo[token] = column(token, target, columns)
        names.update(m.replace('""', '"') for m in _QUOTED.findall(sql))
    if "@auditd_type" in predicate and "types" in columns:
        names.add(columns["types"])
    return names


def _run_correlations(
    store: Store,
    con: duckdb.DuckDBPyConnection,
    ruleset: RuleSet,
    correlations: list[Rule],
    low: int,
    high: int,
    full: bool,
    found: str,
    ran: set[str],
    report: DetectReport,
) -> None:
    if not correlations:
        return
    # New events reach back into older ones by at most the longest timespan.
    window = ""
    if not full:
        row = con.execute(
            "SELECT min(time), max(time) FROM events WHERE id > ? AND id <= ?", [low, high]
        ).fetchone()
        if row is None or row[0] is None:
            return
        window = f"{row[0].isoformat(sep=' ')}|{row[1].isoformat(sep=' ')}"

    def base(
        rule: Rule, names: list[str], fields: dict[str, str], value: str | None, label: str
    ) -> list[str]:
        selects = []
        for target in _targets(rule):
            table = event_table(target.family)
            columns = store.table_columns(table)
            groups = "".join(
                f", lower(CAST({column(fields.get(n, n), target, columns)} AS VARCHAR)) AS g{i}"
                for i, n in enumerate(names)
            )
            measured = (
                f"CAST({column(value, target, columns)} AS VARCHAR)" if value else "NULL::VARCHAR"
            )
            condition = resolve(target.condition, target, columns) or "true"
            predicate = resolve(rule.predicate, target, columns)
            span = ""
            if window:
                first, last = window.split("|")
                seconds = max(correlation.reach(r, find) for r in correlations)
                span = (
                    f" AND time BETWEEN TIMESTAMP '{first}' - INTERVAL {seconds} SECOND "
                    f"AND TIMESTAMP '{last}' + INTERVAL {seconds} SECOND"
                )
            selects.append(
                f"SELECT id, time, {quote_text(label)} AS ref{groups}, "
                f"{measured} AS v FROM {table} WHERE time IS NOT NULL{span} AND ({condition}) "
                f"AND ({predicate})"
            )
        return selects

    def find(reference: str) -> Rule | None:
        return ruleset.find(reference)

    for rule in correlations:
        try:
            sql = correlation.matched_events(rule, find, base)
            groups = [f"m.g{i}" for i in range(len(rule.correlation["group_by"]))]
            key = f"CAST(to_json(list_value({', '.join(groups)})) AS VARCHAR)" if groups else "'[]'"
            # a group whose events are all old was found by an earlier run
            con.execute(
                f"INSERT INTO {found} WITH m AS ({sql}), k AS (SELECT *, {key} AS key FROM m "
                f"WHERE m.id IS NOT NULL) SELECT ?, id, key FROM k WHERE ? OR key IN "
                f"(SELECT key FROM k WHERE id > ?)",
                [rule.rule_id, full, low],
            )
        except duckdb.InterruptException:
            raise
        except (duckdb.Error, correlation.CorrelationError) as error:
            _fail(report, rule, error)
            continue
        ran.add(rule.rule_id)


def _fail(report: DetectReport, rule: Rule, error: BaseException) -> None:
    reason = " ".join(str(error).split())
    reason = reason.split(" LINE ")[0][:300]
    report.failures.append(RuleFailure(rule.rule_id, rule.title, rule.path, reason))


def _row(rule: Rule) -> hits.RuleRow:
    return hits.RuleRow(
        rule.rule_id,
        rule.title,
        rule.level,
        rule.status,
        list(rule.tags),
        rule.description,
        list(rule.references),
        list(rule.falsepositives),
        rule.author,
        rule.path,
        rule.kind,
        rule.text,
    )


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _python_regex(text: str, pattern: str) -> bool:
    compiled = _compiled(pattern)
    return compiled is not None and compiled.search(text) is not None


def _register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Regular expressions RE2 cannot run (lookarounds, back-references) use Python's re."""
    with contextlib.suppress(duckdb.Error):  # already registered on this connection
        con.create_function(PYTHON_REGEX, _python_regex, ["VARCHAR", "VARCHAR"], "BOOLEAN")
