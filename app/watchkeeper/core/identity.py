"""Which spellings of an account are one identity, and which names are one host.

`CONTOSO\\alice`, `alice@contoso.local`, `alice` and her SID are one person: the events of
different sources spell her differently. A SID is the strongest evidence there is, so two
spellings with different SIDs are never one identity, whatever their names say.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

KIND_PERSON = "person"
KIND_SERVICE = "service"  # SYSTEM, LOCAL SERVICE, DWM-1, ANONYMOUS LOGON, root, daemons
KIND_MACHINE = "machine"  # a computer's own account, PC01$
KIND_FAILED_ONLY = "failed only"  # never logged on: brute-force guesses, mistyped names
KIND_ORDER = (KIND_PERSON, KIND_SERVICE, KIND_MACHINE, KIND_FAILED_ONLY)
KIND_LABELS = {
    KIND_PERSON: "Person",
    KIND_SERVICE: "Built-in or service",
    KIND_MACHINE: "Machine",
    KIND_FAILED_ONLY: "Failed logons only",
}

_SID = re.compile(r"S-1-[0-9]+(-[0-9]+)+", re.IGNORECASE)
_NO_SIDS = frozenset({"S-1-0-0"})
_ACCOUNT_SID_PREFIXES = (
    "S-1-5-21-",
    "S-1-12-1-",
)  # domain or local accounts; Entra ID  # the NULL SID: 4625 writes it for an unknown account
# The service identities Windows and common Unix systems run things as.
_SERVICE_SIDS = frozenset({"S-1-5-7", "S-1-5-18", "S-1-5-19", "S-1-5-20"})
# Service SIDs, IIS pools, virtual machines, DWM and UMFD sessions, and the built-in groups.
_SERVICE_SID_PREFIXES = (
    "S-1-5-32-",
    "S-1-5-80-",
    "S-1-5-82-",
    "S-1-5-83-",
    "S-1-5-90-",
    "S-1-5-96-",
)
_SERVICE_NAMES = frozenset(
    {
        "system",
        "local system",
        "localsystem",
        "local service",
        "network service",
        "anonymous logon",
        "iusr",
        "root",  # the Unix superuser is the system's own account, not a person's
        "0",  # root's user id, where auditd gives no name
        "nobody",
        "daemon",
        "www-data",
        "sshd",
        "messagebus",
        "syslog",
        "polkitd",
        "_apt",
    }
)
_SERVICE_NAME_PATTERN = re.compile(r"(dwm|umfd)-[0-9]+|systemd-[a-z-]+", re.IGNORECASE)
_SERVICE_DOMAINS = frozenset(
    {"nt authority", "window manager", "font driver host", "nt service", "iis apppool", "builtin"}
)
_EMPTY = frozenset({"", "-"})
_DNS_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)+\.?")


@functools.lru_cache(maxsize=8192)  # the views ask it of the same few names again and again
def host_key(name: str) -> str:
    """A host name as compared: case does not matter, and a DNS name is its first label,
    so "PC-07", "pc-07.oakfield.local" and "PC-07.OAKFIELD.LOCAL" are one name.

    An IP address and a name with spaces or apostrophes ("Tom's iPhone") stay whole.
    """
    folded = " ".join(name.split()).casefold()
    try:
        ipaddress.ip_address(folded)
        return folded
    except ValueError:
        pass
    if _DNS_NAME.fullmatch(folded):
        return folded.split(".", 1)[0]
    return folded


def domain_key(domain: str | None) -> str:
    """A domain as compared: CONTOSO and contoso.local are one (NetBIOS is the first label)."""
    if domain is None:
        return ""
    return host_key(domain)


def sid_of(text: str | None) -> str | None:
    """A SID in upper case, or None for text that is not one (or is the NULL SID)."""
    if text is None:
        return None
    value = text.strip().upper()
    if not _SID.fullmatch(value) or value in _NO_SIDS:
        return None
    return value


@dataclass(frozen=True, slots=True)
class Account:
    """One spelling of an account split into its parts."""

    name: str  # the user part as written; empty when the events give only a SID
    domain: str | None
    sid: str | None

    @property
    def name_key(self) -> str:
        return self.name.casefold()

    @property
    def domain_key(self) -> str:
        return domain_key(self.domain)

    @property
    def own_sid(self) -> str | None:
        """The SID when it is one account's own: a well-known SID such as SYSTEM's is every
        machine's, and Windows writes it beside the machine account's name too."""
        if self.sid is not None and self.sid.startswith(_ACCOUNT_SID_PREFIXES):
            return self.sid
        return None


def parse_account(username: str, domain: str | None = None, sid: str | None = None) -> Account:
    """`DOMAIN\\user`, `user@domain` or `user`, with the domain and SID given beside it.

    A username that is itself a SID (some events name the account only so) is the SID.
    """
    text = username.strip()
    found_sid = sid_of(sid)
    if sid_of(text) is not None:
        return Account("", _clean(domain), found_sid or sid_of(text))
    written_domain: str | None = None
    if "\\" in text:
        head, _, tail = text.partition("\\")
        if head.strip() and tail.strip():
            written_domain, text = head.strip(), tail.strip()
    elif "@" in text:
        head, _, tail = text.rpartition("@")
        if head.strip() and tail.strip() and "@" not in head:
            text, written_domain = head.strip(), tail.strip()
    return Account(text, written_domain or _clean(domain), found_sid)


def _clean(text: str | None) -> str | None:
    if text is None or text.strip() in _EMPTY:
        return None
    return text.strip()


def base_kind(account: Account) -> str:
    """Machine, service or person, from the account's spelling alone."""
    if account.name.endswith("$"):
        return KIND_MACHINE
    sid = account.sid or ""
    if sid in _SERVICE_SIDS or sid.startswith(_SERVICE_SID_PREFIXES):
        return KIND_SERVICE
    if account.name_key in _SERVICE_NAMES or _SERVICE_NAME_PATTERN.fullmatch(account.name):
        return KIND_SERVICE
    if (account.domain or "").casefold() in _SERVICE_DOMAINS:
        return KIND_SERVICE
    return KIND_PERSON


