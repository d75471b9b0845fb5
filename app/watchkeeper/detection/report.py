"""What a detection run did: how much it examined, what it found, and the rules that failed."""

from __future__ import annotations

from dataclasses import dataclass, field

from watchkeeper.detection.rules import Rule


@dataclass
class RuleFailure:
    rule_id: str
    title: str
    path: str
    reason: str


@dataclass
class DetectReport:
    rules: int = 0  # rules that ran
    events: int = 0  # events in the range examined
    new_hits: int = 0
    seconds: float = 0.0
    full: bool = False
    first_id: int = 0
    last_id: int = 0
    failures: list[RuleFailure] = field(default_factory=list)
    hits_by_rule: dict[str, int] = field(default_factory=dict)
    new_detections: dict[str, int] = field(default_factory=dict)  # per rule level

    def fail(self, rule: Rule, error: BaseException) -> None:
        """Record that a rule could not run, with the first line of the reason."""
        reason = " ".join(str(error).split())
        reason = reason.split(" LINE ")[0][:300]
        self.failures.append(RuleFailure(rule.rule_id, rule.title, rule.path, reason))
