"""Running one log source's rules over a small table of its candidate events.

Most rules read one log source (two thirds of SigmaHQ's Windows rules are process_creation),
and most log sources are absent from any one store. So the events of each log source in the
range are first copied into a small temporary table with only the columns its rules read; a
log source with no events costs one cheap query, and each rule then runs over a few hundred
rows instead of the whole table.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

import duckdb

from watchkeeper.core.errors import Cancelled
from watchkeeper.core.fields import quote_ident
from watchkeeper.core.progress import Progress
from watchkeeper.detection.backend import FIELD_TOKEN, PYTHON_REGEX, RAW_FIELD
from watchkeeper.detection.mapping import Target, column, resolve
from watchkeeper.detection.report import DetectReport
from watchkeeper.detection.rules import Rule
from watchkeeper.storage import archive
from watchkeeper.storage.schema import EVENT_TABLES
from watchkeeper.storage.store import Store

# Below this many candidate events, each rule's literals are first looked for in the
# candidates' distinct values (see backend.needles); above it, every rule simply runs.
PREFILTER_ROWS = 200_000
_KEEP = ("id", "time", "host", "username")
_SCRATCH = "wk_scratch"
WORKERS = 2


@dataclass
class RuleGroup:
    """Rules over one log source of one table."""

    table: str
    target: Target
    rules: list[Rule] = field(default_factory=list)


class RuleRunner:
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
                register_python_regex(cursor)
        self.pool = ThreadPoolExecutor(len(self.cursors)) if len(self.cursors) > 1 else None
        self._free: queue.SimpleQueue[duckdb.DuckDBPyConnection] = queue.SimpleQueue()
        for cursor in self.cursors:
            self._free.put(cursor)
        if progress is not None:
            progress.on_cancel(self.stop)

    def __enter__(self) -> RuleRunner:
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
        self, groups: list[RuleGroup], low: int, high: int, ran: set[str], report: DetectReport
    ) -> int:
        """Run every group's rules over events with ids in (low, high]; events examined."""
        examined = 0
        con = self.con
        for table in EVENT_TABLES:
            mine = [g for g in groups if g.table == table]
            if not mine:
                continue
            columns = self.store.table_columns(table)
            # a re-hunt reaching back into archived days reads them from the archive too
            source = archive.relation(self.store, table, low, high)
            # One pass counts every log source's events, so absent ones cost nothing more.
            conditions = [resolve(g.target.condition, g.target, columns) or "true" for g in mine]
            counts = ", ".join(f"count(*) FILTER (WHERE {c})" for c in conditions)
            row = con.execute(
                f"SELECT count(*), {counts} FROM {source} WHERE id > ? AND id <= ?", [low, high]
            ).fetchone() or (0,)
            examined += int(row[0] or 0)
            for group, present in zip(mine, row[1:], strict=True):
                ran.update(rule.rule_id for rule in group.rules)
                if present:
                    if self.progress is not None:
                        self.progress.check()
                    self._group(group, source, columns, low, high, report)
        return examined

    def _group(
        self,
        group: RuleGroup,
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
                report.fail(rule, failure)


def _haystacks(
    con: duckdb.DuckDBPyConnection, table: str, group: RuleGroup, columns: dict[str, str]
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


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _python_regex(text: str, pattern: str) -> bool:
    compiled = _compiled(pattern)
    return compiled is not None and compiled.search(text) is not None


def register_python_regex(con: duckdb.DuckDBPyConnection) -> None:
    """Regular expressions RE2 cannot run (lookarounds, back-references) use Python's re."""
    with contextlib.suppress(duckdb.Error):  # already registered on this connection
        con.create_function(PYTHON_REGEX, _python_regex, ["VARCHAR", "VARCHAR"], "BOOLEAN")