@dataclass(frozen=True, slots=True)
class Spelling:
    """One distinct (username, domain, SID) the events hold, with how it logged on."""

    username: str
    domain: str | None
    sid: str | None
    events: int = 0
    logon_successes: int = 0
    logon_failures: int = 0
    other_activity: int = 0  # processes started and connections made


@dataclass(slots=True)
class Identity:
    """One account, with every spelling the events give it."""

    name: str  # the user part, as most of its events write it
    domain: str | None
    sid: str | None
    kind: str
    spellings: list[Spelling] = field(default_factory=list)

    @property
    def label(self) -> str:
        """How a filter names it most precisely: DOMAIN\\user, the user, or the SID."""
        if self.name and self.domain:
            return f"{self.domain}\\{self.name}"
        return self.name or self.sid or ""

    @property
    def usernames(self) -> list[str]:
        """The distinct username values of its events."""
        return sorted({spelling.username for spelling in self.spellings})


class _Groups:
    """Union-find over spellings that refuses to join two different SIDs."""

    def __init__(self, accounts: list[Account]) -> None:
        self.parent = list(range(len(accounts)))
        self.sids = [{a.own_sid} if a.own_sid else set() for a in accounts]

    def root(self, index: int) -> int:
        while self.parent[index] != index:
            self.parent[index] = self.parent[self.parent[index]]
            index = self.parent[index]
        return index

    def join(self, a: int, b: int) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra == rb or (self.sids[ra] and self.sids[rb] and self.sids[ra] != self.sids[rb]):
            return
        self.parent[rb] = ra
        self.sids[ra] |= self.sids[rb]


