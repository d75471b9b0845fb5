"""Verify: hash every stored event again and compare with what was sealed, day by day.

Per event day and source the answer is PASS, FAIL (the first batch that differs, and how),
UNSEALED (written on a day not sealed yet: never a PASS) or DELETED (after retention, as
recorded). Beside those: GAPs (a day
without a seal, a batch missing from the import ledger), the chain from day to day and the
signatures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from watchkeeper.core.progress import Progress
from watchkeeper.integrity.archive_check import check_files
from watchkeeper.integrity.merkle import chain_value, tree_root
from watchkeeper.integrity.sealing import Written, by_day, days_between, utc, written_by_day
from watchkeeper.integrity.signing import signature_holds
from watchkeeper.storage import seals
from watchkeeper.storage.seals import Part
from watchkeeper.storage.store import Store

PASS, FAIL, GAP, UNSEALED = "PASS", "FAIL", "GAP", "UNSEALED"
DELETED = "DELETED"  # every event of the day and source deleted after retention, as recorded


@dataclass(frozen=True)
class Problem:
    """One line a user reads: what is wrong and where."""

    status: str  # FAIL or GAP
    how: str  # changed, missing, added, reordered, edited, day, ledger, chain, signature
    text: str
    day: date | None = None
    source: str | None = None
    batch: int | None = None


@dataclass
class DayResult:
    """The events of one day and source."""

    day: date
    source: str
    status: str = PASS
    batches: set[int] = field(default_factory=set)
    events: int = 0
    deleted: int = 0  # events deleted after retention, as recorded
    problem: Problem | None = None


@dataclass
class Report:
    results: list[DayResult]
    problems: list[Problem]
    unsigned: list[date]
    unsealed_days: list[date]
    sealed_days: int
    chain: dict[date, str]  # the chain value each sealed day should have, from the events
    seals: list[seals.DaySeal]

    @property
    def exit_code(self) -> int:
        """0 when nothing failed (days not sealed yet do not fail), 1 on a FAIL or a GAP."""
        return 1 if self.problems else 0


@dataclass
class _Stored:
    recorded: dict[tuple[int, date, str], Part]
    current: dict[tuple[int, date, str], Part]
    batches: dict[int, seals.BatchSeal]
    paths: dict[int, str]
    archived: list[seals.ArchiveRecord]
    deletions: list[seals.DeletionRecord]
    deleted: set[tuple[int, date, str]]  # recorded parts deleted by retention, accounted for


def _key(part: Part) -> tuple[int, date, str]:
    return (part.import_id, part.day, part.source)


def _how(recorded: Part | None, current: Part | None) -> str | None:
    """How a part differs from what was recorded; None when it does not."""
    if recorded is None:
        return "added"
    if current is None or current.events < recorded.events:
        return "missing"
    if current.events > recorded.events:
        return "added"
    if current.sha256 == recorded.sha256:
        return None
    return "reordered" if current.set_sha256 == recorded.set_sha256 else "changed"


def _batch_name(stored: _Stored, import_id: int) -> str:
    path = stored.paths.get(import_id)
    return f"batch {import_id}" + (f" ({path})" if path else "")


def _sentence(stored: _Stored, how: str, key: tuple[int, date, str]) -> str:
    recorded, current = stored.recorded.get(key), stored.current.get(key)
    import_id, day, source = key
    where = f"{day.isoformat()} {source or 'unknown source'}"
    batch = _batch_name(stored, import_id)
    if how == "added" and import_id not in stored.batches:
        return (
            f"{where}: {current.events if current else 0:,} event(s) were added that no "
            f"import wrote (they name batch {import_id}, which was never sealed)"
        )
    was = recorded.events if recorded else 0
    now = current.events if current else 0
    return {
        "changed": f"{where}: events of {batch} were changed after they were stored",
        "missing": f"{where}: {was - now:,} of the {was:,} event(s) of {batch} are missing",
        "added": f"{where}: {now - was:,} event(s) were added to {batch} after it was stored",
        "reordered": f"{where}: the events of {batch} are in another order than when stored",
    }[how]


def _retention_deleted(
    recorded: list[Part],
    current: set[tuple[int, date, str]],
    archived: list[seals.ArchiveRecord],
    deletions: list[seals.DeletionRecord],
) -> set[tuple[int, date, str]]:
    """Recorded parts gone from the store and the archive that retention deleted: within the
    ids of a manifest entry of the same day and source (sealed when it was written) whose
    file a deletion record names."""
    recorded_deletions = {(d.path, d.sha256) for d in deletions}
    files = [
        r for r in archived if r.state == "deleted" and (r.path, r.sha256) in recorded_deletions
    ]
    accounted: set[tuple[int, date, str]] = set()
    for part in recorded:
        if _key(part) in current:
            continue
        if any(
            f.day == part.day
            and f.source == part.source
            and f.first_id is not None
            and f.last_id is not None
            and f.first_id <= part.first_id
            and part.last_id <= f.last_id
            for f in files
        ):
            accounted.add(_key(part))
    return accounted


def _load(store: Store, progress: Progress | None) -> _Stored:
    recorded = {_key(p): p for p in seals.recorded_parts(store)}
    current = {_key(p): p for p in seals.current_parts(store, progress)}
    archived = seals.archive_records(store)
    deletions = seals.deletion_records(store)
    return _Stored(
        recorded=recorded,
        current=current,
        batches={b.import_id: b for b in seals.batch_seals(store)},
        paths={row.id: row.path for row in seals.ledger_rows(store)},
        archived=archived,
        deletions=deletions,
        deleted=_retention_deleted(list(recorded.values()), set(current), archived, deletions),
    )


def _batch_hash(stored: _Stored, import_id: int) -> str:
    """A batch's hash from its events as stored now (parts deleted by retention as recorded)."""
    parts = [p for k, p in stored.current.items() if k[0] == import_id]
    parts += [stored.recorded[k] for k in stored.deleted if k[0] == import_id]
    return seals.batch_sha256(parts)


