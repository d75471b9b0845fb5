"""Account spellings resolved to identities, and host names compared."""

from __future__ import annotations

import pytest

from watchkeeper.core.identity import (
    KIND_FAILED_ONLY,
    KIND_MACHINE,
    KIND_PERSON,
    KIND_SERVICE,
    Account,
    Spelling,
    host_key,
    matching,
    parse_account,
    resolve_identities,
)

ALICE_SID = "S-1-5-21-1004336348-1177238915-682003330-1104"
OTHER_SID = "S-1-5-21-1004336348-1177238915-682003330-1999"


@pytest.mark.parametrize(
    ("written", "domain", "sid", "expected"),
    [
        ("alice", None, None, Account("alice", None, None)),
        ("CONTOSO\\alice", None, None, Account("alice", "CONTOSO", None)),
        ("alice@CONTOSO.LOCAL", None, None, Account("alice", "CONTOSO.LOCAL", None)),
        ("alice", "CONTOSO", ALICE_SID.lower(), Account("alice", "CONTOSO", ALICE_SID)),
        ("alice", "-", "S-1-0-0", Account("alice", None, None)),  # 4625's empty values
        (ALICE_SID, None, None, Account("", None, ALICE_SID)),
        ("\\alice", None, None, Account("\\alice", None, None)),  # nothing before the \\
        ("@alice", None, None, Account("@alice", None, None)),
    ],
)
def test_spellings_split_into_name_domain_and_sid(
    written: str, domain: str | None, sid: str | None, expected: Account
) -> None:
    assert parse_account(written, domain, sid) == expected


def test_the_three_forms_and_the_sid_are_one_identity() -> None:
    found = resolve_identities(
        [
            Spelling("alice", "CONTOSO", ALICE_SID, events=10, logon_successes=2),
            Spelling("CONTOSO\\alice", None, None, events=30, other_activity=30),
            Spelling("alice@contoso.local", None, None, events=3),
            Spelling("alice", None, None, events=5),
            Spelling(ALICE_SID, None, None, events=1),
        ]
    )
    assert len(found) == 1
    alice = found[0]
    assert (alice.name, alice.domain, alice.sid, alice.kind) == (
        "alice",
        "CONTOSO",
        ALICE_SID,
        KIND_PERSON,
    )
    assert alice.usernames == sorted(["alice", "CONTOSO\\alice", "alice@contoso.local", ALICE_SID])
    assert alice.label == "CONTOSO\\alice"


def test_two_sids_are_never_one_identity() -> None:
    found = resolve_identities(
        [
            Spelling("alice", "CONTOSO", ALICE_SID, events=4, logon_successes=1),
            Spelling("alice", "CONTOSO", OTHER_SID, events=2, logon_successes=1),
            Spelling("CONTOSO\\alice", None, None, events=1, logon_successes=1),
            Spelling("alice", None, None, events=1, logon_successes=1),
        ]
    )
    sids = sorted(identity.sid or "" for identity in found)
    assert sids == ["", "", ALICE_SID, OTHER_SID]
    for identity in found:
        assert len({s.sid for s in identity.spellings if s.sid}) <= 1


def test_a_bare_name_stays_apart_when_two_domains_have_it() -> None:
    found = resolve_identities(
        [
            Spelling("CONTOSO\\sam", None, None, events=1, logon_successes=1),
            Spelling("FABRIKAM\\sam", None, None, events=1, logon_successes=1),
            Spelling("sam", None, None, events=1, logon_successes=1),
        ]
    )
    assert len(found) == 3