def resolve_identities(
    spellings: Iterable[Spelling], user_ids: Mapping[str, str] | None = None
) -> list[Identity]:
    """The identities the spellings make, people first, then the busiest.

    Spellings with one SID are one identity; one name in one domain is one identity unless
    the events give it two SIDs; a name without a domain joins the one identity of that
    name that has a domain, and stays apart when there are several. `user_ids` maps Unix
    user ids to the one name the events log them on as: a bare id joins that name.
    """
    found = [s for s in spellings if s.username and s.username.strip()]
    accounts = [parse_account(s.username, s.domain, s.sid) for s in found]
    groups = _Groups(accounts)
    _join_by(groups, [(a.own_sid, i) for i, a in enumerate(accounts) if a.own_sid])
    qualified: dict[tuple[str, str], list[int]] = {}
    for index, account in enumerate(accounts):
        if account.name:
            qualified.setdefault((account.name_key, account.domain_key), []).append(index)
    for (_name, _domain), members in qualified.items():
        sids = {sid for m in members for sid in groups.sids[groups.root(m)]}
        if len(sids) <= 1:
            _join_all(groups, members)
        else:  # one name, several SIDs: only the spellings without a SID go together
            _join_all(groups, [m for m in members if not groups.sids[groups.root(m)]])
    by_name: dict[str, set[int]] = {}
    for (name, domain), members in qualified.items():
        if domain:
            by_name.setdefault(name, set()).update(groups.root(m) for m in members)
    for (name, domain), members in qualified.items():
        roots = by_name.get(name, set())
        if not domain and len(roots) == 1:
            groups.join(next(iter(roots)), members[0])
    for (name, domain), members in qualified.items():
        named = (user_ids or {}).get(name) if name.isdigit() and not domain else None
        if named is not None:
            roots = {groups.root(m) for (n, _d), ms in qualified.items() if n == named for m in ms}
            if len(roots) == 1:
                groups.join(next(iter(roots)), members[0])
    return _identities(found, accounts, groups)


def _join_by(groups: _Groups, keyed: list[tuple[str, int]]) -> None:
    first: dict[str, int] = {}
    for key, index in keyed:
        groups.join(first.setdefault(key, index), index)


def _join_all(groups: _Groups, members: list[int]) -> None:
    for member in members[1:]:
        groups.join(members[0], member)


def _identities(found: list[Spelling], accounts: list[Account], groups: _Groups) -> list[Identity]:
    members: dict[int, list[int]] = {}
    for index in range(len(found)):
        members.setdefault(groups.root(index), []).append(index)
    identities = []
    for indexes in members.values():
        ranked = sorted(indexes, key=lambda i: (-found[i].events, found[i].username))
        # a name before a bare Unix user id, which names it only on one machine
        named = [i for i in ranked if accounts[i].name and not accounts[i].name.isdigit()]
        named = named or [i for i in ranked if accounts[i].name] or ranked
        with_domain = [i for i in ranked if accounts[i].domain]
        sids = [accounts[i].own_sid for i in ranked if accounts[i].own_sid]
        sids = sids or [accounts[i].sid for i in ranked if accounts[i].sid]
        best = accounts[named[0]]
        account = Account(
            best.name,
            accounts[with_domain[0]].domain if with_domain else None,
            sids[0] if sids else None,
        )
        spellings = [found[i] for i in ranked]
        identities.append(
            Identity(account.name, account.domain, account.sid, _kind(account, spellings))
        )
        identities[-1].spellings.extend(spellings)
    identities.sort(key=lambda i: (KIND_ORDER.index(i.kind), i.name.casefold(), i.sid or ""))
    return identities


def _kind(account: Account, spellings: list[Spelling]) -> str:
    kind = base_kind(account)
    if kind != KIND_PERSON:
        return kind
    successes = sum(s.logon_successes for s in spellings)
    failures = sum(s.logon_failures for s in spellings)
    activity = sum(s.other_activity for s in spellings)
    if failures and not successes and not activity:
        return KIND_FAILED_ONLY
    return kind


def matching(identities: Iterable[Identity], value: str) -> list[Identity]:
    """The identities a typed account names: by SID, by name and domain, or by name alone."""
    wanted = parse_account(value)
    if not wanted.name and wanted.sid is None:
        return []
    found = []
    for identity in identities:
        if wanted.sid is not None:
            if identity.sid == wanted.sid or any(
                sid_of(s.sid) == wanted.sid for s in identity.spellings
            ):
                found.append(identity)
            continue
        for spelling in identity.spellings:
            account = parse_account(spelling.username, spelling.domain, spelling.sid)
            if account.name_key == wanted.name_key and (
                wanted.domain is None or account.domain_key == wanted.domain_key
            ):
                found.append(identity)
                break
    return found
