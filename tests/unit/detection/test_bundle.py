"""SigmaHQ's set as it ships: the profiles, the compiled cache, taking and updating a release."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from watchkeeper.cli import run
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.settings import RULE_PROFILES, Settings
from watchkeeper.detection import bundle, service, update
from watchkeeper.detection.rules import RuleCache, load_rules

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _rule(rule_id: str, title: str, level: str = "high", status: str = "test") -> str:
    return f"""title: {title}
id: {rule_id}
status: {status}
level: {level}
author: Someone Else
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4625
        TargetUserName: '{title.split()[-1].lower()}'
    condition: selection
"""


CLOUD = """title: Cloud Thing
id: 00000000-0000-4000-8000-00000000c10d
status: test
level: high
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventName: DeleteTrail
    condition: selection
"""
BROKEN = """title: Broken Rule
id: 00000000-0000-4000-8000-0000000b0b0b
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID|nosuchmodifier: 1
    condition: selection
"""


def _ids(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def _release(folder: Path, rules: dict[str, str]) -> Path:
    """A folder laid out as SigmaHQ's: LICENSE and rules/<product>/<file>."""
    for name, text in rules.items():
        target = folder / "rules" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    (folder / "LICENSE").write_text("Detection Rule License 1.1\n", encoding="utf-8")
    return folder


FIRST = {
    "windows/one.yml": _rule(_ids(1), "Rule One"),
    "windows/two.yml": _rule(_ids(2), "Rule Two", "medium"),
    "windows/three.yml": _rule(_ids(3), "Rule Three", "low", "experimental"),
    "windows/four.yml": _rule(_ids(4), "Rule Four"),
    "cloud/aws.yml": CLOUD,
}


def test_the_shipped_set_names_its_release_licence_and_what_was_left_out() -> None:
    shipped = bundle.shipped_set()
    manifest = bundle.read_manifest(shipped)
    assert manifest is not None
    assert "2026-08-05" in manifest.release
    assert len(manifest.rules) > 2000
    assert (
        (shipped / "LICENSE.Detection.Rules.md")
        .read_text()
        .startswith("# Detection Rule License (DRL) 1.1")
    )
    assert "README.md" in {p.name for p in shipped.iterdir()}
    # cloud rules can never run on this store: left out, and said why
    assert any("aws" in reason for reason in manifest.idle)
    assert not any("/cloud/" in path for path in manifest.files)
    # every file listed is there, unchanged
    for name in list(manifest.files)[:50]:
        assert (shipped / name).is_file()


def test_profiles_choose_by_status_and_level_and_the_own_pack_is_always_on(
    tmp_path: Path,
) -> None:
    assert tuple(bundle.PROFILES) == RULE_PROFILES
    loaded = {
        key: service.load(settings=Settings(rule_profile=key), cache=RuleCache(None))
        for key in RULE_PROFILES
    }
    core, broad, hunting = (loaded[k] for k in RULE_PROFILES)
    assert core.profile_counts == broad.profile_counts == hunting.profile_counts
    counts = core.profile_counts
    assert 0 < counts["core"] < counts["broad"] < counts["hunting"]
    shipped = str(bundle.shipped_set())
    for key, ruleset in loaded.items():
        sigmahq = [r for r in ruleset.rules if r.path.startswith(shipped)]
        assert len(sigmahq) == counts[key]
        assert ruleset.profile == key
        # the own pack (23 rules) is loaded whichever the profile
        assert sum(1 for r in ruleset.rules if not r.path.startswith(shipped)) >= 23
    assert all(
        r.level in ("high", "critical") and r.status in ("stable", "test")
        for r in core.rules
        if r.path.startswith(shipped)
    )
    assert {r.status for r in hunting.rules} >= {"experimental"}


def test_an_unknown_profile_in_settings_falls_back_to_core(tmp_path: Path) -> None:
    from watchkeeper.core import settings as settings_module

    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"rule_profile": "<script>everything</script>"}))
    assert settings_module.load(path).rule_profile == "core"


def test_the_compiled_cache_of_a_bundle_spares_the_compiling(tmp_path: Path) -> None:
    release = _release(tmp_path / "release", FIRST)
    shipped = tmp_path / "shipped.sqlite"
    cache = RuleCache(shipped)
    first = load_rules([release / "rules"], cache=cache)
    cache.close()
    assert first.compiled == 5  # four Windows rules and the cloud one
    # a fresh user cache beside the shipped one compiles nothing
    again = load_rules(
        [release / "rules"], cache=RuleCache(tmp_path / "user.sqlite", shipped=shipped)
    )
    assert again.compiled == 0
    assert sorted(r.rule_id for r in again.rules) == sorted(r.rule_id for r in first.rules)


def test_taking_a_release_keeps_what_can_run_and_lists_the_rest(tmp_path: Path) -> None:
    release = _release(tmp_path / "release", {**FIRST, "windows/broken.yml": BROKEN})
    dest = tmp_path / "set"
    manifest = bundle.take(release, dest, "r-test", date(2026, 12, 7), cache=RuleCache(None))
    assert sorted(manifest.rules) == [_ids(1), _ids(2), _ids(3), _ids(4)]
    assert manifest.idle == {"no aws cloudtrail logs reach Watchkeeper": 1}
    assert list(manifest.failing) == ["rules/windows/broken.yml"]
    assert "nosuchmodifier" in manifest.failing["rules/windows/broken.yml"]
    assert (dest / "rules/windows/one.yml").is_file()
    assert not (dest / "rules/cloud/aws.yml").exists()
    assert (dest / "LICENSE").is_file()
    with pytest.raises(WatchkeeperError, match="already exists"):
        bundle.take(release, dest, cache=RuleCache(None))


