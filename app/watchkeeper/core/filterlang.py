"""The search filter language: filter text to a syntax tree, and the tree back to text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from watchkeeper.core.errors import FilterSyntaxError

Op = Literal["=", ">", ">=", "<", "<=", "*"]  # "*" is "the field has a value"
MAX_DEPTH = 100  # nesting of brackets and NOTs; deeper input is an error, not a RecursionError
KEYWORDS = frozenset({"AND", "OR", "NOT"})

_FIELD_NAME = re.compile(r"(?:[^\W\d]|@)[\w.\-]*")
_BARE = re.compile(r"[^\s()]+")
_VALUE = re.compile(r"[^\s()]*")
_COMPARATORS: tuple[Op, ...] = (">=", "<=", ">", "<")


@dataclass(frozen=True, slots=True)
class Word:
    """Free text searched for anywhere in the event; a quoted phrase has no wildcards."""

    text: str
    quoted: bool = False
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Term:
    """`name:value`, `name:>value` or, with op "*", `name:*` (the field has a value)."""

    name: str
    op: Op
    value: str = ""
    quoted: bool = False
    position: int = field(default=0, compare=False)  # of the field name
    value_position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]


Node = Word | Term | Not | And | Or


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed filter and the text it came from; `root` is None for "everything"."""

    text: str
    root: Node | None

    def error(self, message: str, position: int) -> FilterSyntaxError:
        return FilterSyntaxError(message, position=position, text=self.text)


def parse_filter(text: str) -> Filter:
    """Parse a filter; FilterSyntaxError, pointing at the mistake, for anything else.

    Grammar (precedence NOT > AND > OR; terms side by side are ANDed)::

        filter  := [or]
        or      := and ("OR" and)*
        and     := not (["AND"] not)*
        not     := ("NOT" | "-") not | "(" or ")" | term
        term    := word | "phrase" | field ":" [">" | ">=" | "<" | "<="] value

    Keywords are upper case only: `and`, `or` and `not` are words to search for. Unquoted
    words and values take the wildcards `*` (any text) and `?` (one character); a quoted
    phrase or value is taken literally, and a double quote inside one is written twice. A
    backslash is always an ordinary character, so Windows paths paste as they are. Field
    names are letters, digits, `_`, `.`, `-` (not first), or anything in `backticks`. A
    value ends at a space or a bracket; `name:` and `name:*` mean "has a value".
    """
    source = Filter(text, None)
    return Filter(text, _Parser(source, _tokens(source)).parse())


# --- tokens -------------------------------------------------------------------------------

Token = tuple[str, int, Word | Term | None]  # kind ("(", ")", "-", a keyword, "leaf"), position


def _tokens(source: Filter) -> list[Token]:
    text, i = source.text, 0
    tokens: list[Token] = []
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append((char, i, None))
            i += 1
        elif char == '"':
            value, end = _quoted(source, i)
            tokens.append(("leaf", i, Word(value, True, i)))
            i = end
        elif char == "-":
            following = text[i + 1 : i + 2]
            if not following or following.isspace() or following == ")":
                raise source.error("'-' must be followed directly by the term to leave out", i)
            tokens.append(("-", i, None))
            i += 1
        elif char == "`":
            name, end = _quoted(source, i, "`")
            if not name:
                raise source.error("a field name in backticks cannot be empty", i)
            if not text.startswith(":", end):
                raise source.error("a field name in backticks must be followed by ':'", end)
            term, i = _term(source, name, i, end + 1)
            tokens.append(("leaf", term.position, term))
        else:
            name_match = _FIELD_NAME.match(text, i)
            if (
                name_match
                and text.startswith(":", name_match.end())
                and not _is_path(name_match.group(), text, name_match.end() + 1)
            ):
                term, i = _term(source, name_match.group(), i, name_match.end() + 1)
                tokens.append(("leaf", term.position, term))
                continue
            bare = _BARE.match(text, i)
            end = bare.end() if bare else i + 1
            word = text[i:end]
            tokens.append(
                (word, i, None) if word in KEYWORDS else ("leaf", i, Word(word, False, i))
            )
            i = end
    return tokens


def _is_path(name: str, text: str, value_start: int) -> bool:
    """`C:\\Temp`, `http://x` and `sekurlsa::logonpasswords` are words, not fields."""
    return (len(name) == 1 and text.startswith(("\\", "/"), value_start)) or text.startswith(
        ("//", ":"), value_start
    )


def _quoted(source: Filter, start: int, quote: str = '"') -> tuple[str, int]:
    """The text between quotes starting at `start` (a doubled quote is one), and the end."""
    text, parts, i = source.text, [], start + 1
    while True:
        close = text.find(quote, i)
        if close == -1:
            what = "quote" if quote == '"' else "backtick"
            raise source.error(f"this {what} is never closed", start)
        parts.append(text[i:close])
        if not text.startswith(quote, close + 1):
            break
        parts.append(quote)
        i = close + 2
    end = close + 1
    if quote == '"' and end < len(text) and not text[end].isspace() and text[end] != ")":
        raise source.error("put a space after the closing quote", end)
    return "".join(parts), end


