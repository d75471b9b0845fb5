"""One loader and validator for Sigma rules: the shipped pack and the user's folders.

Every YAML file is read, checked and compiled to DuckDB predicates through pySigma. Compiling
costs milliseconds a rule, so the result is kept in a cache keyed by the file's content and
the compiler's and mapping's versions; a warm load only reads and hashes the files. A file or
rule that cannot be used is listed with its path and a one-sentence reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import stat as stat_module
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from watchkeeper.core.attack import tactics, techniques
from watchkeeper.core.progress import Progress
from watchkeeper.detection.compiler import Compiler
from watchkeeper.detection.mapping import MAPPING_VERSION, targets

COMPILER_VERSION = "9"
LEVELS = ("informational", "low", "medium", "high", "critical")
MAX_RULE_FILE = 2 * 1024 * 1024
CACHE_NAME = "compiled-rules.sqlite"
_PLACEHOLDER = re.compile(rb"\|expand")


@dataclass
class Rule:
    """A loaded rule: what the user reads about it, and what the engine runs."""

    rule_id: str
    title: str
    path: str
    kind: str = "event"  # or "correlation"
    level: str = ""
    status: str = ""
    tags: list[str] = field(default_factory=list)
    description: str = ""
    references: list[str] = field(default_factory=list)
    falsepositives: list[str] = field(default_factory=list)
    author: str = ""
    date: str = ""
    name: str = ""
    logsource: dict[str, str] = field(default_factory=dict)
    predicate: str = ""  # event rules: a DuckDB condition with field tokens
    # clauses of (field, text) pairs: in each, one must be present for the rule to match
    needles: list[list[list[str]]] = field(default_factory=list)
    correlation: dict[str, Any] = field(default_factory=dict)
    text: str = ""  # the YAML file the rule came from

    @property
    def tactics(self) -> list[str]:
        return tactics(self.tags)

    @property
    def techniques(self) -> list[str]:
        return techniques(self.tags)

    def applies(self) -> bool:
        """Whether the store can hold events this rule looks at."""
        if self.kind == "correlation":
            return True
        return bool(
            targets(
                self.logsource.get("product"),
                self.logsource.get("category"),
                self.logsource.get("service"),
            )
        )


@dataclass
class LoadProblem:
    path: str
    reason: str
    title: str = ""


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    files: int = 0
    compiled: int = 0  # rules compiled in this load (the rest came from the cache)
    # folders loaded because earlier runs on the store were given them (service.run)
    remembered: list[str] = field(default_factory=list)
    # SigmaHQ's set (detection.bundle): the profile in use, each profile's rule count, and
    # the set's release; empty when no set was loaded
    profile: str = ""
    profile_counts: dict[str, int] = field(default_factory=dict)
    sigmahq: dict[str, Any] = field(default_factory=dict)

    def find(self, reference: str) -> Rule | None:
        """A rule by Sigma id or name."""
        for rule in self.rules:
            if reference in (rule.rule_id, rule.name):
                return rule
        return None


# Beside the Sigma rules, the shipped folder holds the compliance policy (not a Sigma rule)
# and SigmaHQ's set, which is loaded on its own, through the profile (detection.bundle).
NOT_SIGMA = ("deprecated", "compliance", "sigmahq")


def rule_files(folders: Iterable[Path]) -> list[Path]:
    return [path for path, _ in _rule_files(folders)]


def _rule_files(folders: Iterable[Path]) -> list[tuple[Path, tuple[int, int]]]:
    """Every rule file under the folders, with its modification time and size."""
    found: list[tuple[Path, tuple[int, int]]] = []
    for folder in folders:
        if folder.is_file():
            stat = folder.stat()
            found.append((folder, (stat.st_mtime_ns, stat.st_size)))
            continue
        files: list[tuple[Path, tuple[int, int]]] = []
        for top, dirs, names in os.walk(folder):
            dirs[:] = [d for d in dirs if d not in NOT_SIGMA]
            for name in names:
                if not name.lower().endswith((".yml", ".yaml")):
                    continue
                path = Path(top, name)
                with contextlib.suppress(OSError):
                    stat = path.stat()
                    if stat_module.S_ISREG(stat.st_mode):
                        files.append((path, (stat.st_mtime_ns, stat.st_size)))
        found.extend(sorted(files))
    return found


class RuleCache:
    """Compiled rule files by content key, in a SQLite file (any process may read it).

    `shipped` is a cache made when the installer was built, read-only: the rules that ship are
    found there on the first launch instead of being compiled again.
    """

    def __init__(self, path: Path | None, shipped: Path | None = None) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._shipped: sqlite3.Connection | None = None
        if shipped is not None and shipped.is_file():
            with contextlib.suppress(sqlite3.Error):
                self._shipped = sqlite3.connect(
                    f"{shipped.resolve().as_uri()}?mode=ro&immutable=1", uri=True
                )
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(path, timeout=5)
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS compiled "
                    "(key TEXT PRIMARY KEY, value TEXT NOT NULL)"
                )
            except sqlite3.Error:
                self._db = None  # a broken cache only costs time

    def get(self, key: str) -> list[dict[str, Any]] | None:
        for db in (self._db, self._shipped):
            if db is None:
                continue
            try:
                row = db.execute("SELECT value FROM compiled WHERE key = ?", [key]).fetchone()
                if row:
                    return list(json.loads(row[0]))
            except (sqlite3.Error, ValueError):
                continue
        return None

    def put(self, key: str, value: list[dict[str, Any]]) -> None:
        if self._db is None:
            return
        with contextlib.suppress(sqlite3.Error):
            self._db.execute(
                "INSERT OR REPLACE INTO compiled VALUES (?, ?)", [key, json.dumps(value)]
            )

    def commit(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.commit()

    def close(self) -> None:
        if self._db is not None:
            self.commit()
            self._db.close()
            self._db = None
        if self._shipped is not None:
            self._shipped.close()
            self._shipped = None


def default_cache() -> RuleCache:
    from watchkeeper.core import paths

    return RuleCache(paths.cache_dir() / CACHE_NAME, paths.shipped_rule_cache())


def load_rules(
    folders: Sequence[Path],
    placeholders: Mapping[str, list[str]] | None = None,
    progress: Progress | None = None,
    cache: RuleCache | None = None,
) -> RuleSet:
    """Load every rule file under `folders` (the shipped pack first, then the user's)."""
    placeholders = dict(placeholders or {})
    listed = _rule_files(folders)
    memo_key = _memo_key(listed, placeholders)
    with _MEMO_LOCK:
        remembered = _MEMO.get(memo_key) if memo_key else None
    if remembered is not None:
        return replace(
            remembered, rules=list(remembered.rules), problems=list(remembered.problems), compiled=0
        )
    owned = cache is None
    cache = default_cache() if cache is None else cache
    files = [path for path, _ in listed]
    result = RuleSet(files=len(files))
    if progress is not None:
        progress.update(stage=f"Loading {len(files):,} rule files", done=0, total=len(files))
    compiler: Compiler | None = None
    try:
        for number, path in enumerate(files, 1):
            if progress is not None:
                progress.check()
                progress.update(done=number, item=path.name)
            label = str(path)
            try:
                data = path.read_bytes()
            except OSError as error:
                result.problems.append(LoadProblem(label, f"cannot be read: {error.strerror}"))
                continue
            if len(data) > MAX_RULE_FILE:
                result.problems.append(LoadProblem(label, "is larger than 2 MB; not a rule file"))
                continue
            key = _key(data, placeholders)
            entries = cache.get(key)
            if entries is None:
                if compiler is None:
                    compiler = Compiler(placeholders)
                entries = compiler.compile(data)
                cache.put(key, entries)
                result.compiled += sum(1 for e in entries if "rule" in e)
            text = data.decode("utf-8", "replace")
            for entry in entries:
                if "problem" in entry:
                    result.problems.append(
                        LoadProblem(label, entry["problem"], entry.get("title", ""))
                    )
                else:
                    result.rules.append(Rule(**entry["rule"], path=label, text=text))
    finally:
        cache.commit()
        if owned:
            cache.close()
    _drop_duplicate_ids(result)
    if memo_key:
        with _MEMO_LOCK:
            _MEMO[memo_key] = replace(
                result, rules=list(result.rules), problems=list(result.problems)
            )
            while len(_MEMO) > MEMO_SIZE:
                _MEMO.pop(next(iter(_MEMO)))
    return result


# The last few loads, in memory: the window and the collector run detection after every import,
# and even from the compiled cache, reading thousands of files and their entries takes a second.
# A load is reused while every file has the modification time and size it had, unless a file
# changed in the last seconds, when the same time and size may not mean the same content.
MEMO_SIZE = 4
RECENT_NS = 2_000_000_000
_MEMO: dict[str, RuleSet] = {}
_MEMO_LOCK = threading.Lock()


def _memo_key(listed: list[tuple[Path, tuple[int, int]]], placeholders: Mapping[str, Any]) -> str:
    newest = max((mtime for _, (mtime, _size) in listed), default=0)
    if time.time_ns() - newest < RECENT_NS:
        return ""
    digest = hashlib.sha256(f"{COMPILER_VERSION}\x00{MAPPING_VERSION}".encode())
    digest.update(json.dumps(placeholders, sort_keys=True).encode())
    for path, (mtime, size) in listed:
        digest.update(f"\x00{path}\x00{mtime}\x00{size}".encode())
    return digest.hexdigest()


def _key(data: bytes, placeholders: Mapping[str, list[str]]) -> str:
    digest = hashlib.sha256(data)
    digest.update(f"\x00{COMPILER_VERSION}\x00{MAPPING_VERSION}".encode())
    if _PLACEHOLDER.search(data):
        digest.update(json.dumps(placeholders, sort_keys=True).encode())
    return digest.hexdigest()


def _drop_duplicate_ids(result: RuleSet) -> None:
    seen: dict[str, Rule] = {}
    kept: list[Rule] = []
    for rule in result.rules:
        first = seen.get(rule.rule_id)
        if first is not None:
            result.problems.append(
                LoadProblem(
                    rule.path,
                    f"has the id {rule.rule_id} of {first.path}; the first one is used",
                    rule.title,
                )
            )
            continue
        seen[rule.rule_id] = rule
        kept.append(rule)
    result.rules = kept


def summary(rule: Rule) -> dict[str, Any]:
    """The rule as the `rules --json` command prints it."""
    shown = asdict(rule)
    shown = {"id": shown.pop("rule_id"), **shown}
    shown.pop("text")
    shown.pop("predicate")
    shown.pop("needles")
    shown["tactics"] = rule.tactics
    shown["techniques"] = rule.techniques
    shown["applies"] = rule.applies()
    return shown
