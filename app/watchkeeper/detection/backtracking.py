"""Regular expressions that Python's re could spend hours on.

Python's re backtracks, with no time limit and no way to stop it once it runs (it holds the
interpreter until it returns): a repeat of a part that can itself match in more than one way,
as in (a+)+ or (a|ab)*, can take hours on one line of 40 characters. RE2 runs in linear time
and is used whenever it can; a rule whose regex needs Python (a lookaround or back-reference)
is refused when its regex has that shape.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

_REPEATS = ("MAX_REPEAT", "MIN_REPEAT")
_SEALED = ("ATOMIC_GROUP", "POSSESSIVE_REPEAT")  # these never give back what they matched


def _nodes(items: Any) -> list[tuple[str, Any, list[Any]]]:
    """(operator name, argument, sub-patterns) of each node of a parsed pattern."""
    found = []
    for op, arg in items:
        name = str(op)
        if name in (*_REPEATS, "POSSESSIVE_REPEAT"):
            subs = [arg[2]]
        elif name == "SUBPATTERN":
            subs = [arg[3]]
        elif name in ("ASSERT", "ASSERT_NOT"):
            subs = [arg[1]]
        elif name == "BRANCH":
            subs = list(arg[1])
        elif name == "GROUPREF_EXISTS":
            subs = [part for part in arg[1:] if part is not None]
        elif name == "ATOMIC_GROUP":
            subs = [arg]
        else:
            subs = []
        found.append((name, arg, subs))
    return found


def _distinct_starts(alternatives: list[Any]) -> bool:
    """Whether no two alternatives can match at the same position, as in GET|POST|PUT: each
    starts with letters that differ from every other's before either runs out."""
    prefixes = []
    for alternative in alternatives:
        letters = []
        for op, arg in alternative:
            if str(op) != "LITERAL":
                break
            letters.append(chr(arg).lower())
        prefixes.append("".join(letters))
    return all(
        not a.startswith(b) and not b.startswith(a)
        for n, a in enumerate(prefixes)
        for b in prefixes[n + 1 :]
    )


def _varies(items: Any) -> bool:
    """Whether a part can match the same text in more than one way: a repeat of a variable
    count or an alternation, outside atomic groups."""
    for name, arg, subs in _nodes(items):
        if name in _SEALED:
            continue
        if (name == "BRANCH" and not _distinct_starts(arg[1])) or (
            name in _REPEATS and arg[0] != arg[1]
        ):
            return True
        if any(_varies(sub) for sub in subs):
            return True
    return False


def backtracks_badly(pattern: str) -> bool:
    """Whether Python's re can take exponential time on some text with this pattern."""
    # the parser re itself uses (typeshed does not describe it): its tree is what re will run
    parser: Any = importlib.import_module("re._parser")
    try:
        parsed = parser.parse(pattern)
    except re.error:
        return False  # refused as invalid elsewhere

    def bad(items: Any) -> bool:
        for name, arg, subs in _nodes(items):
            if name in _REPEATS and arg[1] > 1 and _varies(arg[2]):
                return True
            if any(bad(sub) for sub in subs):
                return True
        return False

    return bad(parsed.data)
