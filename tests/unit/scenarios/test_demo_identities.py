"""The demo office in the Users and Hosts views: its people first, each once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from watchkeeper.core.identity import KIND_ORDER, KIND_PERSON
from watchkeeper.ingest.importer import import_paths
from watchkeeper.scenarios import generate
from watchkeeper.scenarios.office import USERS
from watchkeeper.storage.pivots import UserRow, hosts, users
from watchkeeper.storage.store import Store

# Accounts the attack stories use on the web server and a PC: real accounts, not guesses.
STORY_ACCOUNTS = {"deploy", "backup2", "svc_update", "svc_backup"}


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[UserRow]]:
    work = tmp_path_factory.mktemp("demo")
    generate(work / "logs", events=20_000, seed=3)
    with Store(work / "demo.duckdb") as store:
        import_paths(store, [work / "logs"])
        yield users(store)


def test_each_of_the_office_people_is_one_row(office: list[UserRow]) -> None:
    for person in USERS:
        rows = [row for row in office if person.name in {a.lower() for a in row.aliases}]
        assert len(rows) <= 1, (person.name, rows)
        if rows and rows[0].logon_successes:
            row = rows[0]
            assert (row.username, row.kind, row.domain, row.sid) == (
                person.name,
                KIND_PERSON,
                "CONTOSO",
                person.sid,
            )
            # logons from Windows, mail sign-ins as name@CONTOSO.LOCAL and the Linux login
            assert len(row.aliases) >= 2


def test_the_first_rows_are_the_office_people(office: list[UserRow]) -> None:
    kinds = [row.kind for row in office]
    assert kinds == sorted(kinds, key=KIND_ORDER.index)
    people = [row.username for row in office if row.kind == KIND_PERSON]
    office_names = {person.name for person in USERS}
    assert len(people) == len(set(people))
    # auditd's bare user ids join a name only where a session of sshd's names them, which a
    # sample this small may not hold
    named = [name for name in people if not name.isdigit()]
    assert set(named) <= office_names | STORY_ACCOUNTS
    assert len(set(named) & office_names) >= 12
    assert not {"SYSTEM", "root", "DC01$", "admin", "oracle"} & set(people)


def test_windows_host_fqdns_show_once(tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("hosts")
    generate(work / "logs", events=5_000, seed=3)
    with Store(work / "demo.duckdb") as store:
        import_paths(store, [work / "logs"])
        names = [row.host for row in hosts(store)]
    keys = [name.split(".")[0].lower() for name in names]
    assert len(keys) == len(set(keys))
