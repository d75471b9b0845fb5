"""The store's accounts as identities: each distinct (username, domain, SID) of its events,
resolved once per state of the store.

The distinct spellings are few (hundreds) even in a store of tens of millions of events, so
they are resolved in Python after one grouped scan and remembered until events change.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any

from watchkeeper.core.fields import column_for_field, quote_ident, quote_text
from watchkeeper.core.identity import Identity, Spelling, resolve_identities
from watchkeeper.core.progress import Progress
from watchkeeper.storage.store import Store

# The Windows field the username column came from (storage/windows_rows.py takes the first
# non-empty of these), and the fields that give that account's domain and SID.
ACCOUNT_FIELDS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("TargetUserName", ("TargetDomainName",), ("TargetUserSid", "TargetSid")),
    ("User", (), ()),
    ("SubjectUserName", ("SubjectDomainName",), ("SubjectUserSid",)),
    ("AccountName", ("AccountDomain",), ()),
    ("UserName", (), ()),
    ("UserID", (), ()),
)


def sid_columns(store: Store) -> list[str]:
    """The quoted columns that hold an account's SID beside a username."""
    names = dict.fromkeys(name for _field, _domains, sids in ACCOUNT_FIELDS for name in sids)
    columns = (store.columns.get(column_for_field(name).lower()) for name in names)
    return [quote_ident(column) for column in columns if column]


def _present(store: Store, name: str) -> str | None:
    # as an original field: "User" is not the username column its alias would give
    column = store.columns.get(column_for_field(name).lower())
    return f"nullif(nullif({quote_ident(column)}, '-'), '')" if column else None


def _beside_username(store: Store, which: int) -> str:
    """SQL for the domain (which=1) or SID (which=2) of the account in `username`."""
    cases = []
    for name, *beside in ACCOUNT_FIELDS:
        test = _present(store, name)
        if test is None:
            continue
        found = [p for p in (_present(store, n) for n in beside[which - 1]) if p]
        value = f"coalesce({', '.join(found)})" if found else "NULL"
        cases.append(f"WHEN {test} IS NOT NULL THEN {value}")
    return f"CASE {' '.join(cases)} END" if cases else "NULL::VARCHAR"


def domain_sql(store: Store) -> str:
    """SQL for the domain the events give beside `username` (Windows' *DomainName fields)."""
    return _beside_username(store, 1)


def sid_sql(store: Store) -> str:
    """SQL for the SID the events give beside `username` (Windows' *UserSid fields)."""
    return _beside_username(store, 2)


@dataclass(frozen=True, slots=True)
class Identities:
    """Every identity of a store, and which one each spelling belongs to."""

    identities: list[Identity]
    by_spelling: dict[tuple[str, str | None, str | None], Identity]

    def of(self, username: str, domain: str | None, sid: str | None) -> Identity | None:
        return self.by_spelling.get((username, domain, sid))


IDENTITIES = "identities"
USER_IDS = "user ids"
_UNSET_ID = "4294967295"  # auditd's "no login user yet"
# Programs that log a person on: their session records give the login name and user id.
_LOGIN_PROGRAMS = ("/usr/sbin/sshd", "/bin/login", "/usr/bin/login")


def user_ids(store: Store, state: tuple[int, int] | None = None) -> dict[str, str]:
    """Unix user id -> the one name auditd saw it log on as (sshd or login sessions); an id
    logged on under two names (two machines' users) maps to none."""
    state = state or generation(store)
    cached = remembered(store, USER_IDS, state)
    if isinstance(cached, dict):
        return cached
    columns = [quote_ident(c) for key, c in store.columns.items() if key.endswith(".auid")]
    found: dict[str, set[str]] = {}
    if columns:
        programs = ", ".join(quote_text(p) for p in _LOGIN_PROGRAMS)
        rows = store.fetch_all(
            f"SELECT DISTINCT username, coalesce({', '.join(columns)}) AS auid FROM events "
            f"WHERE source = 'auditd' AND process IN ({programs}) AND username IS NOT NULL "
            f"AND NOT regexp_full_match(username, '[0-9]+') "
            f"AND regexp_full_match(auid, '[0-9]+') AND auid <> '{_UNSET_ID}'"
        )
        for name, number in rows:
            found.setdefault(str(number), set()).add(str(name))
    named = {number: next(iter(names)) for number, names in found.items() if len(names) == 1}
    remember(store, USER_IDS, state, named)
    return named


def identities_from(spellings: list[Spelling], ids: dict[str, str] | None = None) -> Identities:
    resolved = resolve_identities(spellings, ids)
    by_spelling = {
        (s.username, s.domain, s.sid): identity for identity in resolved for s in identity.spellings
    }
    return Identities(resolved, by_spelling)


_cache_lock = threading.Lock()
# store -> what was derived from its events -> (the events' state then, the value)
_cache: weakref.WeakKeyDictionary[Store, dict[str, tuple[tuple[int, int], Any]]] = (
    weakref.WeakKeyDictionary()
)


def generation(store: Store) -> tuple[int, int]:
    """What changes when events are added or removed: their count and highest id."""
    row = store.fetch_one("SELECT count(*), coalesce(max(id), 0) FROM events")
    return (int(row[0]), int(row[1])) if row else (0, 0)


def remember(store: Store, name: str, state: tuple[int, int], value: Any) -> None:
    """Keep a value derived from the store's events while they stay as `state` says."""
    with _cache_lock:
        _cache.setdefault(store, {})[name] = (state, value)


def remembered(store: Store, name: str, state: tuple[int, int]) -> Any | None:
    """The value kept under `name`, or None when the events have changed since."""
    with _cache_lock:
        found = _cache.get(store, {}).get(name)
    return found[1] if found is not None and found[0] == state else None


def store_identities(
    store: Store, progress: Progress | None = None, state: tuple[int, int] | None = None
) -> Identities:
    """The store's identities, from one grouped scan, remembered until its events change;
    `state` is the store's generation when the caller has just read it."""
    state = state or generation(store)
    cached = remembered(store, IDENTITIES, state)
    if isinstance(cached, Identities):
        return cached
    from watchkeeper.storage.pivots import is_logon_failure, is_logon_success, is_other_activity

    rows = store.fetch_all(
        f"SELECT username, {domain_sql(store)} AS domain, {sid_sql(store)} AS sid, count(*), "
        f"count(*) FILTER (WHERE {is_logon_success(store)}), "
        f"count(*) FILTER (WHERE {is_logon_failure(store)}), "
        f"count(*) FILTER (WHERE {is_other_activity(store)}) "
        "FROM events WHERE username IS NOT NULL AND username <> '' GROUP BY ALL",
        None,
        progress,
    )
    found = identities_from(
        [
            Spelling(name, domain, sid, events, successes, failures, other)
            for name, domain, sid, events, successes, failures, other in rows
        ],
        user_ids(store, state),
    )
    remember(store, IDENTITIES, state, found)
    return found
