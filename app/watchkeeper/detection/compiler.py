"""A Sigma rule file to the entries the rule cache keeps: each rule's metadata and DuckDB
predicate, or the one-sentence reason it cannot be used. pySigma is loaded only here, and only
when the cache misses."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER_MISSING = re.compile(r"[Pp]laceholder replacement variable '([^']+)'")


class Compiler:
    """pySigma parsing and conversion, loaded only when the cache misses."""

    def __init__(self, placeholders: Mapping[str, list[str]]) -> None:
        from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
        from sigma.processing.transformations import ValueListPlaceholderTransformation

        from watchkeeper.detection.backend import DuckDBBackend

        pipeline = ProcessingPipeline(
            items=[ProcessingItem(ValueListPlaceholderTransformation())], vars=dict(placeholders)
        )
        self.backend = DuckDBBackend(processing_pipeline=pipeline)

    def compile(self, data: bytes) -> list[dict[str, Any]]:
        from sigma.collection import SigmaCollection
        from sigma.correlations import SigmaCorrelationRule
        from sigma.exceptions import SigmaError
        from sigma.rule import SigmaRule

        from watchkeeper.detection.backend import RULE_POLICY
        from watchkeeper.detection.rule_shape import ShapeError, documents

        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return [{"problem": "is not UTF-8 text"}]
        if "\x00" in text or "\x01" in text:
            return [{"problem": "holds control characters; not a rule file"}]
        try:
            collection = SigmaCollection.from_dicts(
                documents(text), collect_errors=True, resolve_references=False, policy=RULE_POLICY
            )
        except ShapeError as error:
            return [{"problem": str(error)}]
        except SigmaError as error:
            return [{"problem": f"is not valid Sigma: {_sentence(error)}"}]
        except Exception:  # pySigma's own code stopped on a shape not checked above
            return [{"problem": f"is not valid Sigma: {_WRONG_KIND}"}]
        entries: list[dict[str, Any]] = [
            {"problem": f"is not valid Sigma: {_sentence(e)}"}
            for e in collection.errors
            if not any(e is r for rule in collection.rules for r in rule.errors)
        ]
        for index, rule in enumerate(collection.rules):
            title = str(getattr(rule, "title", "") or "")
            if getattr(rule, "errors", None):
                entries.append(
                    {"problem": f"is not valid Sigma: {_sentence(rule.errors[0])}", "title": title}
                )
                continue
            try:
                if isinstance(rule, SigmaCorrelationRule):
                    entries.append({"rule": _correlation(rule, index)})
                elif isinstance(rule, SigmaRule):
                    entries.append({"rule": self._event_rule(rule, index)})
            except (SigmaError, NotImplementedError, ValueError) as error:
                missing = _PLACEHOLDER_MISSING.search(str(error))
                if missing:
                    entries.append(
                        {
                            "problem": f"is skipped: it needs values for the placeholder "
                            f'%{missing.group(1)}% ("placeholders" in settings.json)',
                            "title": title,
                        }
                    )
                    continue
                entries.append(
                    {"problem": f"cannot be converted: {_sentence(error)}", "title": title}
                )
            except Exception:  # pySigma's own code stopped on a shape not checked above
                entries.append({"problem": f"cannot be converted: {_WRONG_KIND}", "title": title})
        if not entries:
            entries.append({"problem": "holds no Sigma rule"})
        return entries

    def _event_rule(self, rule: Any, index: int) -> dict[str, Any]:
        from watchkeeper.detection.backend import needles

        predicates = self.backend.predicates(rule)
        if not predicates:
            raise ValueError("the rule's condition matches nothing")
        predicate = (
            predicates[0] if len(predicates) == 1 else " OR ".join(f"({p})" for p in predicates)
        )
        entry = _metadata(rule, index)
        entry["logsource"] = {
            k: str(getattr(rule.logsource, k))
            for k in ("product", "category", "service")
            if getattr(rule.logsource, k, None)
        }
        entry["predicate"] = predicate
        entry["needles"] = [[list(pair) for pair in clause] for clause in needles(rule)]
        return entry


def _metadata(rule: Any, index: int) -> dict[str, Any]:
    name = str(getattr(rule, "name", "") or "")
    rule_id = str(rule.id) if getattr(rule, "id", None) else (name or f"rule-{index}")
    return {
        "rule_id": rule_id,
        "title": str(rule.title or rule_id),
        "level": rule.level.name.lower() if getattr(rule, "level", None) else "",
        "status": rule.status.name.lower() if getattr(rule, "status", None) else "",
        "tags": [str(t).lower() for t in (rule.tags or [])],
        "description": str(rule.description or ""),
        "references": [str(r) for r in (rule.references or [])],
        "falsepositives": [str(f) for f in (rule.falsepositives or [])],
        "author": str(rule.author or ""),
        "date": str(rule.date or ""),
        "name": name,
    }


def _correlation(rule: Any, index: int) -> dict[str, Any]:
    entry = _metadata(rule, index)
    entry["kind"] = "correlation"
    condition = rule.condition
    if not hasattr(condition, "op"):
        raise ValueError("extended correlation conditions are not supported")
    fieldref = condition.fieldref
    entry["correlation"] = {
        "type": rule.type.name.lower(),
        "rules": [ref.reference for ref in (rule.rules or [])],
        "generate": bool(rule.generate),
        "timespan": int(rule.timespan.seconds),
        "group_by": list(rule.group_by or []),
        "op": condition.op.name.lower(),
        "count": condition.count,
        "field": fieldref if isinstance(fieldref, str) or fieldref is None else fieldref[0],
        "aliases": {
            alias.alias: {ref.reference: name for ref, name in alias.mapping.items()}
            for alias in rule.aliases.aliases.values()
        }
        if rule.aliases
        else {},
    }
    return entry


# What to say when pySigma fails inside its own code rather than with one of its messages.
_WRONG_KIND = (
    "a value somewhere is of the wrong kind (a list, map or number where Sigma "
    "expects something else)."
)


def _sentence(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    text = re.sub(r"\s*\(?(in|while converting) (rule|file) .*$", "", text)
    # pySigma names a modifier by its class: SigmaContainsModifier is |contains
    text = re.sub(
        r"Modifier Sigma(\w+?)Modifier incompatible to value type of",
        lambda m: f"The modifier |{m.group(1).lower()} cannot take the value",
        text,
    )
    return text[:300].rstrip(".") + "."
