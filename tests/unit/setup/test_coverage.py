"""Which rules each log lets fire, counted from rules written to a folder and loaded for real."""

from __future__ import annotations

from pathlib import Path

from watchkeeper.detection.rules import Rule, RuleCache, load_rules
from watchkeeper.setup.catalogue import recommended
from watchkeeper.setup.coverage import coverage

RULE = """title: {title}
id: {uuid}
status: test
logsource:
{logsource}
detection:
    selection:
        {field}: x
    condition: selection
level: high
"""


def _write(folder: Path, number: int, logsource: dict[str, str], field: str = "Image") -> None:
    lines = "\n".join(f"    {key}: {value}" for key, value in logsource.items())
    text = RULE.format(
        title=f"Rule {number}",
        uuid=f"00000000-0000-4000-8000-{number:012d}",
        logsource=lines,
        field=field,
    )
    (folder / f"rule_{number}.yml").write_text(text, encoding="utf-8")


def _rules(tmp_path: Path, sources: list[dict[str, str]]) -> list[Rule]:
    folder = tmp_path / "rules"
    folder.mkdir()
    for number, logsource in enumerate(sources, 1):
        _write(folder, number, logsource)
    cache = RuleCache(tmp_path / "cache.sqlite")
    try:
        ruleset = load_rules([folder], cache=cache)
    finally:
        cache.close()
    assert not ruleset.problems, ruleset.problems
    return ruleset.rules


def test_each_log_counts_the_rules_it_lets_fire_and_those_only_it_does(tmp_path: Path) -> None:
    rules = _rules(
        tmp_path,
        [
            {"product": "windows", "category": "process_creation"},  # Security 4688 or Sysmon
            {"product": "windows", "category": "process_creation"},
            {"product": "windows", "category": "registry_set"},  # Sysmon only
            {"product": "windows", "category": "dns_query"},  # Sysmon only
            {"product": "windows", "service": "security"},  # Security (and the DC's)
            {"product": "windows", "service": "powershell"},
            {"product": "linux", "service": "auth"},
            {"product": "aws", "service": "cloudtrail"},  # nothing in the catalogue feeds it
        ],
    )
    counted = coverage(rules)
    assert counted.rules == 8
    windows = recommended("windows")
    sysmon = counted.count("sysmon", windows)
    assert (sysmon.fire, sysmon.only) == (4, 2)
    security = counted.count("windows-security", windows)
    assert (security.fire, security.only) == (3, 1)
    # without Security chosen, Sysmon alone is what lets process creation be seen
    assert counted.count("sysmon", ["sysmon"]).only == 4
    assert counted.fires("powershell") == 1
    assert counted.fires("linux-auth") == 1
    assert counted.fires("macos-unified") == 0
    assert counted.covered(windows) == 6
    assert counted.covered([]) == 0
    assert counted.covered(["linux-auth", "auditd"]) == 1


def test_a_log_source_is_matched_without_regard_to_case(tmp_path: Path) -> None:
    rules = _rules(tmp_path, [{"product": "Windows", "service": "Sysmon"}])
    assert coverage(rules).fires("sysmon") == 1


def test_correlations_and_rules_without_a_log_source_count_for_no_log() -> None:
    rules = [
        Rule("a", "correlation", "a.yml", kind="correlation"),
        Rule("b", "no source", "b.yml"),
        Rule("c", "hostile", "c.yml", logsource={"product": "<b>windows</b>\n"}),
    ]
    counted = coverage(rules)
    assert counted.rules == 2
    assert counted.covered(["sysmon", "windows-security", "network-syslog"]) == 0


def test_a_large_rule_set_is_grouped_by_log_source_shape() -> None:
    # a rule set the size of SigmaHQ's (about 3,000 rules) over a few log-source shapes
    shapes = [
        {"product": "windows", "category": c}
        for c in ("process_creation", "registry_set", "image_load", "ps_script", "dns_query")
    ] + [{"product": "linux", "service": s} for s in ("auth", "syslog", "auditd")]
    rules = [
        Rule(str(n), f"rule {n}", f"{n}.yml", logsource=shapes[n % len(shapes)])
        for n in range(3_000)
    ]
    counted = coverage(rules)
    assert counted.rules == 3_000
    assert counted.covered(recommended("windows") + recommended("linux")) == 3_000
    assert counted.count("sysmon", recommended("windows")).only == 3 * 375
    assert counted.fires("auditd") == 375
