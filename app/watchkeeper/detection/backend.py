# pySigma's SQLite backend is untyped and types condition values only as SigmaType:
# mypy: disable-error-code="no-untyped-call,arg-type,attr-defined"
"""Sigma detections to DuckDB predicates, on pySigma's SQLite backend.

The SQLite backend already escapes values, folds NULL back to Sigma's two-valued logic under
NOT and keeps long OR chains shallow; this subclass changes what DuckDB does differently:
`LIKE` is case-sensitive there (so matches use `ILIKE`, and `|cased` uses `LIKE`), there is no
`REGEXP` operator, comparing a text column with a number casts the column and fails on text
such as '-', and `NOT` needs a boolean fallback. Text operators read every field as text, since
a field may be one of the store's number columns (EventID is `event_id INTEGER`).

Keyword (field-less) values search the original record, which for Windows events is JSON: a
backslash or quote in a keyword is looked for both as written and as JSON writes it.

Field names are not resolved here. Each field is written as a token (`\\x00Name\\x01`) that the
mapping replaces with a column of the store when the rule runs: the same compiled text serves
every table and every state of the store's columns, so it can be cached by the rule's content.
"""

from __future__ import annotations

import json
import re
from ipaddress import IPv4Network
from typing import Any, ClassVar, cast

from sigma.backends.sqlite.sqlite import sqliteBackend
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.conversion.state import ConversionState
from sigma.policy import SigmaPolicy
from sigma.policy.regex_engine import PythonRegexEngine, RegexEngine, RegexPattern
from sigma.rule import SigmaRule
from sigma.types import (
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaExpansion,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    TimestampPart,
)

from watchkeeper.detection.backtracking import backtracks_badly

# The pseudo-field keyword (field-less) detections search: the original record.
RAW_FIELD = "@raw"
# Written around a field name in compiled text; neither can occur in a Sigma field name.
_START, _END = "\x00", "\x01"
FIELD_TOKEN = re.compile("\x00([^\x00\x01]*)\x01")
# A regex RE2 (DuckDB's engine) cannot run goes to this Python function instead.
PYTHON_REGEX = "wk_regex"
# DuckDB spends about 0.2 ms binding each ILIKE of a query, and SigmaHQ rules list up to
# hundreds of values for one field: two or more values of a field in one OR become a single
# RE2 alternation, which binds and runs in a fraction of the time. Alternations are cut at
# this many values to keep each regex small.
MAX_ALTERNATIVES = 200


def field_token(name: str) -> str:
    return f"{_START}{name}{_END}"


def fields_of(predicate: str) -> list[str]:
    """The field names a compiled predicate reads, each once, in order."""
    return list(dict.fromkeys(FIELD_TOKEN.findall(predicate)))


def _re2(pattern: str) -> Any:
    """The pattern compiled by RE2 (DuckDB's engine), quietly; raises on what RE2 refuses."""
    import re2  # google-re2, which pySigma itself depends on

    options = re2.Options()
    options.log_errors = False  # a refusal is an answer here, not an error for stderr
    return re2.compile(pattern, options)


def _re2_accepts(pattern: str) -> bool:
    try:
        _re2(pattern)
    except ImportError:  # pragma: no cover - installed with pySigma
        return True
    except Exception:  # re2.error
        return False
    return True


_FLAGS = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s"}


class _EitherRegexEngine(RegexEngine):
    """Accepts a regex that RE2 or Python's re can run: the backend sends the second kind to
    the engine's Python function, so a rule with a lookahead still loads and runs."""

    def compile(self, pattern: str, flags: int = 0) -> RegexPattern:
        inline = "".join(letter for flag, letter in _FLAGS.items() if flags & flag)
        try:
            return cast(RegexPattern, _re2(f"(?{inline}){pattern}" if inline else pattern))
        except Exception:  # re2.error, or no re2 at all
            return PythonRegexEngine().compile(pattern, flags)

    @property
    def error(self) -> type[Exception]:
        return re.error


