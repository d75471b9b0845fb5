"""`watchkeeper setup plan [--edit] [--json]`, with a real editor process standing in for the
user: a script that writes what the user would have typed."""

from __future__ import annotations

import io
import json
import shlex
import sys
from pathlib import Path

import pytest

from watchkeeper.cli import run
from watchkeeper.setup.plan import LoggingPlan, PlatformPlan, load_plan, plan_path, save_plan

EDITOR = """import json, sys
from pathlib import Path
queue = Path({queue!r})
edits = json.loads(queue.read_text(encoding="utf-8"))
text = edits.pop(0)
queue.write_text(json.dumps(edits), encoding="utf-8")
target = Path(sys.argv[1])
log = Path({log!r})
log.write_text(log.read_text(encoding="utf-8") + target.name + "\\n", encoding="utf-8")
if text is not None:
    target.write_text(text.replace("{{before}}", ""), encoding="utf-8")
"""


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An editor that, each time it runs, writes the next of the texts queued (None: no change)."""
    queue, log = tmp_path / "edits.json", tmp_path / "opened.txt"
    queue.write_text("[]", encoding="utf-8")
    log.write_text("", encoding="utf-8")
    script = tmp_path / "editor.py"
    script.write_text(EDITOR.format(queue=str(queue), log=str(log)), encoding="utf-8")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}")
    return queue


def _queue(queue: Path, *texts: str | None) -> None:
    queue.write_text(json.dumps(list(texts)), encoding="utf-8")


class Answers(io.StringIO):
    """A terminal's stdin with the user's answers typed ahead."""

    def isatty(self) -> bool:
        return True


def test_no_plan_yet_says_how_to_make_one() -> None:
    code, out, _ = cli("setup", "plan")
    assert code == 0
    assert out == "No plan yet: run the setup wizard or `watchkeeper setup plan --edit`.\n"
    code, out, _ = cli("setup", "plan", "--json")
    assert json.loads(out)["plan"] is None


def test_the_plan_is_printed_readably_and_as_json() -> None:
    plan = LoggingPlan(retention_months=4, retention_reason="<b>contract</b>\x1b[31m")
    plan.platforms["linux"] = PlatformPlan(2, ["linux-auth", "auditd"])
    plan.platforms["macos"] = PlatformPlan(0, ["macos-unified"])
    save_plan(plan)
    code, out, _ = cli("setup", "plan")
    assert code == 0
    assert "Linux servers: 2 servers\n  - Sign-ins and sudo (auth log)\n  - auditd\n" in out
    assert "Macs" not in out  # none counted
    assert "About 42,000 events a day." in out
    assert (
        "Kept for 4 months, 90 days of them in the store (because: <b>contract</b>\\x1b[31m)."
        in out
    )
    assert "\x1b" not in out
    code, out, _ = cli("setup", "plan", "--json")
    document = json.loads(out)
    assert document["plan"]["platforms"]["linux"] == {"count": 2, "logs": ["linux-auth", "auditd"]}
    assert document["file"] == str(plan_path())


def test_a_damaged_plan_is_one_line_and_exit_1() -> None:
    plan_path().parent.mkdir(parents=True, exist_ok=True)
    plan_path().write_bytes(b"\xff\xfe not text")
    code, out, err = cli("setup", "plan")
    assert code == 1 and out == ""
    assert err == "watchkeeper: Logging plan not read: logging-plan.yaml is not UTF-8 text.\n"


def test_setup_alone_is_a_usage_error() -> None:
    code, _, err = cli("setup")
    assert code == 2 and "give a subcommand" in err


def test_edit_writes_a_starter_plan_when_there_is_none(editor: Path) -> None:
    _queue(editor, None)  # the user looks and saves as it is
    code, out, err = cli("setup", "plan", "--edit")
    assert code == 0, err
    plan = load_plan()
    assert plan is not None and plan.platforms["windows"].logs[0] == "windows-security"
    assert "Saved the plan in" in err
    assert out.startswith("Logging plan (")


def test_an_edit_is_kept_as_the_user_wrote_it(editor: Path) -> None:
    save_plan(LoggingPlan())
    text = "# our office\nplatforms:\n  linux: {count: 3, logs: [journald]}\n"
    _queue(editor, text)
    code, _, err = cli("setup", "plan", "--edit")
    assert code == 0, err
    assert plan_path().read_text(encoding="utf-8") == text  # comments and all
    assert not plan_path().with_name("logging-plan.yaml.editing").exists()


def test_an_unchanged_plan_is_left_alone(editor: Path) -> None:
    save_plan(LoggingPlan())
    before = plan_path().stat().st_mtime_ns
    _queue(editor, None)
    code, _, err = cli("setup", "plan", "--edit")
    assert code == 0 and "The plan is unchanged." in err
    assert plan_path().stat().st_mtime_ns == before


def test_an_invalid_edit_is_kept_beside_the_plan_without_a_terminal(
    editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    save_plan(LoggingPlan())
    before = plan_path().read_text(encoding="utf-8")
    bad = 'platforms:\n  linux: {count: 3, logs: [sysmon]}\nsources: [{name: "a b\\n<i>", platform: linux}]\n'
    _queue(editor, bad)
    code, _, err = cli("setup", "plan", "--edit")
    assert code == 1
    assert (
        "the plan was not saved: Linux servers: \u201csysmon\u201d is not one of its logs." in err
    )
    assert "\u201ca b\\x0a<i>\u201d is not a host name" in err
    assert plan_path().read_text(encoding="utf-8") == before
    rejected = plan_path().with_name("logging-plan.yaml.rejected")
    assert rejected.read_text(encoding="utf-8") == bad
    assert f"Your edit is kept in {rejected}; the plan is as it was." in err


def test_an_invalid_edit_can_be_edited_again(
    editor: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "stdin", Answers("y\n"))
    _queue(editor, "platforms: [unclosed\n", "platforms:\n  macos: {count: 1}\n")
    code, _, err = cli("setup", "plan", "--edit")
    assert code == 0, err
    assert "logging-plan.yaml is not valid YAML at line 2, column 1." in err
    assert "Edit it again? [Y/n]" in err
    plan = load_plan()
    assert plan is not None and plan.platforms["macos"].count == 1
    # the editor opened the working copy twice, never the plan itself
    assert (tmp_path / "opened.txt").read_text(encoding="utf-8").split() == [
        "logging-plan.yaml.editing",
        "logging-plan.yaml.editing",
    ]


def test_a_missing_editor_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISUAL", "no-such-editor-anywhere --wait")
    code, _, err = cli("setup", "plan", "--edit")
    assert code == 1
    assert err.startswith(
        "watchkeeper: Editor not started: The editor \u201cno-such-editor-anywhere\u201d could "
        "not be started (No such file or directory); set VISUAL or EDITOR to one you have."
    )
    assert err.count("\n") == 1