def _compare(stored: _Stored, sealed_through: date | None) -> tuple[list[DayResult], list[Problem]]:
    """Every part against its record, gathered per day and source (the first problem each)."""
    results: dict[tuple[date, str], DayResult] = {}
    problems: list[Problem] = []
    for key in sorted(set(stored.recorded) | set(stored.current)):
        import_id, day, source = key
        result = results.setdefault((day, source), DayResult(day, source))
        if key in stored.deleted:
            result.deleted += stored.recorded[key].events
            continue
        current = stored.current.get(key)
        result.batches.add(import_id)
        result.events += current.events if current else 0
        batch = stored.batches.get(import_id)
        if batch is None and import_id in stored.paths:
            if result.status == PASS:
                result.status = UNSEALED  # not hashed yet: written since the last run
            continue
        how = _how(stored.recorded.get(key), current)
        if how is not None and result.problem is None:
            result.status = FAIL
            result.problem = Problem(FAIL, how, _sentence(stored, how, key), day, source, import_id)
            problems.append(result.problem)
        elif result.status == PASS and (
            sealed_through is None or batch is None or batch.hashed.date() > sealed_through
        ):
            result.status = UNSEALED
    for import_id, batch in stored.batches.items():
        failed = any(p.batch == import_id for p in problems)
        if not failed and _batch_hash(stored, import_id) != batch.sha256:
            problems.append(
                Problem(
                    FAIL,
                    "edited",
                    f"the recorded hashes of {_batch_name(stored, import_id)} were edited",
                    batch=import_id,
                )
            )
    for result in results.values():
        if result.status == PASS and not result.batches:
            result.status = DELETED
    return sorted(results.values(), key=lambda r: (r.day, r.source)), problems


def _archive_problems(
    store: Store, stored: _Stored, results: list[DayResult], progress: Progress | None
) -> list[Problem]:
    """The archive's files against the manifest, each named on its day and source's line."""
    by_place = {(r.day, r.source): r for r in results}
    problems = []
    for how, record, text in check_files(store, stored.archived, progress):
        if record is None:
            problems.append(Problem(FAIL, how, text))
            continue
        problem = Problem(FAIL, how, text, record.day, record.source)
        problems.append(problem)
        result = by_place.get((record.day, record.source))
        if result is None:
            result = DayResult(record.day, record.source)
            results.append(result)
            results.sort(key=lambda r: (r.day, r.source))
            by_place[(record.day, record.source)] = result
        if result.problem is None:
            result.status, result.problem = FAIL, problem
    return problems


def _ledger_gaps(stored: _Stored) -> list[Problem]:
    """Batches missing from the import ledger's id sequence."""
    highest = max([*stored.paths, *stored.batches, 0])
    problems = []
    for import_id in range(1, highest + 1):
        if import_id in stored.paths:
            continue
        batch = stored.batches.get(import_id)
        known = (
            f" (it was written on {batch.hashed.date().isoformat()} with {batch.events:,} event(s))"
            if batch
            else ""
        )
        problems.append(
            Problem(
                GAP,
                "ledger",
                f"batch {import_id} is missing from the import ledger{known}: a record of an "
                "import was deleted",
                batch=import_id,
            )
        )
    return problems


