"""One row's content as a hash: the same for an event read from the store or from the archive,
and whatever columns were added to its table since. The seals (storage/seals.py) and the
roll-over's read-back (storage/archive.py) both hash rows so."""

from __future__ import annotations

import json

from watchkeeper.core.fields import quote_ident


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _value_sql(name: str, kind: str) -> str:
    """A column's value as canonical text. A 128-bit integer (the dedup key, which the
    archive keeps as text) as hex: DuckDB turns those into decimal text slowly."""
    column = quote_ident(name)
    if kind in ("UHUGEINT", "HUGEINT"):
        return f"hex({column})"
    if name.lower() == "dedup_key":
        return f"hex(TRY_CAST({column} AS UHUGEINT))"
    return f"CAST({column} AS VARCHAR)"


def row_hash_sql(columns: list[tuple[str, str]]) -> str:
    """The SQL of one row's hash over these (name, type) columns, in this order."""
    # as the members of a JSON object without its NULLs: the quoted value cannot pass for a
    # separator, and `||` makes a NULL value's member NULL, which concat_ws leaves out
    terms = [
        f"{_literal(json.dumps(name, ensure_ascii=False) + ':')} || to_json({_value_sql(name, kind)})"
        for name, kind in columns
    ]
    return f"sha256(concat_ws(',', {', '.join(terms) or 'NULL'}))"


def content_sql(columns: list[str]) -> str:
    """An aggregate over rows: the SHA-256 of their hashes in id order (over the non-NULL
    values of `columns`, by name)."""
    return f"sha256(string_agg({row_hash_sql([(c, 'VARCHAR') for c in columns])}, ',' ORDER BY id))"
