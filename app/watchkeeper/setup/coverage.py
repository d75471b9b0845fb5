"""What each log lets the loaded rules see: how many rules it lets fire, and how many only it.

A rule fires on a log when the log feeds the rule's Sigma log source (catalogue.LogSource).
Which logs feed each rule is worked out once, when the rules are loaded, so the wizard can
count again at every tick of a checkbox.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from watchkeeper.detection.rules import Rule, RuleSet
from watchkeeper.setup.catalogue import LOGS, LogChoice


def feeds_rule(choice: LogChoice, logsource: dict[str, str]) -> bool:
    """Whether a log carries events the rule with this log source looks at."""
    return any(pattern.matches(logsource) for pattern in choice.feeds)


@dataclass(frozen=True)
class LogCount:
    """One log's share of the rules."""

    fire: int  # rules it lets fire, alone or with other logs
    only: int  # of those, the rules no other chosen log feeds: what it adds


@dataclass
class Coverage:
    """For each loaded event rule, the catalogue's logs that feed it."""

    rules: int = 0  # event rules counted (correlations fire on other rules' hits)
    feeders: list[frozenset[str]] = field(default_factory=list)  # one per rule fed at all
    fire: Counter[str] = field(default_factory=Counter)  # log key -> rules it feeds

    def fires(self, key: str) -> int:
        """How many rules the log lets fire."""
        return self.fire[key]

    def count(self, key: str, chosen: Iterable[str]) -> LogCount:
        """The log's rules, and how many more can fire with it than with `chosen` alone."""
        others = set(chosen) - {key}
        only = sum(1 for logs in self.feeders if key in logs and not logs & others)
        return LogCount(self.fire[key], only)

    def covered(self, chosen: Iterable[str]) -> int:
        """How many rules at least one of the chosen logs lets fire."""
        wanted = set(chosen)
        return sum(1 for logs in self.feeders if logs & wanted)


def coverage(rules: RuleSet | Sequence[Rule], logs: Iterable[LogChoice] | None = None) -> Coverage:
    """Which logs feed each event rule; `logs` defaults to the whole catalogue."""
    listed = rules.rules if isinstance(rules, RuleSet) else rules
    choices = list(LOGS.values() if logs is None else logs)
    result = Coverage()
    memo: dict[tuple[tuple[str, str], ...], frozenset[str]] = {}
    for rule in listed:
        if rule.kind != "event":
            continue
        result.rules += 1
        source = {k: str(v) for k, v in rule.logsource.items() if isinstance(v, str)}
        shape = tuple(sorted(source.items()))
        feeders = memo.get(shape)
        if feeders is None:
            feeders = frozenset(c.key for c in choices if feeds_rule(c, source))
            memo[shape] = feeders
        if feeders:
            result.feeders.append(feeders)
            result.fire.update(feeders)
    return result
