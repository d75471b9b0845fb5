# pySigma's SQLite backend is untyped and types condition values only as SigmaType:
# mypy: disable-error-code="no-untyped-call,arg-type,attr-defined"
"""Sigma detections to DuckDB predicates, on pySigma's SQLite backend.

The SQLite backend already escapes values, folds NULL back to Sigma's two-valued logic under
NOT and keeps long OR chains shallow; this subclass changes what DuckDB does differently:
`LIKE` is case-sensitive there (so matches use `ILIKE`, and `|cased` uses `LIKE`), there is no
`REGEXP` operator, comparing a text column with a number casts the column and fails on text
such as '-', and `NOT` needs a boolean fallback.

Field names are not resolved here. Each field is written as a token (`\\x00Name\\x01`) that the
mapping replaces with a column of the store when the rule runs: the same compiled text serves
every table and every state of the store's columns, so it can be cached by the rule's content.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from sigma.backends.sqlite.sqlite import sqliteBackend
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.conversion.state import ConversionState
from sigma.rule import SigmaRule
from sigma.types import (
    SigmaCasedString,
    SigmaExpansion,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    TimestampPart,
)

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


def _re2_accepts(pattern: str) -> bool:
    try:
        import re2  # google-re2, which pySigma itself depends on
    except ImportError:  # pragma: no cover - installed with pySigma
        return True
    try:
        re2.compile(pattern)
    except Exception:
        return False
    return True


class DuckDBBackend(sqliteBackend):
    """pySigma's SQLite backend with DuckDB's operators; yields bare predicates."""

    identifier: ClassVar[str] = "watchkeeper-duckdb"
    name: ClassVar[str] = "Watchkeeper DuckDB backend"

    wildcard_match_expression: ClassVar[str] = "{field} ILIKE '{value}' ESCAPE '\\'"
    contains_expression: ClassVar[str] = "{field} ILIKE '%{value}%' ESCAPE '\\'"
    re_expression: ClassVar[str] = "regexp_matches({field}, '{regex}')"
    compare_op_expression: ClassVar[str] = "TRY_CAST({field} AS DOUBLE) {operator} {value}"
    null_safe_expression: ClassVar[str] = "COALESCE({expr}, false)"
    field_equals_field_expression: ClassVar[str | None] = "lower({field1}) = lower({field2})"
    field_equals_field_startswith_expression: ClassVar[str | None] = (
        "{field1} ILIKE " + sqliteBackend.field_ref_like_escape + " || '%' ESCAPE '\\'")
    field_equals_field_endswith_expression: ClassVar[str | None] = (
        "{field1} ILIKE '%' || " + sqliteBackend.field_ref_like_escape + " ESCAPE '\\'")
    field_equals_field_contains_expression: ClassVar[str | None] = (
        "{field1} ILIKE '%' || " + sqliteBackend.field_ref_like_escape + " || '%' ESCAPE '\\'")
    field_timestamp_part_expression: ClassVar[str | None] = (
        "date_part('{timestamp_part}', TRY_CAST({field} AS TIMESTAMP))")
    timestamp_part_mapping: ClassVar[dict[TimestampPart, str] | None] = {
        TimestampPart.MINUTE: "minute", TimestampPart.HOUR: "hour", TimestampPart.DAY: "day",
        TimestampPart.WEEK: "week", TimestampPart.MONTH: "month", TimestampPart.YEAR: "year",
    }

    def __init__(self, **options: Any) -> None:
        super().__init__(fulltext_field=RAW_FIELD, **options)

    def escape_and_quote_field(self, field: str) -> str:
        if _START in field or _END in field:
            raise ValueError("a field name holds a control character")
        return field_token(field)

    def finalize_query_default(self, rule: Any, query: str, index: int,
                               state: ConversionState) -> Any:
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
        rest = [arg for arg in cond.args
                if not any(arg is a for args in merged.values() for a in args)]
        parts: list[str] = []
        for name, args in merged.items():
            target = self._fulltext_column() if name is None else self.escape_and_quote_field(name)
            template = "regexp_matches({field}, '(?is)(?:{regex})')" if name is None else \
                "regexp_full_match({field}, '(?is)(?:{regex})')"
            for start in range(0, len(args), MAX_ALTERNATIVES):
                regex = "|".join(str(a.value.to_regex().regexp) for a in args[start:start + MAX_ALTERNATIVES])
                parts.append(template.format(field=target, regex=regex.replace("'", "''")))
        if rest:
            converted = super().convert_condition_or(ConditionOR(rest, cond.source), state)
            if converted is not None:
                parts.append(str(converted) if len(rest) == 1 else f"({converted})")
        return " OR ".join(parts)

    def convert_condition_field_eq_val_str(self, cond: ConditionFieldEqualsValueExpression,
                                           state: ConversionState) -> str:
        # Sigma compares text without regard to case; ILIKE with every LIKE character escaped
        # is that equality, and a wildcard in the rule is a LIKE wildcard.
        return self.wildcard_match_expression.format(
            field=self.escape_and_quote_field(cond.field),
            value=self.convert_value_str(cond.value, state, no_quote=True))

    def convert_condition_field_eq_val_str_case_sensitive(
            self, cond: ConditionFieldEqualsValueExpression, state: ConversionState) -> str:
        return f"{self.escape_and_quote_field(cond.field)} LIKE '{self.convert_value_str(cond.value, state, no_quote=True)}' ESCAPE '\\'"

    def convert_condition_field_eq_val_num(self, cond: ConditionFieldEqualsValueExpression,
                                           state: ConversionState) -> str:
        # Compared as text, as Sigma tools on SQLite do: a text field holding '-' or '0x10'
        # is then simply unequal instead of failing the query.
        return f"CAST({self.escape_and_quote_field(cond.field)} AS VARCHAR) = '{cond.value}'"

    def convert_condition_field_eq_val_bool(self, cond: ConditionFieldEqualsValueExpression,
                                            state: ConversionState) -> str:
        values = "('true', '1')" if cond.value.boolean else "('false', '0')"
        return f"lower(CAST({self.escape_and_quote_field(cond.field)} AS VARCHAR)) IN {values}"

    def convert_condition_field_eq_val_re(self, cond: ConditionFieldEqualsValueExpression,
                                          state: ConversionState) -> str:
        return self._regex(self.escape_and_quote_field(cond.field), cond.value, state)

    def convert_condition_val_re(self, cond: ConditionValueExpression,
                                 state: ConversionState) -> str:
        return self._regex(self._fulltext_column(), cond.value, state)

    def _regex(self, field: str, value: SigmaRegularExpression, state: ConversionState) -> str:
        pattern = super().convert_value_re(value, state)  # flags as a (?i) prefix, quotes doubled
        plain = pattern.replace("''", "'")
        if _re2_accepts(plain):
            return f"regexp_matches({field}, '{pattern}')"
        return f"{PYTHON_REGEX}({field}, '{pattern}')"

    def convert_condition_val_str(self, cond: ConditionValueExpression,
                                  state: ConversionState) -> str:
        field = self._fulltext_column()
        value = self.convert_value_str(cond.value, state, no_quote=True)
        if isinstance(cond.value, SigmaCasedString):
            return f"{field} LIKE '%{value}%' ESCAPE '\\'"
        return self.contains_expression.format(field=field, value=value)

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
        for value in values:
            if isinstance(value, SigmaNumber):  # a whole value, between newlines
                found.append((name, f"\n{value}\n"))
                continue
            if not isinstance(value, SigmaString):
                return []
            chunks = [part for part in value.s if isinstance(part, str)]
            longest = max(chunks, key=len, default="")
            if len(longest) < MIN_NEEDLE:
                return []
            found.append((name, longest.lower()))
        return [found]
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
