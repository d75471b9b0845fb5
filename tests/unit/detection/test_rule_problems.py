"""A rule file that cannot be used is named with one plain sentence, whatever is wrong with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.detection.compiler import Compiler
from watchkeeper.detection.rules import RuleCache, load_rules

_COMPILER = Compiler({})

HEAD = """title: Malformed
id: 7c1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6
"""
LOGSOURCE = "logsource: {product: linux, service: sshd}\n"
DETECTION = "detection:\n    selection: {message|contains: x}\n    condition: selection\n"
BOMB = "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
    for p, n in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)

MALFORMED: dict[str, tuple[str | bytes, str]] = {
    "detection-list": (
        HEAD + LOGSOURCE + "detection:\n    - selection: {a: b}\n    - condition: selection\n",
        "detection is a list; it should be a map of named selections",
    ),
    "logsource-list": (
        HEAD + "logsource: [linux, sshd]\n" + DETECTION,
        "logsource is a list; it should be a map",
    ),
    "product-list": (
        HEAD + "logsource: {product: [linux]}\n" + DETECTION,
        "logsource product is a list; it should be text",
    ),
    "rule-is-a-list": ("- title: one\n- title: two\n", "it holds a list where a rule is a map"),
    "rule-is-text": ("just some words\n", "it holds text where a rule is a map"),
    "missing-condition": (
        HEAD + LOGSOURCE + "detection:\n    selection: {a: b}\n",
        "must contain at least one condition",
    ),
    "condition-number": (
        HEAD + LOGSOURCE + "detection:\n    selection: {a: b}\n    condition: 5\n",
        "the condition is a number; it should be text",
    ),
    "empty-selection": (
        HEAD + LOGSOURCE + "detection:\n    selection:\n    condition: selection\n",
        "the detection item 'selection' is empty",
    ),
    "id-number": (
        "title: Malformed\nid: 12345\n" + LOGSOURCE + DETECTION,
        "id is a number; it should be text",
    ),
    "name-list": (
        HEAD + "name: [a, b]\n" + LOGSOURCE + DETECTION,
        "name is a list; it should be text",
    ),
    "correlation-type-list": (
        "title: C\nname: c\ncorrelation:\n    type: [event_count]\n"
        "    rules: [x]\n    timespan: 5m\n    condition: {gte: 5}\n",
        "correlation type is a list",
    ),
    "unknown-modifier": (
        HEAD + LOGSOURCE + "detection:\n    selection: {a|frobnicate: b}\n"
        "    condition: selection\n",
        "Unknown modifier 'frobnicate'",
    ),
    "modifier-and-value": (
        HEAD + LOGSOURCE + "detection:\n    selection: {a|contains: 1}\n    condition: selection\n",
        "The modifier |contains cannot take the value",
    ),
    "bad-yaml": (
        "title: [unclosed\n",
        "is not valid Sigma YAML: did not find expected ',' or ']' (line 2, column 1)",
    ),
    "binary": (bytes(range(256)) * 4, "is not UTF-8 text"),
    "empty": ("", "is empty"),
    "blank": ("\n   \n", "is empty"),
    "yaml-bomb": (
        BOMB + "title: Bomb\n" + LOGSOURCE + "detection:\n    selection: {a: *i}\n"
        "    condition: selection\n",
        "YAML aliases expand to more than 100,000",
    ),
}
INTERNAL = (
    "object has no attribute",
    "unhashable",
    "not iterable",
    "<class",
    "NoneType",
    "Traceback",
    "while converting",
    "SigmaNull",
    "Sigma",
)


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_rule_is_named_with_a_plain_sentence(tmp_path: Path, name: str) -> None:
    content, expected = MALFORMED[name]
    folder = tmp_path / "rules"
    folder.mkdir()
    path = folder / f"{name}.yml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    (folder / "good.yml").write_text(HEAD.replace("7c1e", "8c1e") + LOGSOURCE + DETECTION)
    ruleset = load_rules([folder], cache=RuleCache(None))
    assert [rule.path for rule in ruleset.rules] == [str(folder / "good.yml")]
    (problem,) = ruleset.problems
    assert problem.path == str(path)
    assert expected in problem.reason
    assert "\n" not in problem.reason and len(problem.reason) < 200
    words = (
        problem.reason.replace("Sigma YAML", "")
        .replace("Sigma rule", "")
        .replace("valid Sigma", "")
    )  # the words a rule writer knows are fine
    assert not [word for word in INTERNAL if word in words], problem.reason


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.text(max_size=8),
    st.sampled_from(["selection", "1 of them", "5m", "event_count", "linux"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["a", "a|contains", "a|re", "gte", "condition", "type"]),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=8,
)
_FIELDS = (
    "title",
    "id",
    "name",
    "status",
    "level",
    "tags",
    "references",
    "date",
    "logsource",
    "detection",
    "correlation",
    "related",
    "fields",
    "falsepositives",
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(_FIELDS), _VALUES, max_size=4))
def test_any_shape_of_rule_gets_a_sentence_not_an_internal_error(changes: dict[str, Any]) -> None:
    document: dict[str, Any] = {
        "title": "Fuzzed",
        "id": "7c1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6",
        "logsource": {"product": "linux", "service": "sshd"},
        "detection": {"selection": {"message|contains": "x"}, "condition": "selection"},
    }
    document.update(changes)
    entries = _COMPILER.compile(yaml.safe_dump(document).encode())
    for entry in entries:
        reason = entry.get("problem", "")
        assert "\n" not in reason
        assert not [word for word in INTERNAL[:5] if word in reason], reason
