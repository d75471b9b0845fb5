"""Compiled filters run on a real DuckDB events table and find exactly the events they should."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchkeeper.core.errors import FilterSyntaxError
from watchkeeper.core.fields import ALIASES, COMMON_COLUMNS, quote_ident
from watchkeeper.core.filterlang import MAX_DEPTH, parse_filter
from watchkeeper.storage.filters import compile_filter

HOSTILE = "'; DROP TABLE events; --"
ORIGINAL_FIELDS = [
    "Image",
    "CommandLine",
    "TargetUserName",
    "orig.Level",
    "LogonType",
    'we"ird',
    HOSTILE,
]

# id, time, host, username, event_id, process, src_port, message, raw, then original fields
ROWS: list[tuple[Any, ...]] = [
    (
        1,
        "2026-11-01 08:00:00",
        "pc-01",
        "alice",
        4624,
        "C:\\Windows\\explorer.exe",
        50000,
        "An account was successfully logged on",
        '{"EventID":4624}',
        {"TargetUserName": "alice", "LogonType": "2", "orig.Level": "4"},
    ),
    (
        2,
        "2026-11-01 23:59:59",
        "PC-01",
        "admin",
        4625,
        "C:\\Windows\\System32\\svchost.exe",
        445,
        "An account failed to log on",
        '{"EventID":4625,"Status":"0xC000006D"}',
        {"TargetUserName": "Administrator", "LogonType": "3", "orig.Level": "0"},
    ),
    (
        3,
        "2026-11-02 12:00:00",
        "pc-010",
        "adman",
        4688,
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        1024,
        "A new process has been created",
        '{"CommandLine":"powershell -enc AAAA"}',
        {
            "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "CommandLine": "powershell -enc AAAA",
            "LogonType": "10",
        },
    ),
    (
        4,
        "2026-11-03 12:00:30",
        "srv-db",
        None,
        1,
        "C:\\Tools\\mimikatz.exe",
        80,
        "Process Create: MIMIKATZ.exe sekurlsa::logonpasswords",
        '{"Image":"C:\\\\Tools"}',
        {
            "Image": "C:\\Tools\\mimikatz.exe",
            "CommandLine": 'mimikatz.exe "privilege::debug"',
            "LogonType": "-",
        },
    ),
    (
        5,
        "2026-11-04 00:00:00",
        "srv-db",
        "bob",
        None,
        "/usr/sbin/sshd",
        22,
        "Failed password for bob from 10.0.0.5",
        "<38>Nov  4 00:00:00 srv-db sshd[1]: Failed",
        {"Image": ""},
    ),
    (
        6,
        None,
        None,
        "svc_backup",
        4624,
        None,
        None,
        "disk 100% full; used a_b of 100",
        "raw 100% and a_b",
        {"TargetUserName": "svc_backup"},
    ),
    (
        7,
        "2026-11-05 09:30:00",
        "pc-02",
        "carol",
        4634,
        None,
        65535,
        "logoff",
        "{}",
        {"TargetUserName": "carol", 'we"ird': "odd", HOSTILE: "evil column"},
    ),
]


class TableResolver:
    """Names resolved as the store does: any case, aliases first."""

    def __init__(self, columns: Iterable[str]) -> None:
        self.columns = {name.lower(): name for name in columns}

    def resolve(self, name: str) -> str | None:
        key = name.lower()
        return self.columns.get(ALIASES.get(key, key))

    def known_names(self) -> list[str]:
        return [*self.columns.values(), *ALIASES]


def make_table(con: duckdb.DuckDBPyConnection, rows: list[tuple[Any, ...]]) -> None:
    columns = [f"{quote_ident(name)} {kind}" for name, kind in COMMON_COLUMNS.items()]
    columns += [f"{quote_ident(name)} VARCHAR" for name in ORIGINAL_FIELDS]
    con.execute(f"CREATE TABLE events ({', '.join(columns)})")
    names = ["id", "time", "host", "username", "event_id", "process", "src_port", "message", "raw"]
    for row in rows:
        values = dict(zip(names, row[:9], strict=True)) | row[9]
        con.execute(
            f"INSERT INTO events ({', '.join(quote_ident(n) for n in values)}) "
            f"VALUES ({', '.join('?' for _ in values)})",
            list(values.values()),
        )


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(":memory:")
    make_table(connection, ROWS)
    yield connection
    connection.close()


def resolver_for(con: duckdb.DuckDBPyConnection) -> TableResolver:
    return TableResolver(name for (name, *_rest) in con.execute("DESCRIBE events").fetchall())


def ids(con: duckdb.DuckDBPyConnection, text: str) -> list[int]:
    compiled = compile_filter(text, resolver_for(con))
    sql = f"SELECT id FROM events WHERE {compiled.where} ORDER BY id"
    return [row[0] for row in con.execute(sql, compiled.params).fetchall()]


def problem(con: duckdb.DuckDBPyConnection, text: str) -> FilterSyntaxError:
    with pytest.raises(FilterSyntaxError) as caught:
        compile_filter(text, resolver_for(con))
    return caught.value


# --- matching -------------------------------------------------------------------------------


def test_an_empty_filter_finds_everything(con: duckdb.DuckDBPyConnection) -> None:
    assert compile_filter("  ", resolver_for(con)) == compile_filter("", resolver_for(con))
    assert compile_filter("", resolver_for(con)).where == "TRUE"
    assert ids(con, "") == [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mimikatz", [4]),  # case-insensitive, in the message
        ("0xc000006d", [2]),  # only in the raw record
        ('"failed password"', [5]),
        ("failed", [2, 5]),
        ("100%", [6]),  # % and _ are ordinary characters in a word
        ("a_b", [6]),
        ("axb", []),
        ("100%*full", [6]),  # a wildcard beside a literal %
        ("disk_100*", []),  # a literal _ is not "any character", even beside a wildcard
        ("used?a_b*", [6]),
        ("sekurlsa::*", [4]),
        ("log?n", [4]),  # ? is one character: "logonpasswords", not "logged on" or "log on"
        ("process*exe", [4]),  # * is any text: "Process Create: MIMIKATZ.exe"
    ],
)
def test_free_words_search_message_and_raw(
    con: duckdb.DuckDBPyConnection, text: str, expected: list[int]
) -> None:
    assert ids(con, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("host:pc-01", [1, 2]),  # case-insensitive, and not pc-010
        ("host:PC-01 event_id:4624", [1]),
        ("process:*\\powershell.exe", [3]),
        ("process:C:\\Windows\\*", [1, 2, 3]),
        ("user:adm?n", [2, 3]),
        ("user:adm*", [2, 3]),
        ('process:"C:\\Windows\\explorer.exe"', [1]),
        ('process:"*"', []),  # quoted: a literal star
        ("Image:*mimikatz*", [4]),  # the original Sysmon field
        ("image:*MIMIKATZ*", [4]),  # field names in any case
        ("computer:srv-db", [4, 5]),  # an alias of host
        ("CommandLine:*privilege::debug*", [4]),
        ("TargetUserName:administrator", [2]),
        ("`orig.Level`:4 OR orig.Level:0", [1, 2]),
        ("level:warn", []),
    ],
)
def test_fields_compare_case_insensitively(
    con: duckdb.DuckDBPyConnection, text: str, expected: list[int]
) -> None:
    assert ids(con, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("event_id:4624", [1, 6]),
        ("event_id:4624..4634", [1, 2, 6, 7]),
        ("event_id:4625..", [2, 3, 7]),
        ("event_id:..4624", [1, 4, 6]),
        ("src_port:>1024", [1, 7]),
        ("src_port:>=1024", [1, 3, 7]),
        ("src_port:<=80", [4, 5]),
        ("src_port:<80", [5]),
        ("eventid:1", [4]),
    ],
)
def test_integer_columns_compare_as_numbers(
    con: duckdb.DuckDBPyConnection, text: str, expected: list[int]
) -> None:
    assert ids(con, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LogonType:>3", [3]),  # "10" > 3 as numbers; "-" and missing simply do not match
        ("LogonType:2..3", [1, 2]),
        ("LogonType:<=3", [1, 2]),
        ("TargetUserName:>b", [6, 7]),  # not numbers: compared as text, ignoring case
        ("TargetUserName:<=Alice", [1, 2]),
    ],
)
def test_text_fields_compare_numbers_as_numbers(
    con: duckdb.DuckDBPyConnection, text: str, expected: list[int]
) -> None:
    assert ids(con, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("time:2026-11-01", [1, 2]),  # the whole day
        ("time:>2026-11-01", [3, 4, 5, 7]),  # after that day
        ("time:>=2026-11-02", [3, 4, 5, 7]),
        ("time:<2026-11-02", [1, 2]),
        ("time:<=2026-11-02", [1, 2, 3]),
        ("time:2026-11-01..2026-11-03T12:00", [1, 2, 3, 4]),  # to the end of that minute
        ("time:2026-11-01..2026-11-03T12:00:00", [1, 2, 3]),
        ("time:2026-11-03T13:00+01:00", [4]),  # 12:00-12:59 UTC
        ("time:2026-11", [1, 2, 3, 4, 5, 7]),
        ('time:>="2026-11-05 09:30"', [7]),
        ("time:2026-11-04T00:00:00Z", [5]),
        ("timestamp:2026-11-02", [3]),
    ],
)
def test_times_are_periods_in_utc(
    con: duckdb.DuckDBPyConnection, text: str, expected: list[int]
) -> None:
    assert ids(con, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Image:*", [3, 4]),  # "" is not a value
        ("Image:", [3, 4]),
        ("-Image:*", [1, 2, 5, 6, 7]),
        ("event_id:*", [1, 2, 3, 4, 6, 7]),
        ("-time:*", [6]),
    ],
)
def test_present_and_absent(con: duckdb.DuckDBPyConnection, text: str, expected: list[int]) -> None:
    assert ids(con, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-user:bob", [1, 2, 3, 4, 6, 7]),  # events without a user are kept
        ("NOT host:pc-01", [3, 4, 5, 6, 7]),
        ("-event_id:4624", [2, 3, 4, 5, 7]),
        ("host:srv-db OR host:pc-02", [4, 5, 7]),
        ("host:pc-01 event_id:4625 OR user:bob", [2, 5]),
        ("host:pc-01 (event_id:4625 OR user:alice)", [1, 2]),
        ("NOT (host:pc-01 OR host:srv-db) event_id:*", [3, 6, 7]),
        ("-(host:pc-01 failed)", [1, 3, 4, 5, 6, 7]),
        ("failed AND NOT bob", [2]),
        ("--host:pc-02", [7]),
    ],
)
def test_boolean_logic(con: duckdb.DuckDBPyConnection, text: str, expected: list[int]) -> None:
    assert ids(con, text) == expected


def test_a_plain_function_works_as_the_resolver(con: duckdb.DuckDBPyConnection) -> None:
    compiled = compile_filter("user:bob", {"user": "username"}.get)
    rows = con.execute(f"SELECT id FROM events WHERE {compiled.where}", compiled.params).fetchall()
    assert rows == [(5,)]
    with pytest.raises(FilterSyntaxError, match="unknown field 'host'; to search for the text"):
        compile_filter("host:x", {"user": "username"}.get)


def test_a_long_filter_runs(con: duckdb.DuckDBPyConnection) -> None:
    many = " OR ".join(f"host:pc-1{n:03d}" for n in range(1000))
    assert ids(con, many + " OR user:carol") == [7]
    half = MAX_DEPTH // 2  # each -( is a NOT and a bracket
    assert ids(con, "-(" * half + "host:pc-02" + ")" * half) == [7]
    assert ids(con, "NOT " * (MAX_DEPTH - 1) + "host:pc-02") == [1, 2, 3, 4, 5, 6]


# --- hostile text ---------------------------------------------------------------------------

HOSTILE_VALUES = [
    HOSTILE,
    "it's",
    'say "hi"',
    "back\\slash\\",
    "100%",
    "a_b",
    "%",
    "_",
    "\\",
    "\\%",
    "Grüße ☃ 日本語",
    "ǅemal İstanbul",
    "tab\there",
    "line\nbreak",
    "nul\x00byte",
    "\x1b[31mred",
    "?",
    "*",
    "$1",
    ":",
    "`",
    "--",
    "/*",
    "*/",
    "😀",
]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_values_match_exactly_and_harm_nothing(value: str) -> None:
    con = duckdb.connect(":memory:")
    rows = [
        (1, None, "decoy", None, None, None, None, "decoy", "decoy", {"TargetUserName": "x"}),
        (2, None, value, value, None, None, None, value, value, {"TargetUserName": value}),
    ]
    make_table(con, rows)
    quoted = '"' + value.replace('"', '""') + '"'
    for text in (f"TargetUserName:{quoted}", f"host:{quoted}", quoted, f"user:{quoted}"):
        compiled = compile_filter(text, resolver_for(con))
        assert value not in compiled.where or value == "?"
        assert ids(con, text) == [2], text
        assert ids(con, f"-({text})") == [1], text
    assert con.execute("SELECT count(*) FROM events").fetchone() == (2,)


def test_hostile_field_names_reach_their_columns(con: duckdb.DuckDBPyConnection) -> None:
    assert ids(con, '`we"ird`:ODD') == [7]
    assert ids(con, f"`{HOSTILE}`:*") == [7]
    assert ids(con, f'`{HOSTILE}`:"evil column" OR `{HOSTILE}`:x') == [7]
    assert con.execute("SELECT count(*) FROM events").fetchone() == (7,)


def test_values_never_enter_the_sql(con: duckdb.DuckDBPyConnection) -> None:
    compiled = compile_filter(
        f'user:"{HOSTILE}" {HOSTILE.replace(" ", "")} process:*x\'y*', resolver_for(con)
    )
    assert "DROP" not in compiled.where and "x'y" not in compiled.where
    assert compiled.where.count("?") == len(compiled.params) == 4


# --- mistakes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("event_id:abc", 9, "event_id takes a number, not 'abc'"),
        ("src_port:>http", 10, "src_port takes a number, not 'http'"),
        ("event_id:46*", 9, "event_id takes a number, not '46*'"),
        ("event_id:1.5", 9, "event_id takes a number, not '1.5'"),
        ("event_id:99999999999999999999", 9, "99999999999999999999 is too large for event_id"),
        (
            "event_id:4634..4624",
            9,
            "the range '4634..4624' runs backwards; put the smaller value first",
        ),
        ("LogonType:10..3", 10, "the range '10..3' runs backwards"),
        ("time:2026-11-03..2026-11-01", 5, "runs backwards"),
        ("event_id:..", 9, "a range needs a value on at least one side of '..'"),
        ("time:yesterday", 5, "time takes a date or time such as 2026-11-01 or 2026-11-01T12:00"),
        ("time:2026-02-30", 5, "not '2026-02-30'"),
        ("time:2026-11-01-05:00", 5, "time takes a date or time"),
        ("a hots:pc-01", 2, "unknown field 'hots'; did you mean 'host'?"),
        ("evnt_id:4624", 0, "did you mean 'event_id'"),
        (
            "zzzz:1",
            0,
            "unknown field 'zzzz'; to search for the text itself, put it in double quotes",
        ),
    ],
)
def test_mistakes_are_named_at_their_position(
    con: duckdb.DuckDBPyConnection, text: str, position: int, message: str
) -> None:
    found = problem(con, text)
    assert message in found.message
    assert found.position == position
    assert found.pointer().endswith("\n" + " " * position + "^")


def test_a_parsed_filter_compiles_like_its_text(con: duckdb.DuckDBPyConnection) -> None:
    resolver = resolver_for(con)
    text = "host:pc-01 -user:admin OR time:>2026-11-04"
    assert compile_filter(parse_filter(text), resolver) == compile_filter(text, resolver)


# --- generated input ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(":memory:")
    make_table(connection, ROWS)
    yield connection
    connection.close()


_NAMES = st.sampled_from(
    [
        "host",
        "user",
        "event_id",
        "src_port",
        "time",
        "Image",
        "orig.Level",
        "LogonType",
        "message",
        '`we"ird`',
        "nosuchfield",
    ]
)
_OPS = st.sampled_from(["", ">", ">=", "<", "<="])
_VALUES = st.one_of(
    st.text(
        alphabet=st.characters(
            blacklist_categories=["Cs", "Zs", "Cc"], blacklist_characters='()"`'
        ),
        max_size=12,
    ),
    st.text(max_size=12).map(lambda t: '"' + t.replace('"', '""') + '"'),
    st.sampled_from(
        [
            "4624",
            "-1",
            "1..5",
            "5..1",
            "..",
            "2026-11-01",
            "2026-11-01..2026-11-02",
            "*",
            "a*b?",
            "9" * 25,
            "2026-11-01T12:00Z",
            "1.5",
        ]
    ),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(st.booleans(), _NAMES, _OPS, _VALUES), min_size=1, max_size=3),
    st.sampled_from([" ", " OR ", " AND "]),
)
def test_generated_terms_compile_to_sql_that_runs(
    shared_con: duckdb.DuckDBPyConnection, terms: list[tuple[bool, str, str, str]], joiner: str
) -> None:
    text = joiner.join(
        f"{'-' if negated else ''}{name}:{op}{value}" for negated, name, op, value in terms
    )
    try:
        compiled = compile_filter(text, resolver_for(shared_con))
    except FilterSyntaxError as mistake:
        assert 0 <= mistake.position <= len(text)
        return
    matched = shared_con.execute(
        f"SELECT id FROM events WHERE {compiled.where}", compiled.params
    ).fetchall()
    assert len(matched) <= len(ROWS)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=20))
def test_any_quoted_value_finds_exactly_its_event(
    shared_con: duckdb.DuckDBPyConnection, value: str
) -> None:
    shared_con.execute("CREATE OR REPLACE TEMP TABLE probe AS SELECT * FROM events LIMIT 0")
    shared_con.execute(
        'INSERT INTO probe (id, "TargetUserName") VALUES (1, ?), (2, ?)', [value, value + "x"]
    )
    compiled = compile_filter(
        'TargetUserName:"' + value.replace('"', '""') + '"', resolver_for(shared_con)
    )
    found = shared_con.execute(
        f"SELECT id FROM probe WHERE {compiled.where}", compiled.params
    ).fetchall()
    assert found == [(1,)]


def test_times_in_parameters_are_utc_wall_times(con: duckdb.DuckDBPyConnection) -> None:
    compiled = compile_filter("time:2026-11-03T13:00+01:00", resolver_for(con))
    assert compiled.params == [datetime(2026, 11, 3, 12, 0), datetime(2026, 11, 3, 12, 1)]