# Rules must be parsed under this policy (SigmaCollection.from_yaml(..., policy=RULE_POLICY)):
# pySigma's default refuses, while reading the rule, every regex RE2 cannot compile.
RULE_POLICY = SigmaPolicy(regex_engine=_EitherRegexEngine())


def _sql_text(text: str) -> str:
    """Text inside a SQL string literal, with the characters that mark field tokens spelled as
    chr() so that a value can never forge a token."""
    return text.replace(_START, "' || chr(0) || '").replace(_END, "' || chr(1) || '")


def _regex_text(text: str) -> str:
    """A regex with the characters that mark field tokens written as regex escapes."""
    return text.replace(_START, "\\x00").replace(_END, "\\x01")


def _json_spelling(value: SigmaString) -> SigmaString | None:
    """The value as it appears inside a JSON string, or None when that is the same."""
    spelled = value.map_str_parts(lambda part: json.dumps(part, ensure_ascii=False)[1:-1])
    return None if spelled == value else spelled


class DuckDBBackend(sqliteBackend):
    """pySigma's SQLite backend with DuckDB's operators; yields bare predicates."""

    identifier: ClassVar[str] = "watchkeeper-duckdb"
    name: ClassVar[str] = "Watchkeeper DuckDB backend"

    wildcard_match_expression: ClassVar[str] = "{field} ILIKE '{value}' ESCAPE '\\'"
    contains_expression: ClassVar[str] = "{field} ILIKE '%{value}%' ESCAPE '\\'"
    re_expression: ClassVar[str] = "regexp_matches({field}, '{regex}')"
    compare_op_expression: ClassVar[str] = "TRY_CAST({field} AS DOUBLE) {operator} {value}"
    null_safe_expression: ClassVar[str] = "COALESCE({expr}, false)"
    # Sigma leaves `null` to the target; an empty EventData element is stored as '', and
    # `StartModule: null` means a thread with no start module, so empty counts as null.
    field_null_expression: ClassVar[str] = "({field} IS NULL OR CAST({field} AS VARCHAR) = '')"
    field_equals_field_expression: ClassVar[str | None] = "lower({field1}) = lower({field2})"
    field_equals_field_startswith_expression: ClassVar[str | None] = (
        "{field1} ILIKE " + sqliteBackend.field_ref_like_escape + " || '%' ESCAPE '\\'"
    )
    field_equals_field_endswith_expression: ClassVar[str | None] = (
        "{field1} ILIKE '%' || " + sqliteBackend.field_ref_like_escape + " ESCAPE '\\'"
    )
    field_equals_field_contains_expression: ClassVar[str | None] = (
        "{field1} ILIKE '%' || " + sqliteBackend.field_ref_like_escape + " || '%' ESCAPE '\\'"
    )
    field_timestamp_part_expression: ClassVar[str | None] = (
        "date_part('{timestamp_part}', TRY_CAST({field} AS TIMESTAMP))"
    )
    timestamp_part_mapping: ClassVar[dict[TimestampPart, str] | None] = {
        TimestampPart.MINUTE: "minute",
        TimestampPart.HOUR: "hour",
        TimestampPart.DAY: "day",
        TimestampPart.WEEK: "week",
        TimestampPart.MONTH: "month",
        TimestampPart.YEAR: "year",
    }

    def __init__(self, **options: Any) -> None:
        super().__init__(fulltext_field=RAW_FIELD, **options)

    def escape_and_quote_field(self, field: str) -> str:
        if _START in field or _END in field:
            raise ValueError("a field name holds a control character")
        return field_token(field)

    def text_field(self, field: str) -> str:
        """The field as text, for LIKE, regexes and lower(): a no-op on a text column."""
        return f"CAST({self.escape_and_quote_field(field)} AS VARCHAR)"

    def convert_condition_field_eq_field_escape_and_quote(
        self, field1: str, field2: str
    ) -> tuple[str, str]:
        return self.text_field(field1), self.text_field(field2)

    def convert_value_str(
        self,
        s: SigmaString,
        state: ConversionState,
        no_quote: bool = False,
        glob_wildcards: bool = False,
    ) -> str:
        return _sql_text(super().convert_value_str(s, state, no_quote, glob_wildcards))

    def convert_value_re(self, r: SigmaRegularExpression, state: ConversionState) -> str:
        return _regex_text(super().convert_value_re(r, state))

    def finalize_query_default(
        self, rule: Any, query: str, index: int, state: ConversionState
    ) -> Any:
        return query

    def convert_condition_or(self, cond: ConditionOR, state: ConversionState) -> str | None:
        by_field: dict[str | None, list[Any]] = {}
        for arg in cond.args:
            plain = type(getattr(arg, "value", None)) is SigmaString
            if plain and isinstance(arg, ConditionFieldEqualsValueExpression) and arg.field:
                by_field.setdefault(arg.field, []).append(arg)
            elif plain and isinstance(arg, ConditionValueExpression):
                by_field.setdefault(None, []).append(arg)
        merged = {name: args for name, args in by_field.items() if len(args) > 1}
        if not merged:
            return str(super().convert_condition_or(cond, state))
        rest = [
            arg for arg in cond.args if not any(arg is a for args in merged.values() for a in args)
        ]
        parts: list[str] = []
        for name, args in merged.items():
            if name is None:  # keywords: found anywhere in the record, as written or in JSON
                target, template = self._fulltext_column(), "regexp_matches({field}, '{regex}')"
                values = [
                    spelled
                    for a in args
                    for spelled in (a.value, _json_spelling(a.value))
                    if spelled is not None
                ]
            else:
                target, template = self.text_field(name), "regexp_full_match({field}, '{regex}')"
                values = [a.value for a in args]
            for start in range(0, len(values), MAX_ALTERNATIVES):
                regex = "|".join(
                    _regex_text(str(value.to_regex().regexp))
                    for value in values[start : start + MAX_ALTERNATIVES]
                )
                parts.append(
                    template.format(field=target, regex=f"(?is)(?:{regex})".replace("'", "''"))
                )
        if rest:
            converted = super().convert_condition_or(ConditionOR(rest, cond.source), state)
            if converted is not None:
                parts.append(str(converted) if len(rest) == 1 else f"({converted})")
        return " OR ".join(parts)

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        # Sigma compares text without regard to case; ILIKE with every LIKE character escaped
        # is that equality, and a wildcard in the rule is a LIKE wildcard.
        return self.wildcard_match_expression.format(
            field=self.text_field(cond.field),
            value=self.convert_value_str(cond.value, state, no_quote=True),
        )

    def convert_condition_field_eq_val_str_case_sensitive(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        value = self.convert_value_str(cond.value, state, no_quote=True)
        return f"{self.text_field(cond.field)} LIKE '{value}' ESCAPE '\\'"

    def convert_condition_field_eq_val_num(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        # Compared as text, as Sigma tools on SQLite do: a text field holding '-' or '0x10'
        # is then simply unequal instead of failing the query.
        return f"CAST({self.escape_and_quote_field(cond.field)} AS VARCHAR) = '{cond.value}'"

    def convert_condition_field_eq_val_bool(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        values = "('true', '1')" if cond.value.boolean else "('false', '0')"
        return f"lower(CAST({self.escape_and_quote_field(cond.field)} AS VARCHAR)) IN {values}"

    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return self._regex(self.text_field(cond.field), cond.value, state)

    def convert_condition_field_eq_val_cidr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        # Windows writes an IPv4 client of a dual-stack socket as ::ffff:10.1.2.3.
        cidr = cond.value
        if not isinstance(cidr, SigmaCIDRExpression):
            raise TypeError("a cidr condition without a network")
        patterns = cidr.expand()
        if isinstance(cidr.network, IPv4Network) and "*" not in patterns:
            patterns += [f"::ffff:{pattern}" for pattern in patterns]
        expanded = ConditionOR(
            [ConditionFieldEqualsValueExpression(cond.field, SigmaString(p)) for p in patterns],
            cond.source,
        )
        converted = str(self.convert_condition(expanded, state))
        # an OR of its own, whatever the parent guesses from the pySigma expansion alone
        return f"({converted})" if len(patterns) > 1 else converted

    def convert_condition_val_re(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        return self._regex(self._fulltext_column(), cond.value, state)

    def _regex(self, field: str, value: SigmaRegularExpression, state: ConversionState) -> str:
        pattern = self.convert_value_re(value, state)  # flags as a (?i) prefix, quotes doubled
        plain = pattern.replace("''", "'")
        if _re2_accepts(plain):
            return f"regexp_matches({field}, '{pattern}')"
        if backtracks_badly(plain):
            shown = value.regexp if len(value.regexp) <= 24 else value.regexp[:21] + "..."
            raise ValueError(
                f"its regex '{shown}' could take hours on one event: it repeats a part that "
                "matches in several ways, like (a+)+, and needs Python's re, which has no "
                "time limit"
            )
        return f"{PYTHON_REGEX}({field}, '{pattern}')"

    def convert_condition_val_str(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        field = self._fulltext_column()
        operator = "LIKE" if isinstance(cond.value, SigmaCasedString) else "ILIKE"
        spellings = [cond.value, _json_spelling(cond.value)]
        matches = [
            f"{field} {operator} '%{self.convert_value_str(value, state, no_quote=True)}%' "
            "ESCAPE '\\'"
            for value in spellings
            if value is not None
        ]
        return matches[0] if len(matches) == 1 else f"({' OR '.join(matches)})"

    def predicates(self, rule: SigmaRule) -> list[str]:
        """One predicate per condition of the rule."""
        return [str(query) for query in self.convert_rule(rule)]


# A literal shorter than this says too little to be worth checking.
MIN_NEEDLE = 3
Clause = list[tuple[str, str]]  # (field, lower-case text): at least one must be present


def needles(rule: SigmaRule) -> list[Clause]:
    """Clauses that must all hold for the rule to match: in each, some field's value contains
    its text. Empty when nothing can be read off the rule.

    A batch of new events rarely holds the text any one rule looks for, so checking these
    against the batch's distinct values skips most rules without asking DuckDB at all.
    """
    alternatives: Clause = []
    for condition in rule.detection.parsed_condition:
        clauses = _clauses(condition.parsed)
        if not clauses:
            return []
        if len(rule.detection.parsed_condition) == 1:
            return clauses
        alternatives.extend(min(clauses, key=len))
    return [list(dict.fromkeys(alternatives))]


def _clauses(cond: Any) -> list[Clause]:
    if isinstance(cond, ConditionFieldEqualsValueExpression | ConditionValueExpression):
        name = getattr(cond, "field", None) or RAW_FIELD
        values = cond.value.values if isinstance(cond.value, SigmaExpansion) else [cond.value]
        found: Clause = []
        keyword = name == RAW_FIELD
        for value in values:
            if isinstance(value, SigmaNumber):
                # a field's number is its whole value (between newlines); a keyword's, any text
                found.append((name, str(value) if keyword else f"\n{value}\n"))
                continue
            if not isinstance(value, SigmaString):
                return []
            chunks = [part for part in value.s if isinstance(part, str)]
            longest = max(chunks, key=len, default="")
            if len(longest) < MIN_NEEDLE:
                return []
            found.append((name, longest.lower()))
            if keyword:  # the record may hold it as JSON writes it (see convert_condition_val_str)
                found.append((name, json.dumps(longest, ensure_ascii=False)[1:-1].lower()))
        return [list(dict.fromkeys(found))]
    if isinstance(cond, ConditionAND):
        return [clause for arg in cond.args for clause in _clauses(arg)]
    if isinstance(cond, ConditionOR):
        # one clause of each alternative, joined: whichever alternative holds, its clause does
        joined: Clause = []
        for arg in cond.args:
            clauses = _clauses(arg)
            if not clauses:
                return []
            joined.extend(min(clauses, key=len))
        return [list(dict.fromkeys(joined))]
    return []  # NOT, and anything else, promises nothing
