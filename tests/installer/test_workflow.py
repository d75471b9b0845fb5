"""The hosted workflow cannot run here, so it is kept correct by reading it."""

from __future__ import annotations

import os
import re

import yaml
from tests.installer.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "installers.yml"


def jobs() -> dict[str, dict[str, object]]:
    document = yaml.safe_load(WORKFLOW.read_text())
    return dict(document["jobs"])


def script(job: dict[str, object]) -> str:
    steps = job["steps"]
    assert isinstance(steps, list)
    return "\n".join(str(step.get("run", "")) for step in steps)


def test_each_platform_builds_installs_and_runs_the_self_test() -> None:
    found = jobs()
    runners = {name: str(job["runs-on"]) for name, job in found.items()}
    assert {r.split("-")[0] for r in runners.values()} == {"ubuntu", "windows", "macos"}
    for name, job in found.items():
        text = script(job)
        assert re.search(r"installer[\\/]build\.(sh|ps1)", text), name
        # the self-test runs from what the user gets, not only from the build folder
        installed = {
            "linux": "\nwatchkeeper --self-test",
            "windows": '(Join-Path $dir "watchkeeper.exe") --self-test',
            "macos": "/Volumes/Watchkeeper/Watchkeeper.app/Contents/MacOS/watchkeeper --self-test",
        }[name]
        assert installed in text, name
        assert int(str(job["timeout-minutes"])) <= 90


def test_every_path_the_workflow_names_exists() -> None:
    text = WORKFLOW.read_text()
    for path in set(re.findall(r"installer[\\/][\w./\\-]+\.(?:sh|ps1|py)", text)):
        file = ROOT / path.replace("\\", "/")
        assert file.is_file(), path
        if file.suffix == ".sh":
            assert os.access(file, os.X_OK), f"{path} is not executable"
    for python in re.findall(r'python-version: "([\d.]+)"', text):
        assert tuple(map(int, python.split("."))) >= (3, 11)


def test_the_scripts_the_platforms_run_are_valid_shell() -> None:
    import subprocess

    for path in (ROOT / "installer").rglob("*.sh"):
        assert subprocess.run(["bash", "-n", str(path)]).returncode == 0, path


def test_the_macos_launch_agent_runs_the_collector_from_the_app() -> None:
    import plistlib

    agent = plistlib.loads(
        (ROOT / "installer" / "macos" / "org.watchkeeper.collect.plist").read_bytes()
    )
    assert agent["ProgramArguments"] == [
        "/Applications/Watchkeeper.app/Contents/MacOS/watchkeeper",
        "collect",
    ]
    assert agent["RunAtLoad"] is True and agent["Label"] == "org.watchkeeper.collect"
