"""The Sigma-to-DuckDB backend: every modifier against rows that should and should not match.

Most cases compile a rule, resolve its field tokens against a DuckDB table made for the case
and list the rows the predicate selects; the last ones run real rule files over imported
Windows events through detect().
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from sigma.rule import SigmaRule

from watchkeeper.core.fields import quote_ident
from watchkeeper.detection.backend import PYTHON_REGEX, RULE_POLICY, DuckDBBackend, fields_of
from watchkeeper.detection.engine import detect
from watchkeeper.detection.mapping import Target, resolve
from watchkeeper.detection.rules import RuleCache, RuleSet, load_rules
from watchkeeper.detection.runner import register_python_regex
from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.hits import hit_event_ids
from watchkeeper.storage.store import Store

Row = dict[str, Any]


def compile_rule(detection: str | dict[str, Any]) -> list[str]:
    """The predicates of a rule with this detection."""
    body = (
        yaml.safe_dump(detection, allow_unicode=True, sort_keys=False)
        if isinstance(detection, dict)
        else textwrap.dedent(detection)
    )
    text = "title: case\nlogsource: {product: windows}\ndetection:\n" + textwrap.indent(body, "  ")
    return DuckDBBackend().predicates(SigmaRule.from_yaml(text, policy=RULE_POLICY))


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    register_python_regex(connection)  # wk_regex, as the engine registers it
    yield connection
    connection.close()


def load(
    con: duckdb.DuckDBPyConnection, rows: list[Row], types: dict[str, str] | None = None
) -> dict[str, str]:
    """A table of the rows (a field missing from a row is NULL); its columns by lower name."""
    types = types or {}
    names = list(dict.fromkeys([*(name for row in rows for name in row), *types]))
    con.execute("DROP TABLE IF EXISTS case_rows")
    con.execute(
        "CREATE TABLE case_rows (row_no INTEGER"
        + "".join(f", {quote_ident(n)} {types.get(n, 'VARCHAR')}" for n in names)
        + ")"
    )
    for number, row in enumerate(rows):
        con.execute(
            f"INSERT INTO case_rows VALUES (?{', ?' * len(names)})",
            [number, *(row.get(n) for n in names)],
        )
    return {name.lower(): name for name in names}


def select(
    con: duckdb.DuckDBPyConnection, detection: str | dict[str, Any], columns: dict[str, str]
) -> list[int]:
    """Positions of the loaded rows the rule matches."""
    matched: set[int] = set()
    for predicate in compile_rule(detection):
        sql = resolve(predicate, Target("other"), columns)
        matched.update(
            r[0] for r in con.execute(f"SELECT row_no FROM case_rows WHERE {sql}").fetchall()
        )
    return sorted(matched)


def matching(
    con: duckdb.DuckDBPyConnection,
    detection: str | dict[str, Any],
    rows: list[Row],
    types: dict[str, str] | None = None,
) -> list[int]:
    """Positions of the rows the rule matches."""
    return select(con, detection, load(con, rows, types))


def one(field: str, value: Any) -> dict[str, Any]:
    return {"selection": {field: value}, "condition": "selection"}


def values(*texts: str | None, field: str = "a") -> list[Row]:
    return [{field: text} for text in texts]


# equality and wildcards ------------------------------------------------------------------


def test_equality_ignores_case_and_takes_like_characters_literally(con: Any) -> None:
    rows = values(
        "50%_off\\C:'q\"",
        "50%_OFF\\c:'Q\"",
        "50x_off\\C:'q\"",
        "50%yoff\\C:'q\"",
        "50%_off\\\\C:'q\"",
        "x50%_off\\C:'q\"",
        None,
    )
    assert matching(con, one("a", "50%_off\\C:'q\""), rows) == [0, 1]


def test_equality_is_the_whole_value(con: Any) -> None:
    assert matching(
        con, one("a", "cmd.exe"), values("cmd.exe", "xcmd.exe", "cmd.exe ", "cmdxexe", "")
    ) == [0]


def test_wildcards_and_escaped_wildcards(con: Any) -> None:
    rows = values("aZZb1c*d?", "ab1c*d?", "ab12c*d?", "ab1cXd?", "ab1c*dX", "Ab\nb1C*D?")
    assert matching(con, one("a", "a*b?c\\*d\\?"), rows) == [0, 1, 5]


def test_backslashes_before_other_characters_stay_literal(con: Any) -> None:
    rows = values("C:\\Windows\\System32\\", "C:\\Windows\\System32", "C:Windows")
    assert matching(con, one("a", "C:\\Windows\\System32\\"), rows) == [0]


@pytest.mark.parametrize(
    ("modifier", "expected"),
    [("contains", [0, 1, 2, 3]), ("startswith", [0, 1]), ("endswith", [0, 2])],
)
def test_contains_startswith_endswith(con: Any, modifier: str, expected: list[int]) -> None:
    rows = values("\\Temp\\", "\\TEMP\\evil.exe", "C:\\temp\\", "C:\\Temp\\x", "\\Tmp\\", None)
    assert matching(con, one(f"a|{modifier}", "\\temp\\"), rows) == expected


def test_contains_all_needs_every_value(con: Any) -> None:
    rows = values("xFOOybarz", "foo", "bar", "barfoo", None)
    assert matching(con, one("a|contains|all", ["foo", "bar"]), rows) == [0, 3]


def test_cased_is_case_sensitive(con: Any) -> None:
    rows = values("AbC", "abc", "ABC", "xAbC")
    assert matching(con, one("a|cased", "AbC"), rows) == [0]
    assert matching(con, one("a|contains|cased", "A_C"), values("xA_Cx", "xABCx", "xa_cx")) == [0]
    assert matching(con, one("a|cased", ["AbC", "ABC"]), rows) == [0, 2]


def test_windash_accepts_every_dash(con: Any) -> None:
    rows = values(
        "ps /enc x", "ps -enc x", "ps \u2013enc x", "ps \u2014enc x", "ps xenc x", "ps --enc x"
    )
    assert matching(con, one("a|windash|contains", " -enc "), rows) == [0, 1, 2, 3]


def test_windash_with_all(con: Any) -> None:
    rows = values("x /a y /b z", "x -a y", "x -a -b ", "x /b -a y")
    assert matching(con, one("a|windash|contains|all", [" -a ", " -b "]), rows) == [0, 2, 3]


# encodings --------------------------------------------------------------------------------


def test_base64(con: Any) -> None:
    rows = values("aHR0cA==", "aHR0cHM=", "http")
    assert matching(con, one("a|base64", "http"), rows) == [0]


def test_base64offset_finds_the_text_at_any_offset(con: Any) -> None:
    import base64

    encoded = [base64.b64encode(prefix + b"http://evil").decode() for prefix in (b"", b"x", b"xy")]
    rows = values(*encoded, base64.b64encode(b"https://fine").decode(), None)
    assert matching(con, one("a|base64offset|contains", "http://"), rows) == [0, 1, 2]


@pytest.mark.parametrize(
    ("modifier", "encoded"),
    [
        ("wide", "ping".encode("utf-16-le")),
        ("utf16be", "ping".encode("utf-16-be")),
        ("utf16", b"\xff\xfe" + "ping".encode("utf-16-le")),
    ],
)
def test_utf16_then_base64offset(con: Any, modifier: str, encoded: bytes) -> None:
    import base64

    texts = [base64.b64encode(prefix + encoded).decode() for prefix in (b"", b"-", b"--")]
    rows = values(*texts, base64.b64encode(b"ping").decode())
    assert matching(con, one(f"a|{modifier}|base64offset|contains", "ping"), rows) == [0, 1, 2]


# regular expressions -------------------------------------------------------------------------


def test_regex_is_case_sensitive_and_searches(con: Any) -> None:
    rows = values("abc", "ABC", "a\nc", "xxabcxx", None)
    assert matching(con, one("a|re", "a.c"), rows) == [0, 3]
    assert matching(con, one("a|re", "^a.c$"), rows) == [0]


@pytest.mark.parametrize(
    ("flags", "pattern", "expected"),
    [
        ("i", "^a.c$", [0, 1]),
        ("s", "^a.c$", [0, 2]),
        ("m", "^c$", [2]),
        ("i|s", "^a.c$", [0, 1, 2]),
    ],
)
def test_regex_flags(con: Any, flags: str, pattern: str, expected: list[int]) -> None:
    rows = values("abc", "ABC", "a\nc", "abcd")
    assert matching(con, one(f"a|re|{flags}", pattern), rows) == expected


def test_regex_with_quotes(con: Any) -> None:
    rows = values('it\'s "quoted"', "its quoted")
    assert matching(con, one("a|re", "it's \"quo"), rows) == [0]


def test_regex_re2_cannot_run_goes_to_python(con: Any) -> None:
    predicate = compile_rule(one("a|re", "foo(?!bar)"))[0]
    assert predicate.startswith(PYTHON_REGEX)
    rows = values("foobaz", "foobar", "barfoo", None)
    assert matching(con, one("a|re", "foo(?!bar)"), rows) == [0, 2]
    assert matching(con, one("a|re|i", "it's(?=X)"), values("IT'Sx", "it's")) == [0]
    assert matching(
        con, {"selection": {"a|re": "foo(?!bar)"}, "condition": "not selection"}, rows
    ) == [1, 3]


def test_regex_python_cannot_run_stays_with_re2(con: Any) -> None:
    predicate = compile_rule(one("a|re", "^\\pL+$"))[0]
    assert predicate.startswith("regexp_matches")
    assert matching(con, one("a|re", "^\\pL+$"), values("Ünïcode", "abc1", "")) == [0]


def test_an_invalid_regex_is_refused() -> None:
    with pytest.raises(Exception, match="invalid"):
        compile_rule(one("a|re", "a[b"))


# networks ------------------------------------------------------------------------------------


def test_cidr_ipv4(con: Any) -> None:
    rows = values(
        "10.1.2.7",
        "10.1.3.255",
        "10.1.4.1",
        "110.1.2.7",
        "10.1.20.1",
        "::ffff:10.1.2.9",
        "::ffff:10.1.4.1",
        None,
        "-",
    )
    assert matching(con, one("a|cidr", "10.1.2.0/23"), rows) == [0, 1, 5]


def test_cidr_ipv4_not_on_an_octet(con: Any) -> None:
    rows = values("192.168.1.127", "192.168.1.128", "192.168.1.1", "192.168.1.12x")
    assert matching(con, one("a|cidr", "192.168.1.0/25"), rows) == [0, 2]


@pytest.mark.parametrize("network", ["192.168.1.0/25", "192.168.1.0/24", "192.168.1.7/32"])
def test_cidr_next_to_other_conditions(con: Any, network: str) -> None:
    rows: list[Row] = [
        {"a": "x", "ip": "192.168.1.7"},
        {"a": "y", "ip": "192.168.1.7"},
        {"a": "x", "ip": "::ffff:192.168.1.7"},
        {"a": "y", "ip": "10.0.0.1"},
        {"a": "x", "ip": None},
    ]
    both = {"selection": {"a": "x", "ip|cidr": network}, "condition": "selection"}
    assert matching(con, both, rows) == [0, 2]
    unless = {
        "selection": {"a": "x"},
        "filter": {"ip|cidr": network},
        "condition": "selection and not filter",
    }
    assert matching(con, unless, rows) == [4]


def test_cidr_ipv6(con: Any) -> None:
    rows = values(
        "2001:db8::1",
        "2001:DB8:0:0:1::",
        "2001:db9::1",
        "fe80::1",
        "febf::1",
        "fec0::1",
        "2001:db8:1::1",
        None,
    )
    assert matching(con, one("a|cidr", ["2001:db8::/48", "fe80::/10"]), rows) == [0, 1, 3, 4]


def test_not_cidr_keeps_events_without_the_field(con: Any) -> None:
    rows = values("10.1.1.1", None, "11.1.1.1")
    detection = {"selection": {"a|cidr": "10.0.0.0/8"}, "condition": "not selection"}
    assert matching(con, detection, rows) == [1, 2]


# existence, null, booleans -----------------------------------------------------------------


def test_exists(con: Any) -> None:
    rows = values("x", "", None)
    assert matching(con, one("a|exists", True), rows) == [0, 1]
    assert matching(con, one("a|exists", False), rows) == [2]
    assert matching(con, {"selection": {"a|exists": True}, "condition": "not selection"}, rows) == [
        2
    ]


def test_null_and_empty_values(con: Any) -> None:
    rows = values("x", "", None)
    assert matching(con, one("a", None), rows) == [1, 2]
    assert matching(con, one("a", ""), rows) == [1]
    assert matching(con, {"selection": {"a": None}, "condition": "not selection"}, rows) == [0]
    assert matching(con, one("n", None), [{"n": 0}, {"n": None}], {"n": "INTEGER"}) == [1]


def test_booleans_match_text_and_numbers(con: Any) -> None:
    rows = values("true", "True", "1", "false", "FALSE", "0", "yes", None)
    assert matching(con, one("a", True), rows) == [0, 1, 2]
    assert matching(con, one("a", False), rows) == [3, 4, 5]


# field references ------------------------------------------------------------------------------


def test_fieldref(con: Any) -> None:
    rows: list[Row] = [
        {"a": "x", "b": "X"},
        {"a": "x", "b": "y"},
        {"a": None, "b": None},
        {"a": "x%", "b": "x_"},
        {"a": "x", "b": None},
    ]
    assert matching(con, one("a|fieldref", "b"), rows) == [0]


@pytest.mark.parametrize(
    ("modifier", "expected"),
    [("startswith", [0, 2]), ("endswith", [3, 5]), ("contains", [0, 2, 3, 5, 6])],
)
def test_fieldref_with_startswith_endswith_contains(
    con: Any, modifier: str, expected: list[int]
) -> None:
    rows: list[Row] = [
        {"a": "xyz", "b": "X"},
        {"a": "xyz", "b": "q"},
        {"a": "x_z", "b": "x_"},
        {"a": "a%z", "b": "%Z"},
        {"a": "abz", "b": "%z"},
        {"a": "c:\\dir\\f", "b": "\\F"},
        {"a": "yy\\dir\\yy", "b": "\\dir\\"},
        {"a": "xaz", "b": None},
    ]
    assert matching(con, one(f"a|fieldref|{modifier}", "b"), rows) == expected


# numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("modifier", "number", "expected"),
    [
        ("gt", 5, [0, 5, 6]),
        ("gte", 5, [0, 1, 5, 6]),
        ("lt", 5, [7]),
        ("lte", 5, [1, 7]),
        ("lt", 2.5, [7]),
        ("gte", -1, [1, 5, 6, 7, 0]),
    ],
)
def test_comparisons_on_text_fields(
    con: Any, modifier: str, number: float, expected: list[int]
) -> None:
    rows = values("6", "5", "-", "abc", None, "10", " 7", "-1")
    assert matching(con, one(f"a|{modifier}", number), rows) == sorted(expected)


def test_not_of_a_comparison_holds_for_text_and_absent_fields(con: Any) -> None:
    rows = values("6", "5", "-", None)
    detection = {"selection": {"a|lte": 5}, "condition": "not selection"}
    assert matching(con, detection, rows) == [0, 2, 3]


def test_numbers_equal_text_fields(con: Any) -> None:
    rows = values("3", "03", "-", None, "3.0", "x3")
    assert matching(con, one("a", 3), rows) == [0]
    assert matching(con, one("a", [3, 4]), [*rows, {"a": "4"}]) == [0, 6]


def test_number_and_text_on_a_number_column(con: Any) -> None:
    rows: list[Row] = [{"EventID": 4688}, {"EventID": 4624}, {"EventID": None}]
    types = {"EventID": "INTEGER"}
    assert matching(con, one("EventID", 4688), rows, types) == [0]
    assert matching(con, one("EventID", "4688"), rows, types) == [0]
    assert matching(con, one("EventID", ["4688", "4689"]), rows, types) == [0]
    assert matching(con, one("EventID|startswith", "46"), rows, types) == [0, 1]
    assert matching(con, one("EventID|re", "^46(88|99)$"), rows, types) == [0]
    assert matching(con, one("EventID|gt", 4680), rows, types) == [0]
    assert matching(
        con, {"selection": {"EventID": "4688"}, "condition": "not selection"}, rows, types
    ) == [1, 2]


def test_timestamp_parts(con: Any) -> None:
    rows = values("2026-11-23 03:44:03", "2026-11-23T03:59:00Z", "2026-12-24 04:44:03", "-", None)
    assert matching(con, one("a|hour", 3), rows) == [0, 1]
    assert matching(con, one("a|minute", 44), rows) == [0, 2]
    assert matching(con, one("a|day", 24), rows) == [2]
    assert matching(con, one("a|month", 11), rows) == [0, 1]
    assert matching(con, one("a|year", 2026), rows) == [0, 1, 2]
    stamps = [{"t": "2026-11-23 03:44:03"}, {"t": "2026-11-23 05:00:00"}]
    assert matching(con, one("t|hour", 3), stamps, {"t": "TIMESTAMP"}) == [0]


# conditions ----------------------------------------------------------------------------------------


def test_not_of_a_selection_on_an_absent_field_holds(con: Any) -> None:
    rows: list[Row] = [
        {"a": "x", "b": "y"},
        {"a": "x", "b": None},
        {"a": "x", "b": "z"},
        {"a": "q"},
    ]
    detection = {
        "selection": {"a": "x"},
        "filter": {"b": "y"},
        "condition": "selection and not filter",
    }
    assert matching(con, detection, rows) == [1, 2]
    # and a filter on a field the table has no column for at all
    detection = {
        "selection": {"a": "x"},
        "filter": {"nowhere": "y"},
        "condition": "selection and not filter",
    }
    assert matching(con, detection, rows) == [0, 1, 2]


def test_neq(con: Any) -> None:
    assert matching(con, one("a|neq", "x"), values("x", "X", "y", None)) == [2, 3]


def test_not_of_a_list(con: Any) -> None:
    rows = values("x", None, "Y", "z")
    assert matching(con, {"selection": {"a": ["x", "y"]}, "condition": "not selection"}, rows) == [
        1,
        3,
    ]


def test_one_of_and_all_of(con: Any) -> None:
    rows = [{"a": "x", "b": "y"}, {"a": "x"}, {"a": "z", "b": "y"}, {"a": "z"}]
    selections = {"selection_1": {"a": "x"}, "selection_2": {"b": "y"}}
    assert matching(con, {**selections, "condition": "1 of selection_*"}, rows) == [0, 1, 2]
    assert matching(con, {**selections, "condition": "all of them"}, rows) == [0]
    assert matching(
        con,
        {
            **selections,
            "filter_1": {"b": "Y"},
            "condition": "1 of selection_* and not 1 of filter_*",
        },
        rows,
    ) == [1]


def test_two_conditions_are_either(con: Any) -> None:
    rows = values("x", "y", "z")
    detection = {"sx": {"a": "x"}, "sy": {"a": "y"}, "condition": ["sx", "sy"]}
    assert matching(con, detection, rows) == [0, 1]


# long value lists ---------------------------------------------------------------------------------

ODD_VALUES = [
    "a.b",
    "a(b)",
    "[x]",
    "p+q",
    "$d",
    "^c",
    "x|y",
    "back\\\\slash",
    "brace{1,2}",
    "\u00fcn\u00efc\u00f8d\u00e9",
    "\u00c4\u00d6\u00dc",
    "\u65e5\u672c\u8a9e",
    "tab\tx",
    "new\nline",
    "it's",
    'dq"',
    "pct%",
    "und_er",
    "a?b",
    "q*z",
    "e\\*s",
    "end\\\\",
    "",
]
ODD_ROWS = [
    "a.b",
    "axb",
    "A(B)",
    "[X]",
    "p+q",
    "ppq",
    "$d",
    "^c",
    "x|y",
    "x",
    "back\\slash",
    "backslash",
    "brace{1,2}",
    "\u00dcN\u00cfC\u00d8D\u00c9",
    "\u00e4\u00f6\u00fc",
    "\u65e5\u672c\u8a9e",
    "tab\tx",
    "new\nline",
    "IT'S",
    'DQ"',
    "pct%",
    "pctx",
    "und_er",
    "undxer",
    "aXb",
    "a?b",
    "ab",
    "qz",
    "q123z",
    "q\nz",
    "e*s",
    "eXs",
    "end\\",
    "filler7",
    "filler229",
    "filler230",
    "FILLER7",
    " filler7",
    "",
    None,
]


@pytest.mark.parametrize("modifier", ["", "|contains", "|startswith", "|endswith"])
def test_a_long_list_matches_what_each_value_alone_matches(con: Any, modifier: str) -> None:
    listed = ODD_VALUES + [f"filler{i}" for i in range(230)]
    rows = values(*ODD_ROWS, *(f"pre {v} post" for v in ODD_VALUES[:12]))
    merged = compile_rule(one("a" + modifier, listed))[0]
    assert merged.count("regexp_full_match") == 2  # 253 values: two regexes of up to 200
    columns = load(con, rows)
    alone: set[int] = set()
    for value in listed:
        alone.update(select(con, one("a" + modifier, value), columns))
    assert select(con, one("a" + modifier, listed), columns) == sorted(alone)
    assert len(alone) > 20  # the comparison compared something


def test_a_long_keyword_list_matches_what_each_keyword_alone_matches(con: Any) -> None:
    listed = [v for v in ODD_VALUES if v] + [f"filler{i}" for i in range(230)]
    columns = load(con, values(*ODD_ROWS, field="raw"))
    alone: set[int] = set()
    for value in listed:
        alone.update(select(con, {"keywords": [value], "condition": "keywords"}, columns))
    assert select(con, {"keywords": listed, "condition": "keywords"}, columns) == sorted(alone)
    assert len(alone) > 20


# field names and hostile values -------------------------------------------------------------------


def test_reserved_words_and_odd_characters_as_field_names(con: Any) -> None:
    names = ["select", "order", "group", "from", "odd name", "it's", 'dq"x', "a.b", "\u00e9t\u00e9"]
    hit = {name: f"v{number}" for number, name in enumerate(names)}
    miss = {**hit, "group": "nope"}
    detection = {
        "selection": {name: f"V{number}" for number, name in enumerate(names)},
        "condition": "selection",
    }
    assert matching(con, detection, [hit, miss]) == [0]
    predicate = compile_rule(detection)[0]
    assert fields_of(predicate) == names


@pytest.mark.parametrize(
    "value",
    [
        "x'; DROP TABLE case_rows; --",
        "' OR '1'='1",
        'x" OR "1"="1',
        "\\'",
        "%' OR 1=1 --",
        "tab\there",
        "bell\x07",
        "del\x7f",
        "nul\x00byte",
        "soh\x01byte",
        "\x00select\x01",
        "\x00it's\x01",
    ],
)
def test_hostile_values_match_only_themselves(con: Any, value: str) -> None:
    rows = [
        {"a": value, "it's": "column", "select": "column"},
        {"a": "x", "it's": "c"},
        {"a": "X'"},
    ]
    assert matching(con, one("a", value), rows) == [0]
    assert matching(con, one("a|contains", value), rows) == [0]
    assert matching(con, one("a", [value, "nothing"]), rows) == [0]
    assert con.execute("SELECT count(*) FROM case_rows").fetchone() == (3,)
    assert matching(
        con, {"keywords": [value], "condition": "keywords"}, [{"raw": f"<{value}>"}, {"raw": "x"}]
    ) == [0]


def test_a_value_cannot_forge_a_field(con: Any) -> None:
    predicate = compile_rule(one("a", "\x00select\x01"))[0]
    assert fields_of(predicate) == ["a"]


# keywords ------------------------------------------------------------------------------------------


def test_keywords_search_the_raw_record(con: Any) -> None:
    rows = values(
        "zzFOO'barzz", "x%y", "xzy", "id 4625 seen", "4626", "xxaZZbxx", "cXd", field="raw"
    )
    assert matching(con, {"keywords": ["foo'bar"], "condition": "keywords"}, rows) == [0]
    assert matching(con, {"keywords": ["x%y", "zzz"], "condition": "keywords"}, rows) == [1]
    assert matching(con, {"keywords": [4625], "condition": "keywords"}, rows) == [3]
    assert matching(con, {"keywords": ["a*b", "c?d"], "condition": "keywords"}, rows) == [5, 6]
    assert matching(con, {"keywords": {"|all": ["foo", "bar"]}, "condition": "keywords"}, rows) == [
        0
    ]
    assert matching(con, {"keywords": {"|re": "i[dx] ?4"}, "condition": "keywords"}, rows) == [3]


def test_keywords_find_text_that_json_escapes(con: Any) -> None:
    record = json.dumps({"CommandLine": 'rundll32 C:\\x\\mimilib.dll -Confirm "False"'})
    rows = values(record, "C:\\x\\mimilib.dll", "nothing", field="raw")
    single = {"keywords": ["\\mimilib.dll"], "condition": "keywords"}
    assert matching(con, single, rows) == [0, 1]
    listed = {"keywords": ["\\mimilib.dll", "sekurlsa::"], "condition": "keywords"}
    assert matching(con, listed, rows) == [0, 1]
    both = {"keywords": {"|all": ["Remove", ' -Confirm "False"']}, "condition": "keywords"}
    assert matching(con, both, values(record.replace("rundll32", "Remove"), field="raw")) == [0]


# end to end: rule files, imported Windows events, detect() -------------------------------------------


def nxlog(record: int, event_id: int, channel: str, **data: Any) -> dict[str, Any]:
    return {
        "EventTime": f"2026-11-23T08:{record // 60:02d}:{record % 60:02d}Z",
        "Hostname": "PC1",
        "EventID": event_id,
        "SourceName": "Test",
        "Channel": channel,
        "RecordNumber": record,
        "SourceModuleType": "im_msvistalog",
        **data,
    }


SYSMON = "Microsoft-Windows-Sysmon/Operational"


def import_events(store: Store, folder: Path, *lines: dict[str, Any]) -> dict[int, int]:
    """Event ids by record number."""
    path = folder / "events.json"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    import_paths(store, [path])
    rows = store.fetch_all('SELECT id, "EventRecordID" FROM events_windows')
    return {int(record): int(event) for event, record in rows}


def rule_files(folder: Path, **rules: str) -> RuleSet:
    folder.mkdir(exist_ok=True)
    for name, body in rules.items():
        (folder / f"{name}.yml").write_text(
            f"title: {name}\nname: {name}\nstatus: test\nlevel: high\n"
            + textwrap.dedent(body).strip()
            + "\n",
            encoding="utf-8",
        )
    return load_rules([folder], cache=RuleCache(None))


@pytest.fixture
def windows(store: Store, tmp_path: Path) -> dict[int, int]:
    folder = tmp_path / "logs"
    folder.mkdir()
    return import_events(
        store,
        folder,
        nxlog(
            1,
            1,
            SYSMON,
            Image="C:\\Windows\\System32\\rundll32.exe",
            CommandLine="rundll32.exe C:\\x\\mimilib.dll,Start",
            User="OFFICE\\alice",
        ),
        nxlog(
            2,
            1,
            SYSMON,
            Image="C:\\Users\\bob\\AppData\\evil_1.exe",
            CommandLine='evil -Confirm "False"',
            ParentImage="C:\\Windows\\explorer.exe",
        ),
        nxlog(
            3,
            3,
            SYSMON,
            Image="C:\\Windows\\System32\\svchost.exe",
            DestinationIp="::ffff:10.1.2.3",
        ),
        nxlog(
            4,
            4688,
            "Security",
            NewProcessName="C:\\Windows\\System32\\whoami.exe",
            CommandLine="whoami /priv",
            ParentProcessName="C:\\Windows\\System32\\cmd.exe",
        ),
        nxlog(5, 4625, "Security", TargetUserName="alice", IpAddress="-"),
        nxlog(6, 4624, "Security", TargetUserName="bob", IpAddress="10.1.2.3", LogonType="3"),
    )


def hit_records(store: Store, ruleset: RuleSet, name: str, ids: dict[int, int]) -> list[int]:
    by_event = {event: record for record, event in ids.items()}
    rule = ruleset.find(name)
    assert rule is not None, f"no rule {name!r}"
    return sorted(by_event[e] for e in hit_event_ids(store, rule.rule_id))


def test_process_creation_from_sysmon_and_security(
    store: Store, tmp_path: Path, windows: dict[int, int]
) -> None:
    ruleset = rule_files(
        tmp_path / "rules",
        procs="""
        logsource: {product: windows, category: process_creation}
        detection:
          selection:
            Image|endswith: ['\\rundll32.exe', '\\WHOAMI.EXE', '\\evil_1.exe']
          filter:
            ParentImage|startswith: 'C:\\Windows\\explorer'
          condition: selection and not filter
    """,
    )
    assert not ruleset.problems
    report = detect(store, ruleset, full=True)
    assert not report.failures
    assert hit_records(store, ruleset, "procs", windows) == [1, 4]


def test_event_id_written_as_text_and_with_modifiers(
    store: Store, tmp_path: Path, windows: dict[int, int]
) -> None:
    ruleset = rule_files(
        tmp_path / "rules",
        quoted="""
        logsource: {product: windows, service: security}
        detection:
          selection:
            EventID: '4625'
          condition: selection
    """,
        starts="""
        logsource: {product: windows, service: security}
        detection:
          selection:
            EventID|startswith: '462'
            LogonType|gte: 2
          condition: selection
    """,
    )
    report = detect(store, ruleset, full=True)
    assert not report.failures
    assert hit_records(store, ruleset, "quoted", windows) == [5]
    assert hit_records(store, ruleset, "starts", windows) == [6]


def test_keyword_rules_search_the_raw_record(
    store: Store, tmp_path: Path, windows: dict[int, int]
) -> None:
    ruleset = rule_files(
        tmp_path / "rules",
        mimikatz="""
        logsource: {product: windows}
        detection:
          keywords:
            - '\\mimilib.dll'
            - 'sekurlsa::'
          condition: keywords
    """,
        confirm="""
        logsource: {product: windows}
        detection:
          keywords:
            '|all':
              - 'evil'
              - ' -Confirm "False"'
          condition: keywords
    """,
        number="""
        logsource: {product: windows}
        detection:
          keywords:
            - 4688
          condition: keywords
    """,
    )
    report = detect(store, ruleset, full=True)
    assert not report.failures
    assert hit_records(store, ruleset, "mimikatz", windows) == [1]
    assert hit_records(store, ruleset, "confirm", windows) == [2]
    assert hit_records(store, ruleset, "number", windows) == [4]


def test_cidr_and_absent_fields_end_to_end(
    store: Store, tmp_path: Path, windows: dict[int, int]
) -> None:
    ruleset = rule_files(
        tmp_path / "rules",
        internal="""
        logsource: {product: windows}
        detection:
          selection:
            - DestinationIp|cidr: 10.0.0.0/8
            - IpAddress|cidr: 10.0.0.0/8
          condition: selection
    """,
        external_logon="""
        logsource: {product: windows, service: security}
        detection:
          selection:
            EventID: [4624, 4625]
          internal:
            IpAddress|cidr: 10.0.0.0/8
          condition: selection and not internal
    """,
    )
    detect(store, ruleset, full=True)
    assert hit_records(store, ruleset, "internal", windows) == [3, 6]
    assert hit_records(store, ruleset, "external_logon", windows) == [5]


def test_a_hostile_value_in_a_rule_file_matches_nothing_else(
    store: Store, tmp_path: Path, windows: dict[int, int]
) -> None:
    ruleset = rule_files(
        tmp_path / "rules",
        hostile="""
        logsource: {product: windows}
        detection:
          selection:
            CommandLine|contains:
              - "\\0Image\\x01"
              - "x'); DROP TABLE events_windows; --"
          condition: selection
    """,
    )
    assert not ruleset.problems
    report = detect(store, ruleset, full=True)
    assert not report.failures
    assert hit_records(store, ruleset, "hostile", windows) == []
    assert len(windows) == 6
    assert store.fetch_one("SELECT count(*) FROM events_windows") == (6,)


def test_a_lookahead_regex_rule_loads_and_runs(
    store: Store, tmp_path: Path, windows: dict[int, int]
) -> None:
    ruleset = rule_files(
        tmp_path / "rules",
        lookahead="""
        logsource: {product: windows, category: process_creation}
        detection:
          selection:
            CommandLine|re: '(?i)^(?!whoami).*\\.dll'
          condition: selection
    """,
    )
    assert not ruleset.problems
    report = detect(store, ruleset, full=True)
    assert not report.failures
    assert hit_records(store, ruleset, "lookahead", windows) == [1]


@pytest.mark.parametrize(
    "pattern",
    ["(?=a)(a+)+$", "(?<!x)(a|aa)+b", "(?=x)(?:a?){5}", "(?!x)((a+)?)*", "(?<=x)(?:ab|abc)+"],
)
def test_a_regex_only_python_can_run_is_refused_when_it_can_backtrack_for_hours(
    pattern: str,
) -> None:
    with pytest.raises(ValueError, match="could take hours on one event"):
        compile_rule(one("a|re", pattern))


@pytest.mark.parametrize(
    "pattern", ["(?=a)(?>a+)+$", "(?<=x)(?:GET|POST|PUT)+ /", "(\\w)\\1+", "^(?:(?!x).)*$"]
)
def test_a_regex_only_python_can_run_is_kept_when_it_cannot(con: Any, pattern: str) -> None:
    assert compile_rule(one("a|re", pattern))[0].startswith(PYTHON_REGEX)
