"""`watchkeeper setup configs`: a folder per platform, what it wrote, --json and --zip."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path

from watchkeeper.cli import run
from watchkeeper.setup.plan import LoggingPlan, PlatformPlan, save_plan


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_it_writes_the_platforms_asked_for_and_says_what(tmp_path: Path) -> None:
    code, out, err = call(
        "setup", "configs", "--platform", "linux", "--platform", "mdm", "--out", str(tmp_path)
    )
    assert code == 0, err
    assert (tmp_path / "linux" / "rsyslog" / "60-watchkeeper.conf").is_file()
    assert (tmp_path / "mdm" / "README.txt").is_file()
    assert not (tmp_path / "macos").exists()
    assert "linux: 9 files in" in out and "  rsyslog/60-watchkeeper.conf" in out
    assert "README.txt" in out


def test_without_a_platform_it_writes_every_planned_one(tmp_path: Path) -> None:
    save_plan(
        LoggingPlan(
            platforms={
                "linux": PlatformPlan(2, ["linux-auth"]),
                "macos": PlatformPlan(3, ["macos-unified"]),
                "mdm": PlatformPlan(0, []),
            }
        )
    )
    code, out, err = call("setup", "configs", "--out", str(tmp_path / "out"), "--zip", "--json")
    assert code == 0, err
    document = json.loads(out)
    assert list(document["platforms"]) == ["linux", "macos"]
    assert document["holds_secret"] == ["macos"]
    script = tmp_path / "out" / "macos" / "watchkeeper-forward.sh"
    assert stat.S_IMODE(script.stat().st_mode) == 0o600  # it holds the token
    with zipfile.ZipFile(document["zip"]) as bundle:
        assert "macos/watchkeeper-forward.sh" in bundle.namelist()
        assert "linux/README.txt" in bundle.namelist()


def test_no_plan_and_no_platform_is_one_sentence_and_exit_1(tmp_path: Path) -> None:
    code, out, err = call("setup", "configs", "--out", str(tmp_path))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "--platform" in err


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert call("setup", "configs", "--platform", "amiga", "--out", str(tmp_path))[0] == 2
    assert call("setup", "configs", "--platform", "linux")[0] == 2  # no --out
    assert call("setup")[0] == 2


def test_an_out_that_is_a_file_is_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = call("setup", "configs", "--platform", "mdm", "--out", str(blocker))
    assert code == 1 and err.count("\n") == 1 and "could not be written" in err
