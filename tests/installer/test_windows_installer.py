"""The NSIS script, compiled here with Debian's makensis against a stand-in bundle.

Windows itself cannot run here; the hosted workflow installs the real one and runs its
self-test. What can be checked here is that the script compiles, installs per user without
asking for administrator rights, carries the bundle and undoes everything it writes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.installer.conftest import INSTALLER, ROOT, project_version

SCRIPT = INSTALLER / "windows" / "watchkeeper.nsi"

pytestmark = pytest.mark.skipif(
    not shutil.which("makensis"), reason="makensis is not installed (Debian package nsis)"
)


def stand_in_bundle(folder: Path) -> Path:
    """The bundle's shape with small files: two programs and an _internal folder."""
    (folder / "_internal" / "rules").mkdir(parents=True)
    for name in ("watchkeeper.exe", "watchkeeper-app.exe"):
        (folder / name).write_bytes(b"MZ" + name.encode())
    (folder / "_internal" / "rules" / "README.md").write_text("rules")
    return folder


@pytest.fixture(autouse=True)
def _qt(qapp: object) -> None:
    """The icons are drawn with Qt: in this process, on the QApplication every test shares."""


def compile_installer(tmp: Path, *defines: str) -> subprocess.CompletedProcess[str]:
    sys.path.insert(0, str(INSTALLER))
    try:
        from icons import render_icons
    finally:
        sys.path.remove(str(INSTALLER))
    icons = render_icons(ROOT / "resources" / "icons" / "watchkeeper.svg", tmp / "icons")
    return subprocess.run(
        [
            "makensis",
            "-V2",
            f"-DICON={icons['ico']}",
            f"-DOUTFILE={tmp / 'Setup.exe'}",
            *defines,
            str(SCRIPT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("collector", [False, True], ids=["app", "with-collector"])
def test_the_script_compiles_into_a_per_user_installer(tmp_path: Path, collector: bool) -> None:
    payload = stand_in_bundle(tmp_path / "bundle")
    result = compile_installer(
        tmp_path,
        f"-DVERSION={project_version()}",
        f"-DPAYLOAD={payload}",
        *(["-DCOLLECTOR"] if collector else []),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    setup = (tmp_path / "Setup.exe").read_bytes()
    assert setup[:2] == b"MZ"
    # RequestExecutionLevel user: Windows starts it without an administrator prompt
    assert re.search(rb'requestedExecutionLevel level="asInvoker"', setup)
    if shutil.which("7z"):
        listing = subprocess.run(
            ["7z", "l", str(tmp_path / "Setup.exe")], capture_output=True, text=True, check=True
        ).stdout
        for name in (
            "watchkeeper.exe",
            "watchkeeper-app.exe",
            "_internal/rules/README.md",
            "Uninstall.exe",
        ):
            assert name in listing, name


def test_a_missing_bundle_or_version_stops_the_build_with_a_reason(tmp_path: Path) -> None:
    result = compile_installer(tmp_path, f"-DVERSION={project_version()}")
    assert result.returncode != 0
    assert "give -DPAYLOAD=folder" in result.stdout + result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = compile_installer(tmp_path, f"-DVERSION={project_version()}", f"-DPAYLOAD={empty}")
    assert result.returncode != 0  # File /r of nothing: no installer without the app


def test_the_uninstaller_undoes_every_key_and_shortcut_the_installer_writes() -> None:
    script = SCRIPT.read_text()
    install, uninstall = script.split('Section "Uninstall"')
    defines = dict(re.findall(r'!define (\w+) "([^"]*)"', script))

    def expand(text: str) -> str:
        return re.sub(r"\$\{(\w+)\}", lambda m: defines.get(m.group(1), m.group(0)), text)

    written_keys = {expand(key) for key in re.findall(r'WriteReg\w+ HKCU "([^"]+)"', install)}
    deleted_keys = {expand(key) for key in re.findall(r'DeleteRegKey HKCU "([^"]+)"', uninstall)}
    deleted_values = {
        (expand(k), expand(v))
        for k, v in re.findall(r'DeleteRegValue HKCU "([^"]+)" "([^"]+)"', uninstall)
    }
    for key in written_keys:
        covered = any(key == d or key.startswith(d + "\\") for d in deleted_keys)
        shared = {k for k, _ in deleted_values}
        assert covered or key in shared, f"{key} is written and never removed"
    shortcuts = {expand(s) for s in re.findall(r'CreateShortcut "([^"]+)"', install)}
    removed = {expand(s) for s in re.findall(r'Delete "([^"]+\.lnk)"', uninstall)}
    assert shortcuts == removed
    assert "RequestExecutionLevel user" in script
    assert '"$INSTDIR\\${GUI_EXE}" "%1"' in script  # a double-clicked .evtx opens the window
