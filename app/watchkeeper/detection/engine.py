"""Running rules over the store: new events after each import, or everything on request.

Event rules run a log source at a time over a small table of its candidate events (see
runner.py). Ranges are cut into chunks of event ids, so a full re-hunt of millions of events
keeps its memory bounded and can be cancelled between queries.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

import duckdb

from watchkeeper.core.fields import quote_text
from watchkeeper.core.progress import Progress
from watchkeeper.detection import correlation
from watchkeeper.detection.backend import FIELD_TOKEN, PYTHON_REGEX
from watchkeeper.detection.mapping import Target, column, resolve, targets
from watchkeeper.detection.report import DetectReport
from watchkeeper.detection.rules import Rule, RuleSet
from watchkeeper.detection.runner import RuleGroup, RuleRunner
from watchkeeper.storage import archive, detections, hits
from watchkeeper.storage.schema import EVENT_TABLES, TOP_ID, event_table
from watchkeeper.storage.store import Store

LAST_RUN_KEY = hits.DETECTED_UP_TO
CHUNK_IDS = 1_000_000


def plan(ruleset: RuleSet, disabled: Iterable[str] = ()) -> tuple[list[RuleGroup], list[Rule]]:
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
    groups: dict[tuple[str, str, str], RuleGroup] = {}
    for rule in ruleset.rules:
        if rule.kind != "event" or rule.rule_id in off or rule.rule_id in silent:
            continue
        for target in _targets(rule):
            table = event_table(target.family)
            key = (table, target.condition, json.dumps(dict(target.fields), sort_keys=True))
            groups.setdefault(key, RuleGroup(table, target)).rules.append(rule)
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
    after_id: int | None = None,
) -> DetectReport:
    """Run the rules over events newer than the last run (or all events, with `full`, which
    replaces the stored hits except those of the rules in `keep`; or those after `after_id`,
    keeping the hits stored, as a re-hunt over recent days does)."""
    started = time.perf_counter()
    report = DetectReport(full=full)
    top = store.fetch_one(TOP_ID)
    report.last_id = int(top[0]) if top else 0
    done = 0 if full else int(hits.get_meta(store, LAST_RUN_KEY) or 0)
    if after_id is not None and not full:
        done = min(done, max(0, after_id))
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
    with RuleRunner(store, progress, python_regex) as runner:
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
        known = store.fetch_one("SELECT coalesce(max(id), 0) FROM detections")
        # the hits, and that their events have been seen, are stored together or not at all
        report.new_hits = hits.save_from(
            store,
            (_row(by_id[r]) for r in report.hits_by_rule),
            found,
            [archive.relation(store, table, done, report.last_id) for table in EVENT_TABLES],
            replace=full,
            keep=kept,
            meta={LAST_RUN_KEY: str(report.last_id)},
        )
        report.new_detections = detections.created_since(store, int(known[0]) if known else 0)
    report.seconds = time.perf_counter() - started
    return report


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
            rows = archive.relation(store, table, low, high)
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
                f"{measured} AS v FROM {rows} WHERE time IS NOT NULL{span} AND ({condition}) "
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
            report.fail(rule, error)
            continue
        ran.add(rule.rule_id)


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
        about_users(rule),
    )


def about_users(rule: Rule) -> bool:
    """Whether a rule is about a user: its condition reads a user field (TargetUserName,
    User, ...) or, for a correlation, it groups by one. Its detections are one per user."""
    if rule.kind == "correlation":
        return detections.is_about_users([str(n) for n in rule.correlation.get("group_by", [])])
    return detections.is_about_users(FIELD_TOKEN.findall(rule.predicate))
