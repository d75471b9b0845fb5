"""The filter language: what the filter bar and `watchkeeper search` accept, and what they refuse."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.core.errors import FilterSyntaxError
from watchkeeper.core.filterlang import (
    MAX_DEPTH,
    And,
    Filter,
    Not,
    Or,
    Term,
    Word,
    leaves,
    parse_filter,
    render,
)


def root(text: str) -> object:
    return parse_filter(text).root


def error(text: str) -> FilterSyntaxError:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_filter(text)
    return caught.value


# --- what parses ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_an_empty_filter_means_everything(text: str) -> None:
    assert parse_filter(text) == Filter(text, None)


def test_free_words_and_phrases() -> None:
    assert root("mimikatz") == Word("mimikatz")
    assert root('"failed password"') == Word("failed password", quoted=True)
    assert root('"say ""hi"""') == Word('say "hi"', quoted=True)
    assert root('""') == Word("", quoted=True)


def test_field_terms() -> None:
    assert root("host:pc-01") == Term("host", "=", "pc-01")
    assert root('user:"Jane Doe"') == Term("user", "=", "Jane Doe", quoted=True)
    assert root("process:*\\powershell.exe") == Term("process", "=", "*\\powershell.exe")
    assert root("user:adm?n") == Term("user", "=", "adm?n")
    assert root("event_id:4624..4634") == Term("event_id", "=", "4624..4634")
    assert root("src_ip:fe80::1") == Term("src_ip", "=", "fe80::1")
    assert root("time:>2026-11-01T12:00:00Z") == Term("time", ">", "2026-11-01T12:00:00Z")


@pytest.mark.parametrize(
    ("text", "op", "value"),
    [
        ("src_port:>1024", ">", "1024"),
        ("src_port:>=1024", ">=", "1024"),
        ("src_port:<80", "<", "80"),
        ("src_port:<=80", "<=", "80"),
        ('time:>"2026-11-01 12:00"', ">", "2026-11-01 12:00"),
    ],
)
def test_comparisons(text: str, op: str, value: str) -> None:
    term = root(text)
    assert isinstance(term, Term)
    assert (term.op, term.value) == (op, value)


@pytest.mark.parametrize("text", ["Image:", "Image:*", "Image:***", "(Image:)"])
def test_an_empty_value_or_a_lone_star_means_the_field_has_a_value(text: str) -> None:
    assert root(text) == Term("Image", "*")


@pytest.mark.parametrize(
    "name",
    [
        "orig.Level",
        "sd.origin.ip",
        "Provider_Name",
        "winlog.event_data.x",
        "e-mail",
        "@timestamp",
        "Größe",
    ],
)
def test_field_names_with_dots_hyphens_and_letters(name: str) -> None:
    assert root(f"{name}:x") == Term(name, "=", "x")


def test_backticks_quote_any_field_name() -> None:
    assert root("`Logon Type`:3") == Term("Logon Type", "=", "3")
    assert root("`a``b`:x") == Term("a`b", "=", "x")
    assert root("`'; DROP TABLE events; --`:1") == Term("'; DROP TABLE events; --", "=", "1")


def test_positions_point_at_the_name_and_the_value() -> None:
    term = root("a  event_id:>4624")
    assert isinstance(term, And)
    second = term.operands[1]
    assert isinstance(second, Term)
    assert (second.position, second.value_position) == (3, 13)


@pytest.mark.parametrize(
    "text",
    [
        "C:\\Windows\\Temp\\evil.exe",
        "https://example.com/x",
        "12:30:00",
        "d:/data",
        "sekurlsa::logonpasswords",
    ],
)
def test_paths_urls_commands_and_clock_times_are_words_not_fields(text: str) -> None:
    assert root(text) == Word(text)


def test_backslashes_and_inner_quotes_are_ordinary_characters() -> None:
    assert root("process:C:\\Temp\\") == Term("process", "=", "C:\\Temp\\")
    assert root('cmd.exe/c"whoami"') == Word('cmd.exe/c"whoami"')


# --- boolean structure ----------------------------------------------------------------------

A, B, C, D = Word("a"), Word("b"), Word("c"), Word("d")


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a b", And((A, B))),
        ("a AND b", And((A, B))),
        ("a OR b", Or((A, B))),
        ("a b OR c", Or((And((A, B)), C))),
        ("a OR b c", Or((A, And((B, C))))),
        ("a OR b AND c OR d", Or((A, And((B, C)), D))),
        ("NOT a b", And((Not(A), B))),
        ("-a b", And((Not(A), B))),
        ("NOT (a OR b)", Not(Or((A, B)))),
        ("(a OR b) (c OR d)", And((Or((A, B)), Or((C, D))))),
        ("((a))", A),
        ("a (b c)", And((A, B, C))),
        ("--a", Not(Not(A))),
        ("-Image:*", Not(Term("Image", "*"))),
        ('-"a b"', Not(Word("a b", quoted=True))),
    ],
)
def test_precedence_is_not_then_and_then_or(text: str, tree: object) -> None:
    assert root(text) == tree


