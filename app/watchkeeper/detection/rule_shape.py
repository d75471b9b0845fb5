"""Reading a rule file's YAML and checking its shape before pySigma sees it.

pySigma reports most mistakes in a rule well, but a value of the wrong kind in some places (a
list where a map or text is expected, a number for an id, an empty detection item) reaches
Python code that fails with its own words ("'list' object has no attribute 'get'"). Those
shapes are checked here first, so that every malformed rule is described in a sentence that
names the field and what it should be.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

# Nodes of a document counted as a tree: YAML aliases can make a small file expand to
# billions ("billion laughs"), or to a structure that contains itself.
MAX_NODES = 100_000
_TEXT = ("title", "id", "name", "status", "level", "description", "author", "license")
_DATES = ("date", "modified")
_TEXT_LISTS = ("references", "tags", "falsepositives", "fields")
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ShapeError(ValueError):
    """A rule file that is not YAML, or whose YAML is not shaped like a Sigma rule."""


def documents(text: str) -> list[Any]:
    """The YAML documents of a rule file, each checked; raises ShapeError with a sentence."""
    if not text.strip():
        raise ShapeError("is empty")
    try:
        found = list(yaml.load_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ShapeError(
            f"is not valid Sigma YAML: {error.problem or error.context}{where}"
        ) from None
    except yaml.YAMLError as error:
        raise ShapeError(f"is not valid Sigma YAML: {' '.join(str(error).split())[:200]}") from None
    except RecursionError:
        raise ShapeError("is not valid Sigma YAML: it nests too deeply") from None
    for number, document in enumerate(found, 1):
        where = f"document {number}: " if len(found) > 1 else ""
        problem = _problem(document)
        if problem:
            raise ShapeError(f"is not a Sigma rule: {where}{problem}")
    return found


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (dt.date, dt.datetime)):
        return "a date"
    return "text"


def _too_big(document: Any) -> bool:
    nodes = 0
    stack = [document]
    while stack:
        node = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _problem(document: Any) -> str | None:
    """What is wrong with the shape of one document, as a sentence, or None."""
    if document is None:
        return None  # an empty document, as after a trailing ---
    if not isinstance(document, dict):
        return (
            f"it holds {_kind(document)} where a rule is a map of fields "
            "(title:, logsource:, detection:)"
        )
    if _too_big(document):
        return (
            f'its YAML aliases expand to more than {MAX_NODES:,} values (a "billion laughs" file)'
        )
    for name in _TEXT:
        value = document.get(name)
        if value is not None and not isinstance(value, str):
            return f"{name} is {_kind(value)}; it should be text"
    for name in _DATES:
        value = document.get(name)
        if value is not None and not isinstance(value, (str, dt.date)):
            return f"{name} is {_kind(value)}; it should be a date such as 2024-05-31"
    for name in _TEXT_LISTS:
        value = document.get(name)
        if value is None or isinstance(value, str):
            continue
        if not isinstance(value, list):
            return f"{name} is {_kind(value)}; it should be a list of text"
        odd = [item for item in value if not isinstance(item, (str, int, float))]
        if odd:
            return f"{name} holds {_kind(odd[0])}; it should be a list of text"
    if "logsource" in document:
        problem = _logsource(document["logsource"])
        if problem:
            return problem
    if "detection" in document:
        problem = _detection(document["detection"])
        if problem:
            return problem
    if "correlation" in document:
        return _correlation(document["correlation"])
    return None


def _logsource(logsource: Any) -> str | None:
    if not isinstance(logsource, dict):
        return (
            f"logsource is {_kind(logsource)}; it should be a map such as "
            "{product: windows, service: security}"
        )
    for key, value in logsource.items():
        if value is not None and not isinstance(value, str):
            return f"logsource {key} is {_kind(value)}; it should be text"
    return None


def _detection(detection: Any) -> str | None:
    if not isinstance(detection, dict):
        return (
            f"detection is {_kind(detection)}; it should be a map of named selections "
            "and a condition"
        )
    # (a missing condition pySigma names well, and a global document may leave it out)
    condition = detection.get("condition", "-")
    conditions = condition if isinstance(condition, list) else [condition]
    if not conditions or not all(isinstance(item, str) and item.strip() for item in conditions):
        return f"the condition is {_kind(condition)}; it should be text such as 'selection'"
    for name, item in detection.items():
        if name == "condition":
            continue
        if item is None or item == [] or item == {}:
            return f"the detection item {name!r} is empty"
        if not isinstance(item, (dict, list, str, int, float)):
            return f"the detection item {name!r} is {_kind(item)}"
        values = item if isinstance(item, list) else [item]
        for value in values:
            if isinstance(value, dict):
                for field, wanted in value.items():
                    if not isinstance(field, str):
                        return (
                            f"the detection item {name!r} names a field with "
                            f"{_kind(field)}; field names are text"
                        )
                    listed = wanted if isinstance(wanted, list) else [wanted]
                    odd = [one for one in listed if isinstance(one, (dict, list))]
                    if odd:
                        return (
                            f"the field {field!r} of {name!r} is given {_kind(odd[0])}; "
                            "give it a value or a list of values"
                        )
    return None


def _correlation(correlation: Any) -> str | None:
    if not isinstance(correlation, dict):
        return (
            f"correlation is {_kind(correlation)}; it should be a map with type, rules, "
            "timespan and condition"
        )
    checks = {
        "type": (str,),
        "timespan": (str,),
        "rules": (str, list),
        "group-by": (str, list),
        "condition": (dict, str),
        "generate": (bool,),
    }
    for name, kinds in checks.items():
        value = correlation.get(name)
        if value is not None and not isinstance(value, kinds):
            wanted = {
                "type": "text such as event_count",
                "timespan": "text such as 5m",
                "rules": "a rule's name or id, or a list of them",
                "group-by": "a field name or a list of them",
                "condition": "a map such as {gte: 10}",
                "generate": "true or false",
            }
            return f"correlation {name} is {_kind(value)}; it should be {wanted[name]}"
    condition = correlation.get("condition")
    if isinstance(condition, dict):
        for operator, count in condition.items():
            if operator != "field" and (
                isinstance(count, bool) or not isinstance(count, (int, float))
            ):
                return (
                    f"the correlation condition {operator} is {_kind(count)}; it should be a number"
                )
    return None
