"""MITRE ATT&CK tags as Sigma rules write them: which name a tactic, which a technique.

Detection reads them from rules, storage filters hits by them; both ask here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PREFIX = "attack."
# techniques (t1059.001), groups (g0016) and software (s0002) are not tactics
_TECHNIQUE = re.compile(r"[tgs]\d+(\.\d+)?")


def tactic_of(tag: str) -> str:
    """The ATT&CK tactic a tag names, hyphenated ('credential-access'), or '' for another tag.

    Older rules write tactics with underscores, newer ones with hyphens; both read the same.
    """
    if not tag.startswith(PREFIX):
        return ""
    name = tag.removeprefix(PREFIX).lower()
    if _TECHNIQUE.fullmatch(name):
        return ""
    return name.replace("_", "-")


def tactics(tags: Sequence[str]) -> list[str]:
    return [name for name in map(tactic_of, tags) if name]


def techniques(tags: Sequence[str]) -> list[str]:
    """ATT&CK technique ids (T1110, T1059.001) among Sigma tags."""
    return [
        t.removeprefix(PREFIX).upper()
        for t in tags
        if t.startswith(PREFIX + "t") and _TECHNIQUE.fullmatch(t.removeprefix(PREFIX).lower())
    ]


def tactic_tags(tactic: str) -> tuple[str, str]:
    """The two ways rules write a tactic's tag: SigmaHQ's hyphens now, older underscores."""
    hyphenated = tactic.lower().replace("_", "-")
    return PREFIX + hyphenated, PREFIX + hyphenated.replace("-", "_")
