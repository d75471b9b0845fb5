"""Which host values are one machine: its short name, its FQDNs and the addresses it was
seen at, where the events themselves say so.

Two kinds of event tie an address to a machine: a forwarded message names its host and
came from an address (a device that names no host is stored under that address), and a
Sysmon connection gives the machine's own name beside its source address. An address that
two machines were seen at (a relay, NAT, a lease handed on) ties nothing.
"""

from __future__ import annotations

import functools
import ipaddress

from watchkeeper.core.fields import column_for_field, quote_ident
from watchkeeper.core.identity import host_key
from watchkeeper.storage.identities import generation, remember, remembered
from watchkeeper.storage.store import Store

ADDRESSES = "host addresses"
_SYSMON = "Microsoft-Windows-Sysmon/Operational"


def _column(store: Store, field: str) -> str | None:
    column = store.columns.get(column_for_field(field).lower())
    return quote_ident(column) if column is not None else None


def _evidence_sql(store: Store) -> list[str]:
    """Queries of (host, address, name the event gives the machine at that address)."""
    queries = []
    sender = _column(store, "sender")
    if sender is not None:
        queries.append(
            f"SELECT DISTINCT host, {sender}, host FROM events WHERE {sender} IS NOT NULL "
            f"AND host IS NOT NULL AND host <> {sender}"
        )
    source_ip, source_name = _column(store, "SourceIp"), _column(store, "SourceHostname")
    if source_ip is not None and source_name is not None:
        queries.append(
            f"SELECT DISTINCT host, {source_ip}, {source_name} FROM events "
            f"WHERE channel = '{_SYSMON}' AND event_id = 3 AND host IS NOT NULL "
            f"AND {source_ip} IS NOT NULL AND {source_name} IS NOT NULL"
        )
    return queries


@functools.lru_cache(maxsize=8192)
def _own(address: str) -> str | None:
    """The address in its usual form; None for one every machine has (loopback, link-local)."""
    try:
        parsed = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return None
    if parsed.is_loopback or parsed.is_link_local or parsed.is_unspecified:
        return None
    return str(parsed)


def host_addresses(store: Store, state: tuple[int, int] | None = None) -> dict[str, str]:
    """Address -> the host key of the one machine the events place there; `state` is the
    store's generation when the caller has just read it."""
    state = state or generation(store)
    cached = remembered(store, ADDRESSES, state)
    if isinstance(cached, dict):
        return cached
    seen: dict[str, set[str]] = {}
    for sql in _evidence_sql(store):
        for host, address, named in store.fetch_all(sql):
            own = _own(str(address))
            if own is None or host_key(str(named)) != host_key(str(host)):
                continue  # Sysmon: a connection named for another machine
            if _own(str(host)) is None:  # the host is a name, not the address itself
                seen.setdefault(own, set()).add(host_key(str(host)))
    found = {address: next(iter(keys)) for address, keys in seen.items() if len(keys) == 1}
    remember(store, ADDRESSES, state, found)
    return found


def machine_key(name: str, addresses: dict[str, str]) -> str:
    """The key of the machine a host value names: by name, or by the address it was at."""
    key = host_key(name)
    own = _own(key)
    return addresses.get(own, key) if own is not None else key


def addresses_of(key: str, addresses: dict[str, str]) -> list[str]:
    """The addresses that are spellings of the machine with this key."""
    return sorted(address for address, machine in addresses.items() if machine == key)


def host_sql(store: Store, value: str, params: list[object]) -> str:
    """SQL true for the events of the machine `value` names, by any of its names."""
    addresses = host_addresses(store)
    key = machine_key(value, addresses)
    named = [key, *addresses_of(key, addresses)]
    params.extend([*named, key + "."])
    listed = ", ".join("?" for _ in named)
    return f"(lower(host) IN ({listed}) OR starts_with(lower(host), ?))"