def _check_days(
    stored: _Stored, day_seals: list[seals.DaySeal], public_key: str | None, failed: set[int]
) -> tuple[list[Problem], list[date], dict[date, str]]:
    """Each sealed day's root and chain from the events as stored now, and its signature."""
    problems: list[Problem] = []
    unsigned: list[date] = []
    chains: dict[date, str] = {}
    written = written_by_day(
        (
            (b.hashed, b.import_id, _batch_hash(stored, b.import_id))
            for b in stored.batches.values()
        ),
        stored.archived,
        stored.deletions,
    )
    if not day_seals:
        return problems, unsigned, chains
    sealed = {seal.day: seal for seal in day_seals}
    first = min([*written, day_seals[0].day])
    computed: bytes | None = None  # from the events as stored now
    linked: bytes | None = None  # from the stored roots (computed for a day without a seal)
    chain_broken = False
    for day in days_between(first, day_seals[-1].day):
        today = written.get(day, Written())
        root = tree_root(today.leaves())
        computed = chain_value(computed, root)
        chains[day] = computed.hex()
        seal = sealed.get(day)
        linked = chain_value(
            linked, root if seal is None or not _is_hex(seal.root) else bytes.fromhex(seal.root)
        )
        if seal is None:
            problems.append(
                Problem(GAP, "day", f"{day.isoformat()}: the day has no seal (it was removed)", day)
            )
            continue
        if seal.root != root.hex() and not any(i in failed for i, _sha in today.batches):
            problems.append(_seal_mismatch(day, today))
        if seal.chain != linked.hex() and not chain_broken:
            chain_broken = True
            problems.append(
                Problem(
                    FAIL,
                    "chain",
                    f"{day.isoformat()}: the chain of seals is broken here (a seal was "
                    "edited or replaced)",
                    day,
                )
            )
        linked = bytes.fromhex(seal.chain) if _is_hex(seal.chain) else linked
        problems += _signature(seal, public_key, unsigned)
    return problems, unsigned, chains


def _seal_mismatch(day: date, written: Written) -> Problem:
    """A day whose seal no longer matches what was written that day, though every batch's
    events do: the records were edited (the manifest, when the day archived files)."""
    if written.archived or written.deleted:
        what = (
            "the archive's manifest (archive_files) or its deletion records for files "
            "written that day were edited, or the seal was"
        )
        return Problem(FAIL, "manifest", f"{day.isoformat()}: {what}", day)
    return Problem(
        FAIL,
        "seal",
        f"{day.isoformat()}: the day's seal does not match the batches written that day (the "
        "seal or their records were edited)",
        day,
    )


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


def _signature(seal: seals.DaySeal, public_key: str | None, unsigned: list[date]) -> list[Problem]:
    day = seal.day.isoformat()
    if seal.signature is None or seal.public_key is None:
        unsigned.append(seal.day)
        return []
    if not signature_holds(seal.public_key, seal.day, seal.chain, seal.signature):
        return [
            Problem(
                FAIL,
                "signature",
                f"{day}: the seal's signature does not verify: the seal was forged or edited",
                seal.day,
            )
        ]
    if public_key is not None and seal.public_key != public_key:
        return [
            Problem(
                FAIL,
                "signature",
                f"{day}: the seal is signed with a key that is not this machine's",
                seal.day,
            )
        ]
    return []


def verify(
    store: Store, now: datetime, public_key: str | None = None, progress: Progress | None = None
) -> Report:
    """Check the stored events against their seals; `public_key` is this machine's, if known."""
    day_seals = seals.day_seals(store)
    stored = _load(store, progress)
    sealed_through = day_seals[-1].day if day_seals else None
    results, problems = _compare(stored, sealed_through)
    problems += _archive_problems(store, stored, results, progress)
    failed = {p.batch for p in problems if p.batch is not None}
    problems += _ledger_gaps(stored)
    day_problems, unsigned, chains = _check_days(stored, day_seals, public_key, failed)
    problems += day_problems
    written = by_day(stored.batches.values())
    today = utc(now).date()
    first_open = (
        sealed_through + timedelta(days=1) if sealed_through else min(written, default=today)
    )
    return Report(
        results=results,
        problems=problems,
        unsigned=unsigned,
        unsealed_days=days_between(first_open, today) if written else [],
        sealed_days=len(day_seals),
        chain=chains,
        seals=day_seals,
    )
