"""The `user:` filter: every spelling of the identities a typed account names.

A filter is compiled when the user presses Enter, so this reads only the spellings that can
belong to the account typed (those containing its name, and those sharing their SIDs or
user ids) rather than resolving every identity of the store.
"""

from __future__ import annotations

from watchkeeper.core.identity import Identity, Spelling, matching, parse_account
from watchkeeper.storage.identities import (
    domain_sql,
    identities_from,
    sid_columns,
    sid_sql,
    user_ids,
)
from watchkeeper.storage.store import Store


def _spellings(store: Store, where: str, params: list[object]) -> list[Spelling]:
    rows = store.fetch_all(
        f"SELECT username, {domain_sql(store)} AS domain, {sid_sql(store)} AS sid, count(*) "
        f"FROM events WHERE username IS NOT NULL AND username <> '' AND ({where}) GROUP BY ALL",
        params,
    )
    return [Spelling(name, domain, sid, events) for name, domain, sid, events in rows]


def _containing(store: Store, names: set[str]) -> list[Spelling]:
    """The spellings with any of `names` in them: alice, CONTOSO\\alice, alice@contoso.local."""
    ordered = sorted(name for name in names if name)
    if not ordered:
        return []
    where = " OR ".join("contains(lower(username), ?)" for _ in ordered)
    return _spellings(store, where, list(ordered))


def _with_sids(store: Store, sids: list[str]) -> list[Spelling]:
    """The spellings with one of the SIDs beside them or as their name."""
    # the SID columns themselves are compared, not the SID of the username's own field,
    # which would be worked out for every event
    columns = sid_columns(store)
    tests = [f"upper({column}) IN (SELECT unnest(?::VARCHAR[]))" for column in columns]
    tests.append("upper(username) IN (SELECT unnest(?::VARCHAR[]))")
    params: list[object] = [sids for _column in columns]
    params.append(sids)
    return _spellings(store, " OR ".join(tests), params)


def _added(found: list[Spelling], more: list[Spelling]) -> list[Spelling]:
    known = {(s.username, s.domain, s.sid) for s in found}
    return found + [s for s in more if (s.username, s.domain, s.sid) not in known]


def candidate_identities(store: Store, value: str) -> list[Identity]:
    """The identities among the spellings that may belong to the account `value` names."""
    wanted = parse_account(value)
    if wanted.sid is not None:
        found = _with_sids(store, [wanted.sid])
    elif wanted.name:
        found = []
    else:
        return []
    names = {parse_account(s.username, s.domain, s.sid).name_key for s in found}
    found = _added(found, _containing(store, names | {wanted.name.lower()}))
    ids = user_ids(store)
    names = {parse_account(s.username, s.domain, s.sid).name_key for s in found}
    sids = sorted({s.sid for s in found if s.sid})
    numbers = tuple(sorted(number for number, name in ids.items() if name.casefold() in names))
    if sids or numbers:  # the SIDs and bare user ids of these names, written as names
        # (a spelling under another name with one of these SIDs, a renamed account, is left
        # to the Users view: finding it means reading every event's SID fields)
        more = _spellings(
            store, "upper(username) IN (SELECT unnest(?::VARCHAR[]))", [[*sids, *numbers]]
        )
        found = _added(found, more)
    return identities_from(found, ids).identities


def user_sql(store: Store, value: str, params: list[object]) -> str | None:
    """SQL true for the events of the identities `value` names, by any of their spellings;
    None when it names none (the filter then compares the text as written).

    A username another identity shares (bob of CONTOSO and bob of PC02 both write "bob")
    is matched with the domain and SID the events give beside it.
    """
    identities = candidate_identities(store, value)
    chosen = matching(identities, value)
    if not chosen:
        return None
    chosen_ids = {id(identity) for identity in chosen}
    owners: dict[str, set[int]] = {}
    for identity in identities:
        for spelling in identity.spellings:
            owners.setdefault(spelling.username.lower(), set()).add(id(identity))
    plain: set[str] = set()
    shared: list[Spelling] = []
    for identity in chosen:
        for spelling in identity.spellings:
            if owners[spelling.username.lower()] <= chosen_ids:
                plain.add(spelling.username.lower())
            else:
                shared.append(spelling)
    if owners.get(value.lower(), set()) <= chosen_ids:
        plain.add(value.lower())
    tests = []
    if plain:
        tests.append(f"lower(username) IN ({', '.join('?' for _ in plain)})")
        params.extend(sorted(plain))
    for spelling in shared:
        tests.append(
            f"(lower(username) = ? AND ({domain_sql(store)}) IS NOT DISTINCT FROM ? "
            f"AND ({sid_sql(store)}) IS NOT DISTINCT FROM ?)"
        )
        params.extend([spelling.username.lower(), spelling.domain, spelling.sid])
    return "(" + " OR ".join(tests) + ")"