def test_lower_case_keywords_are_words_to_search_for() -> None:
    assert root("cannot or will not") == And(
        (Word("cannot"), Word("or"), Word("will"), Word("not"))
    )


def test_a_hyphen_inside_a_word_or_value_is_not_a_negation() -> None:
    assert root("pc-01 host:-") == And((Word("pc-01"), Term("host", "=", "-")))


def test_a_long_flat_filter_parses_without_recursion() -> None:
    text = " OR ".join(f"host:pc-{n}" for n in range(5000))
    tree = root(text)
    assert isinstance(tree, Or)
    assert len(tree.operands) == 5000


# --- mistakes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("(a OR b", 0, "this '(' is never closed"),
        ("a b)", 3, "there is no '(' for this ')'"),
        ("a ()", 2, "empty brackets"),
        ('host:"pc 01', 5, "this quote is never closed"),
        ('"abc', 0, "this quote is never closed"),
        ('"abc"def', 5, "put a space after the closing quote"),
        ("a OR", 2, "'OR' needs a term after it"),
        ("OR a", 0, "'OR' needs a term before it"),
        ("a AND", 2, "'AND' needs a term after it"),
        ("a AND OR b", 2, "'AND' needs a term after it"),
        ("(a OR) b", 3, "'OR' needs a term after it"),
        ("NOT", 0, "'NOT' needs a term after it"),
        ("a NOT)", 2, "'NOT' needs a term after it"),
        ("- a", 0, "'-' must be followed directly"),
        ("a -", 2, "'-' must be followed directly"),
        ("src_port:>", 9, "'>' needs a value after it"),
        ("host:(a b)", 5, "write host:a OR host:b"),
        ("`Logon Type", 0, "this backtick is never closed"),
        ("``:x", 0, "a field name in backticks cannot be empty"),
        ("`Logon Type` 3", 12, "must be followed by ':'"),
    ],
)
def test_every_mistake_is_named_at_its_position(text: str, position: int, message: str) -> None:
    problem = error(text)
    assert message in problem.message
    assert problem.position == position
    assert problem.text == text
    assert problem.pointer() == f"{text}\n{' ' * position}^"


def test_nesting_too_deep_is_an_error_not_a_crash() -> None:
    assert "too many brackets" in error("(" * (MAX_DEPTH + 5) + "a" + ")" * (MAX_DEPTH + 5)).message
    assert "too many brackets" in error("NOT " * 5000 + "a").message
    assert root("(" * 50 + "a" + ")" * 50) == A


def test_messages_are_one_line_for_people() -> None:
    for text in ["(a", 'x:"a', "NOT", "a OR", "- a", "``:x"]:
        message = error(text).message
        assert "\n" not in message and "Traceback" not in message
        assert not message[0].isupper() and not message.endswith(".")


# --- canonical text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("", ""),
        ("  a   AND  b ", "a b"),
        ("a OR (b OR c)", "a OR b OR c"),
        ("(a OR b) c", "(a OR b) c"),
        ("NOT a", "-a"),
        ("NOT (a b)", "-(a b)"),
        ("Image:", "Image:*"),
        ('"say ""hi"""', '"say ""hi"""'),
        ("`Logon Type`:3", "`Logon Type`:3"),
        ("`C`:\\Temp", "`C`:\\Temp"),
        ("`src_ip`:::1", "`src_ip`:::1"),
        ('src_ip:"::1"', 'src_ip:"::1"'),
        ('time:>="2026-11-01 12:00"', 'time:>="2026-11-01 12:00"'),
    ],
)
def test_render_gives_canonical_text(text: str, canonical: str) -> None:
    assert render(parse_filter(text).root) == canonical


def test_leaves_lists_words_and_terms_in_order() -> None:
    found = list(leaves(parse_filter('a -(host:x OR "b c")').root))
    assert found == [Word("a"), Term("host", "=", "x"), Word("b c", quoted=True)]


# --- any input at all -----------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "a",
        "pc-01",
        "AND",
        "OR",
        "NOT",
        "and",
        "-",
        "(",
        ")",
        '"',
        '""',
        "`",
        ":",
        "*",
        "?",
        "host:",
        "host:x",
        "event_id:4624..4634",
        "src_port:>",
        ">=",
        "..",
        "\\",
        "'",
        "%",
        "_",
        "`a b`:",
        "time:2026-11-01",
        "C:\\x",
        "http://x",
        "é",
        "\x00",
        "\x1b",
        "\u3000",
        " ",
        "\t",
    ]
)
_FILTERS = st.one_of(
    st.text(max_size=60),
    st.lists(_PIECES, max_size=25).map("".join),
    st.lists(_PIECES, max_size=25).map(" ".join),
)


@settings(max_examples=1500, deadline=None)
@given(_FILTERS)
def test_any_text_parses_or_raises_a_filter_syntax_error(text: str) -> None:
    try:
        parsed = parse_filter(text)
    except FilterSyntaxError as problem:
        assert 0 <= problem.position <= len(text)
        assert problem.message
        return
    canonical = render(parsed.root)
    reparsed = parse_filter(canonical)
    assert reparsed.root == parsed.root
    assert render(reparsed.root) == canonical
