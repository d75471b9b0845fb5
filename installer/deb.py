"""Packs the one-folder bundle into a .deb: /opt/watchkeeper, a command, a menu entry, icons
and the .evtx file type. Debian's triggers refresh the menu, icon and file-type caches, so
the package needs no scripts of its own, and removing it leaves nothing behind."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
DESCRIPTION = """\
logging and protective monitoring for small organisations
 Watchkeeper imports log files (Windows EVTX, syslog, journald, auditd, macOS unified
 log, JSON lines, CSV) into one embedded DuckDB file, shows timelines and who logged on
 where, and runs Sigma detection rules over every new event. No server is needed."""


def runtime_packages() -> list[str]:
    """The Debian packages the bundle loads from the system (shared with bootstrap.sh)."""
    text = (HERE / "linux" / "runtime-packages.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def architecture() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def build_deb(bundle: Path, icons: Path, work: Path, dist: Path, version: str) -> Path:
    """dist/watchkeeper_VERSION_ARCH.deb from the bundle and the rendered icons."""
    arch = architecture()
    root = work / "deb-root"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(bundle, root / "opt" / "watchkeeper", symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / "watchkeeper").symlink_to("/opt/watchkeeper/watchkeeper")

    share = root / "usr" / "share"
    _install(HERE / "linux" / "watchkeeper.desktop", share / "applications")
    _install(
        HERE / "linux" / "watchkeeper-mime.xml", share / "mime" / "packages", "watchkeeper.xml"
    )
    # off until the user enables it: systemctl --user enable --now watchkeeper-collect
    _install(
        HERE / "linux" / "watchkeeper-collect.service", root / "usr" / "lib" / "systemd" / "user"
    )
    for size in ICON_SIZES:
        _install(
            icons / f"watchkeeper-{size}.png",
            share / "icons" / "hicolor" / f"{size}x{size}" / "apps",
            "watchkeeper.png",
        )
    _install(
        HERE.parent / "resources" / "icons" / "watchkeeper.svg",
        share / "icons" / "hicolor" / "scalable" / "apps",
    )
    docs = share / "doc" / "watchkeeper"
    docs.mkdir(parents=True)
    (docs / "copyright").write_text(_copyright(bundle), encoding="utf-8")

    installed_kb = (
        sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink()) // 1024
    )
    control = root / "DEBIAN" / "control"
    control.parent.mkdir()
    control.write_text(
        f"Package: watchkeeper\nVersion: {version}\nArchitecture: {arch}\n"
        "Maintainer: Watchkeeper\n"
        f"Installed-Size: {installed_kb}\nSection: admin\nPriority: optional\n"
        f"Depends: libc6 (>= 2.31), {', '.join(runtime_packages())}\n"
        f"Description: {DESCRIPTION}\n",
        encoding="utf-8",
    )
    target = dist / f"watchkeeper_{version}_{arch}.deb"
    # zstd: xz takes minutes on a bundle this size; dpkg reads zstd since Debian 12.
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zzstd", "--build", str(root), str(target)],
        check=True,
        capture_output=True,
    )
    shutil.rmtree(root)
    return target


def _install(source: Path, folder: Path, name: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, folder / (name or source.name))
    (folder / (name or source.name)).chmod(0o644)


def _copyright(bundle: Path) -> str:
    text = (
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        "Upstream-Name: watchkeeper\n\nFiles: *\nLicense: MIT\n\n"
        "Files: opt/watchkeeper/_internal/*\n"
        "Comment: Python, Qt (PySide6, LGPLv3), DuckDB, NumPy and the other libraries\n"
        " Watchkeeper runs on, each under its own licence, found beside it.\n"
    )
    licence = bundle / "_internal" / "resources" / "fonts" / "DejaVu-LICENCE.txt"
    if licence.is_file():
        text += "\nFiles: opt/watchkeeper/_internal/resources/fonts/*\nComment: DejaVu fonts\n"
    return text