@pytest.mark.parametrize(
    ("spelling", "kind"),
    [
        (Spelling("PC01$", "CONTOSO", "S-1-5-21-1-2-3-1001", events=9), KIND_MACHINE),
        (Spelling("SYSTEM", "NT AUTHORITY", "S-1-5-18", events=9), KIND_SERVICE),
        (Spelling("LOCAL SERVICE", "NT AUTHORITY", None, events=9), KIND_SERVICE),
        (Spelling("NETWORK SERVICE", None, None, events=9), KIND_SERVICE),
        (Spelling("DWM-1", "Window Manager", "S-1-5-90-0-1", events=9), KIND_SERVICE),
        (Spelling("UMFD-0", "Font Driver Host", None, events=9), KIND_SERVICE),
        (Spelling("ANONYMOUS LOGON", "NT AUTHORITY", "S-1-5-7", events=9), KIND_SERVICE),
        (Spelling("renamed", None, "S-1-5-19", events=9), KIND_SERVICE),
        (Spelling("Administrators", "Builtin", "S-1-5-32-544", events=1), KIND_SERVICE),
        (Spelling("root", None, None, events=9, logon_successes=9), KIND_SERVICE),
        (Spelling("systemd-resolve", None, None, events=9), KIND_SERVICE),
        (Spelling("admin", None, None, events=40, logon_failures=40), KIND_FAILED_ONLY),
        (Spelling("bob", None, None, events=3, logon_failures=2, logon_successes=1), KIND_PERSON),
    ],
)
def test_kinds(spelling: Spelling, kind: str) -> None:
    assert [identity.kind for identity in resolve_identities([spelling])] == [kind]


def test_people_come_first() -> None:
    found = resolve_identities(
        [
            Spelling("SYSTEM", "NT AUTHORITY", "S-1-5-18", events=900),
            Spelling("PC01$", None, None, events=500),
            Spelling("guess", None, None, events=50, logon_failures=50),
            Spelling("zoe", None, None, events=1, logon_successes=1),
        ]
    )
    assert [identity.name for identity in found] == ["zoe", "SYSTEM", "PC01$", "guess"]


def test_empty_and_hostile_names() -> None:
    hostile = "<b>x</b>'; DROP TABLE events; --\x07"
    found = resolve_identities(
        [Spelling("", None, None, events=1), Spelling(hostile, None, None, events=1)]
    )
    assert [identity.name for identity in found] == [hostile]


def test_a_typed_account_matches_its_identity_by_any_form() -> None:
    found = resolve_identities(
        [
            Spelling("alice", "CONTOSO", ALICE_SID, events=1, logon_successes=1),
            Spelling("CONTOSO\\alice", None, None, events=1),
            Spelling("bob", None, None, events=1, logon_successes=1),
        ]
    )
    for typed in ("alice", "ALICE", "contoso\\alice", "alice@contoso.local", ALICE_SID):
        assert [identity.name for identity in matching(found, typed)] == ["alice"], typed
    assert matching(found, "FABRIKAM\\alice") == []
    assert matching(found, "") == []


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("PC01", "pc01"),
        ("pc01.contoso.local", "pc01"),
        ("PC01.CONTOSO.LOCAL.", "pc01"),
        ("10.0.0.5", "10.0.0.5"),
        ("Tom's iPhone", "tom's iphone"),
    ],
)
def test_host_keys(name: str, key: str) -> None:
    assert host_key(name) == key


def test_a_well_known_sid_joins_nothing() -> None:
    # 4688 writes a SYSTEM process's subject as the machine account with SYSTEM's SID
    found = resolve_identities(
        [
            Spelling("SYSTEM", "NT AUTHORITY", "S-1-5-18", events=50),
            Spelling("PC01$", "CONTOSO", "S-1-5-18", events=40),
            Spelling("PC02$", "CONTOSO", "S-1-5-18", events=30),
            Spelling("PC01$", "CONTOSO", "S-1-5-21-1-2-3-1001", events=3, logon_successes=3),
        ]
    )
    assert [(i.name, i.sid, i.kind) for i in found] == [
        ("SYSTEM", "S-1-5-18", KIND_SERVICE),
        ("PC01$", "S-1-5-21-1-2-3-1001", KIND_MACHINE),
        ("PC02$", "S-1-5-18", KIND_MACHINE),
    ]


def test_a_unix_user_id_joins_the_name_it_logged_on_as() -> None:
    spellings = [
        Spelling("alice", "CONTOSO", ALICE_SID, events=5, logon_successes=1),
        Spelling("alice", None, None, events=5, logon_successes=1),
        Spelling("1000", None, None, events=9, other_activity=9),
        Spelling("1001", None, None, events=2, other_activity=2),
    ]
    found = resolve_identities(spellings, {"1000": "alice", "1001": "nobody-seen"})
    assert [(i.name, i.usernames) for i in found] == [
        ("1001", ["1001"]),
        ("alice", ["1000", "alice"]),
    ]