def _term(source: Filter, name: str, start: int, value_start: int) -> tuple[Term, int]:
    text, i = source.text, value_start
    op: Op = "="
    for comparator in _COMPARATORS:
        if text.startswith(comparator, i):
            op, i = comparator, i + len(comparator)
            break
    if text.startswith('"', i):
        value, end = _quoted(source, i)
        return Term(name, op, value, True, start, i), end
    if text.startswith("(", i):
        raise source.error(f"a field takes one value; write {name}:a OR {name}:b instead", i)
    value_match = _VALUE.match(text, i)
    assert value_match is not None  # the pattern matches the empty string
    value = value_match.group()
    if not value and op != "=":
        raise source.error(f"'{op}' needs a value after it", value_start)
    if op == "=" and not value.strip("*"):
        return Term(name, "*", "", False, start, i), value_match.end()
    return Term(name, op, value, False, start, i), value_match.end()


# --- syntax tree ----------------------------------------------------------------------------


class _Parser:
    def __init__(self, source: Filter, tokens: list[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def parse(self) -> Node | None:
        if not self.tokens:
            return None
        root = self.parse_or()
        extra = self.peek()
        if extra is not None:  # only a ")" stops parse_or early
            raise self.source.error("there is no '(' for this ')'", extra[1])
        return root

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while (token := self.peek()) is not None and token[0] == "OR":
            self.index += 1
            self.expect_operand(token, "'OR' needs a term after it")
            operands.append(self.parse_and())
        return _joined(Or, operands)

    def parse_and(self) -> Node:
        operands = [self.parse_not()]
        while (token := self.peek()) is not None and token[0] not in (")", "OR"):
            if token[0] == "AND":
                self.index += 1
                self.expect_operand(token, "'AND' needs a term after it")
            operands.append(self.parse_not())
        return _joined(And, operands)

    def parse_not(self) -> Node:
        token = self.peek()
        if token is None:  # callers check for an operand first
            raise self.source.error("a term is missing here", len(self.source.text))
        kind, position, leaf = token
        if kind in ("AND", "OR"):
            raise self.source.error(f"'{kind}' needs a term before it", position)
        if kind == ")":
            raise self.source.error("there is no '(' for this ')'", position)
        if leaf is not None:
            self.index += 1
            return leaf
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.source.error(
                "the filter has too many brackets or NOTs inside each other", position
            )
        self.index += 1
        if kind == "(":
            if (inner := self.peek()) is None:
                raise self.source.error("this '(' is never closed", position)
            if inner[0] == ")":
                raise self.source.error("empty brackets: put a term between '(' and ')'", position)
            node = self.parse_or()
            if (closing := self.peek()) is None or closing[0] != ")":
                raise self.source.error("this '(' is never closed", position)
            self.index += 1
        else:  # NOT or -
            self.expect_operand(token, f"'{kind}' needs a term after it")
            node = Not(self.parse_not(), position)
        self.depth -= 1
        return node

    def expect_operand(self, after: Token, message: str) -> None:
        following = self.peek()
        if following is None or following[0] in ("AND", "OR", ")"):
            raise self.source.error(message, after[1])


def _joined(kind: type[And] | type[Or], operands: list[Node]) -> Node:
    if len(operands) == 1:
        return operands[0]
    flat: list[Node] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, kind) else (operand,))
    return kind(tuple(flat))


def leaves(node: Node | None) -> Iterator[Word | Term]:
    """Every word and field term in the tree, left to right."""
    if isinstance(node, Word | Term):
        yield node
    elif isinstance(node, Not):
        yield from leaves(node.operand)
    elif isinstance(node, And | Or):
        for operand in node.operands:
            yield from leaves(operand)


def render(node: Node | None) -> str:
    """Canonical text for a tree (filter history); parsing it gives the same tree back."""
    if node is None:
        return ""
    if isinstance(node, Word):
        return _quote(node.text) if node.quoted else node.text
    if isinstance(node, Term):
        if node.op == "*":
            value = "*"
        else:
            value = (node.op if node.op != "=" else "") + (
                _quote(node.value) if node.quoted else node.value
            )
        plain = _FIELD_NAME.fullmatch(node.name) and not _is_path(node.name, value, 0)
        name = node.name if plain else "`" + node.name.replace("`", "``") + "`"
        return f"{name}:{value}"
    if isinstance(node, Not):
        inner = render(node.operand)
        return f"-({inner})" if isinstance(node.operand, And | Or) else f"-{inner}"
    if isinstance(node, And):
        return " ".join(f"({render(o)})" if isinstance(o, Or) else render(o) for o in node.operands)
    return " OR ".join(render(operand) for operand in node.operands)


def exact_term(name: str, value: object, exclude: bool = False) -> str:
    """Filter text matching a field's exact value (or every event but those)."""
    text = render(Term(name, "=", str(value), quoted=True))
    return f"-{text}" if exclude else text


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
