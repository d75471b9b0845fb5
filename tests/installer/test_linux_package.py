"""The Linux bundle and .deb: built here, checked, installed with dpkg, run, removed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.installer.conftest import INSTALLER, Built, build, no_font_config, project_version

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not sys.platform.startswith("linux") or not shutil.which("dpkg-deb"),
        reason="the .deb is built on Debian and Ubuntu",
    ),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("linux"))


def run(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=600, **options)


def runtime_packages() -> list[str]:
    lines = (INSTALLER / "linux" / "runtime-packages.txt").read_text().splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def self_test(program: Path | str, tmp: Path, **environment: str) -> str:
    env = {**os.environ, "TMPDIR": str(tmp), **environment}
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("WATCHKEEPER_HOME", None)
    result = run([str(program), "--self-test"], env=env, cwd=tmp)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("All 10 checks passed")
    return result.stdout


def test_the_bundle_works_on_a_machine_without_fonts(built: Built, tmp_path: Path) -> None:
    output = self_test(
        built.bundle / "watchkeeper", tmp_path, FONTCONFIG_FILE=str(no_font_config(tmp_path))
    )
    assert "(bundle," in output.splitlines()[0]
    assert "text is drawn in DejaVu Sans (bundled)" in output


def test_the_bundle_carries_its_version_rules_and_licences(built: Built) -> None:
    version = run([str(built.bundle / "watchkeeper"), "--version"])
    assert version.stdout.strip() == f"watchkeeper {project_version()}"
    internal = built.bundle / "_internal"
    assert (internal / "rules" / "README.md").is_file()
    assert (internal / "resources" / "icons" / "watchkeeper.svg").is_file()
    assert (internal / "resources" / "fonts" / "DejaVuSans.ttf").is_file()
    # plugins for embedded screens and the build machine's GTK are left out
    plugins = internal / "PySide6" / "Qt" / "plugins"
    assert (plugins / "platforms" / "libqxcb.so").is_file()
    assert not (plugins / "platformthemes" / "libqgtk3.so").exists()
    assert [p for p in built.bundle.rglob("*") if p.is_symlink() and not p.exists()] == []
    assert "MB  dist/watchkeeper" in built.output  # the size is printed
    assert (internal / "rules" / "sigmahq" / "SIGMAHQ.json").is_file()
    assert (internal / "rules-cache" / "compiled-rules.sqlite").is_file()


def test_the_first_start_of_the_bundle_compiles_no_shipped_rule(
    built: Built, tmp_path: Path
) -> None:
    env = {**os.environ, "WATCHKEEPER_HOME": str(tmp_path / "home")}
    env.pop("WATCHKEEPER_COMPILED_RULES", None)  # the tests' own cache: only the bundle's
    listed = run([str(built.bundle / "watchkeeper"), "rules", "--json"], env=env)
    assert listed.returncode == 0, listed.stderr
    document = json.loads(listed.stdout)
    assert document["compiled"] == 0
    assert document["profile"] == "core"
    assert document["profiles"]["core"] > 1000
    assert document["problems"] == []


def test_the_package_declares_what_qt_needs_and_a_valid_menu_entry(
    built: Built, tmp_path: Path
) -> None:
    assert built.installer is not None and built.installer.suffix == ".deb"
    assert built.installer.name.startswith(f"watchkeeper_{project_version()}_")
    depends = run(["dpkg-deb", "-f", str(built.installer), "Depends"]).stdout
    for package in runtime_packages():
        assert package in depends, package
    run(["dpkg-deb", "-x", str(built.installer), str(tmp_path)], check=True)
    assert os.readlink(tmp_path / "usr/bin/watchkeeper") == "/opt/watchkeeper/watchkeeper"
    desktop = tmp_path / "usr/share/applications/watchkeeper.desktop"
    assert "MimeType=application/x-ms-evtx;" in desktop.read_text()
    assert "*.evtx" in (tmp_path / "usr/share/mime/packages/watchkeeper.xml").read_text()
    for size in (16, 48, 256):
        assert (tmp_path / f"usr/share/icons/hicolor/{size}x{size}/apps/watchkeeper.png").is_file()
    unit = (tmp_path / "usr/lib/systemd/user/watchkeeper-collect.service").read_text()
    assert "ExecStart=/usr/bin/watchkeeper collect" in unit
    if shutil.which("desktop-file-validate"):
        check = run(["desktop-file-validate", str(desktop)])
        assert check.returncode == 0 and check.stdout == "", check.stdout
    scripts = run(["dpkg-deb", "--ctrl-tarfile", str(built.installer)]).stdout
    assert "postrm" not in scripts  # Debian's triggers refresh the caches; nothing to undo


def _root() -> list[str] | None:
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and run(["sudo", "-n", "true"]).returncode == 0:
        return ["sudo", "-n"]
    return None


def test_install_run_and_remove_with_dpkg(built: Built, tmp_path: Path) -> None:
    root = _root()
    if root is None:
        pytest.skip("installing a package needs root (or sudo without a password)")
    if run(["dpkg-query", "-W", "-f=${Status}", "watchkeeper"]).stdout.endswith(" installed"):
        pytest.skip("watchkeeper is installed on this machine; the test would replace it")
    assert built.installer is not None
    files = [
        line.split(maxsplit=5)[-1].lstrip(".")
        for line in run(["dpkg-deb", "--contents", str(built.installer)]).stdout.splitlines()
    ]
    try:
        installed = run([*root, "dpkg", "-i", str(built.installer)])
        assert installed.returncode == 0, installed.stdout + installed.stderr
        output = self_test("/usr/bin/watchkeeper", tmp_path)
        assert "(bundle," in output.splitlines()[0]
        cache = Path("/usr/share/applications/mimeinfo.cache")
        if cache.exists():
            assert "application/x-ms-evtx=watchkeeper.desktop;" in cache.read_text()
    finally:
        removed = run([*root, "dpkg", "--purge", "watchkeeper"])
    assert removed.returncode == 0, removed.stdout + removed.stderr
    left = [
        name
        for name in files
        if name.startswith(("/opt/watchkeeper", "/usr/bin/watch"))
        and Path(name.split(" -> ")[0]).exists()
    ]
    assert left == []
    assert not Path("/opt/watchkeeper").exists()
    if Path("/usr/share/applications/mimeinfo.cache").exists():
        assert "watchkeeper" not in Path("/usr/share/applications/mimeinfo.cache").read_text()