def _zip(path: Path, folder: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for file in folder.rglob("*"):
            if file.is_file():
                archive.write(file, f"sigma-r2026/{file.relative_to(folder).as_posix()}")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def test_an_update_shows_exactly_what_changes_and_can_be_undone(tmp_path: Path) -> None:
    first = _release(tmp_path / "first", FIRST)
    second_rules = dict(FIRST)
    del second_rules["windows/four.yml"]  # removed
    second_rules["windows/five.yml"] = _rule(_ids(5), "Rule Five")  # added
    second_rules["windows/one.yml"] = _rule(_ids(1), "Rule One", "critical")  # changed
    second_rules["windows/two.yml"] = BROKEN.replace("0000000b0b0b", "000000000002")  # broken
    second = _zip(tmp_path / "second.zip", _release(tmp_path / "second", second_rules))

    update.apply(update.prepare(first, NOW, "first", cache=RuleCache(None)))
    assert bundle.active_set() == bundle.updates_dir() / "current"
    plan = update.prepare(second, NOW, cache=RuleCache(None))
    assert [c.rule_id for c in plan.added] == [_ids(5)]
    assert [c.rule_id for c in plan.removed] == [_ids(4)]
    assert [c.rule_id for c in plan.changed] == [_ids(1)]
    assert list(plan.failing) == ["rules/windows/two.yml"]
    assert plan.manifest.release == "second"
    # nothing changes until it is applied
    assert bundle.read_manifest(bundle.active_set()).release == "first"  # type: ignore[union-attr]
    update.apply(plan)
    assert bundle.read_manifest(bundle.active_set()).release == "second"  # type: ignore[union-attr]
    assert update.rollback().release == "first"  # type: ignore[union-attr]
    assert update.rollback().release == "second"  # type: ignore[union-attr]


def test_the_first_update_goes_back_to_the_shipped_set(tmp_path: Path) -> None:
    with pytest.raises(WatchkeeperError, match="nothing to go back to"):
        update.rollback()
    update.apply(update.prepare(_release(tmp_path / "r", FIRST), NOW, cache=RuleCache(None)))
    assert bundle.active_set() != bundle.shipped_set()
    update.rollback()
    assert bundle.active_set() == bundle.shipped_set()


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("garbage.zip", b"\x00\xffnot a zip at all" * 50, "is not a zip of Sigma rules"),
        ("empty.zip", None, "holds no Sigma rule Watchkeeper can run"),
    ],
)
def test_a_bad_release_is_refused_with_a_reason_and_nothing_changes(
    tmp_path: Path, name: str, data: bytes | None, said: str
) -> None:
    path = tmp_path / name
    if data is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("../../evil.yml", _rule(_ids(9), "Escaping Rule"))
            archive.writestr("README.txt", "no rules here")
    else:
        path.write_bytes(data)
    with pytest.raises(WatchkeeperError, match=said):
        update.prepare(path, NOW, cache=RuleCache(None))
    assert bundle.active_set() == bundle.shipped_set()
    assert not (tmp_path.parent / "evil.yml").exists()


def test_rules_update_on_the_command_line_shows_then_applies(tmp_path: Path) -> None:
    release = _release(tmp_path / "release", FIRST)
    out, err = io.StringIO(), io.StringIO()
    code = run(["rules", "update", str(release)], out, err)
    assert code == 0, err.getvalue()
    text = out.getvalue()
    assert "4 added" in text and "Rule Four" in text
    assert "Nothing was changed; run again with --yes" in text
    assert bundle.active_set() == bundle.shipped_set()
    out = io.StringIO()
    assert run(["rules", "update", str(release), "--yes"], out, err) == 0
    assert "Applied" in out.getvalue()
    out = io.StringIO()
    assert run(["rules", "--json"], out, err) == 0
    document = json.loads(out.getvalue())
    assert document["sigmahq"]["rules"] == 4
    assert document["profiles"] == {"core": 2, "broad": 3, "hunting": 4}
    out = io.StringIO()
    assert run(["rules", "back"], out, err) == 0
    assert "in use now" in out.getvalue()


def test_rules_profile_is_saved_and_shown(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run(["rules", "--profile", "broad"], out, err) == 0, err.getvalue()
    assert "profile broad:" in out.getvalue()
    from watchkeeper.core import settings as settings_module

    assert settings_module.load().rule_profile == "broad"
    assert run(["rules", "--profile", "everything"], io.StringIO(), err) == 2


def test_a_folder_holding_a_shipped_rule_runs_its_copy_whatever_the_profile(
    tmp_path: Path,
) -> None:
    """A SigmaHQ checkout added as a rule folder before the set shipped runs whole, and its
    rules are not reported as duplicates of the set's."""
    manifest = bundle.read_manifest(bundle.shipped_set())
    assert manifest is not None
    low = next(rid for rid, (_p, _t, level, _s) in manifest.rules.items() if level == "low")
    path = manifest.rules[low][0]
    folder = tmp_path / "my-sigma"
    folder.mkdir()
    (folder / "copy.yml").write_bytes((bundle.shipped_set() / path).read_bytes())
    ruleset = service.load(
        settings=Settings(rule_folders=[str(folder)]), cache=RuleCache(tmp_path / "c.sqlite")
    )
    copies = [r for r in ruleset.rules if r.rule_id == low]
    assert [Path(r.path).parent for r in copies] == [folder]
    assert not any("has the id" in p.reason for p in ruleset.problems)
