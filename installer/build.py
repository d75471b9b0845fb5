"""Builds Watchkeeper's installer for the platform it runs on.

    python installer/build.py            the bundle, then the .deb / setup .exe / .dmg
    python installer/build.py --bundle   the one-folder bundle only

Linux gives dist/watchkeeper_VERSION_ARCH.deb, Windows dist/Watchkeeper-VERSION-setup.exe
(with NSIS's makensis on PATH), macOS dist/Watchkeeper-VERSION.dmg. It needs the project
installed with its build extra (`pip install -e .[build]`); installer/build.sh does that
first on Debian and Ubuntu. Every artefact's size is printed at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from icons import render_icons  # noqa: E402  (a sibling script, not a package)

# DejaVu Sans goes in the bundle so a Linux machine without fonts still shows text;
# Windows and macOS always have fonts of their own.
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
FONT_FOLDERS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
)
FONT_LICENCE = Path("/usr/share/doc/fonts-dejavu-core/copyright")


def say(text: str) -> None:
    print(f"build: {text}", flush=True)


def version() -> str:
    document = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(document["project"]["version"])


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def megabytes(path: Path) -> str:
    return f"{size_of(path) / 1_000_000:,.1f} MB"


def find_fonts(target: Path) -> Path | None:
    """Copy the fonts to bundle into `target`; None where the system provides its own."""
    if sys.platform in ("win32", "darwin"):
        return None
    for folder in FONT_FOLDERS:
        if all((folder / name).is_file() for name in FONT_FILES):
            target.mkdir(parents=True, exist_ok=True)
            for name in FONT_FILES:
                shutil.copy2(folder / name, target / name)
            if FONT_LICENCE.is_file():
                shutil.copy2(FONT_LICENCE, target / "DejaVu-LICENCE.txt")
            return target
    raise SystemExit(
        "build: DejaVu Sans is not installed (Debian: apt-get install "
        "fonts-dejavu-core); the bundle needs a font for machines without one"
    )


def compile_rules(folder: Path) -> Path:
    """The shipped rules compiled once here, so the first launch does not compile them."""
    shutil.rmtree(folder, ignore_errors=True)
    target = folder / "compiled-rules.sqlite"
    say("compiling the shipped rules")
    code = (
        "import sys; from pathlib import Path; "
        "from watchkeeper.detection.bundle import compile_shipped; "
        "print(compile_shipped(Path(sys.argv[1])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "app")},
        capture_output=True,
        text=True,
    )
    say(f"{int(done.stdout.split()[-1]):,} rules compiled into the bundle's cache")
    return folder


def build_bundle(work: Path, dist: Path) -> Path:
    """The PyInstaller one-folder bundle (and Watchkeeper.app on macOS)."""
    icons = render_icons(ROOT / "resources" / "icons" / "watchkeeper.svg", work / "icons")
    fonts = find_fonts(work / "fonts")
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work / "pyinstaller"),
        str(HERE / "watchkeeper.spec"),
        "--",
        "--icons",
        str(icons["ico"].parent),
    ]
    if fonts:
        command += ["--fonts", str(fonts)]
    command += ["--rule-cache", str(compile_rules(work / "rules-cache"))]
    say("freezing the app with PyInstaller")
    subprocess.run(command, check=True, cwd=ROOT)
    bundle = dist / "watchkeeper"
    strip_python_library(bundle)
    return bundle


def strip_python_library(bundle: Path) -> None:
    """Python built from source (pyenv) keeps ~20 MB of debug information in libpython."""
    strip = shutil.which("strip")
    if sys.platform != "linux" or not strip:
        return
    for library in (bundle / "_internal").glob("libpython3*.so*"):
        subprocess.run([strip, "--strip-debug", str(library)], check=True)


def build_installer(bundle: Path, work: Path, dist: Path, number: str) -> Path:
    if sys.platform.startswith("linux"):
        from deb import build_deb

        return build_deb(bundle, work / "icons", work, dist, number)
    if sys.platform == "win32":
        makensis = shutil.which("makensis")
        if not makensis:
            raise SystemExit(
                "build: makensis is not on PATH (install NSIS from "
                "nsis.sourceforge.io, or `choco install nsis`)"
            )
        from watchkeeper.cli import COMMANDS

        target = dist / f"Watchkeeper-{number}-setup.exe"
        # the "start the collector at sign-in" option, once the app has the command
        collector = ["-DCOLLECTOR"] if "collect" in COMMANDS else []
        subprocess.run(
            [
                makensis,
                "-V2",
                f"-DVERSION={number}",
                f"-DPAYLOAD={bundle}",
                f"-DICON={work / 'icons' / 'watchkeeper.ico'}",
                f"-DOUTFILE={target}",
                *collector,
                str(HERE / "windows" / "watchkeeper.nsi"),
            ],
            check=True,
        )
        return target
    if sys.platform == "darwin":
        target = dist / f"Watchkeeper-{number}.dmg"
        subprocess.run(
            [
                "bash",
                str(HERE / "macos" / "make-dmg.sh"),
                str(dist / "Watchkeeper.app"),
                str(target),
            ],
            check=True,
        )
        return target
    raise SystemExit(f"build: no installer for {sys.platform}; the bundle is in {bundle}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="installer/build.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--bundle", action="store_true", help="the one-folder bundle only")
    parser.add_argument(
        "--dist", type=Path, default=ROOT / "dist", help="where the results go (default: dist/)"
    )
    parser.add_argument(
        "--work", type=Path, default=ROOT / "build", help="scratch folder (default: build/)"
    )
    args = parser.parse_args(argv)
    try:
        import PIL  # noqa: F401
        import PyInstaller  # noqa: F401
    except ImportError:
        raise SystemExit(
            "build: PyInstaller and Pillow are missing: pip install -e '.[build]'"
            " (installer/build.sh does it on Debian and Ubuntu)"
        ) from None
    number = version()
    started = time.perf_counter()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    say(f"Watchkeeper {number} for {platform.system()} {platform.machine()}")
    bundle = build_bundle(args.work.resolve(), args.dist.resolve())
    made = [bundle]
    if sys.platform == "darwin":
        made.append(args.dist.resolve() / "Watchkeeper.app")
    if not args.bundle:
        made.append(build_installer(bundle, args.work.resolve(), args.dist.resolve(), number))
    say(f"done in {time.perf_counter() - started:.0f} s")
    for path in made:
        print(f"  {megabytes(path):>10}  {path.relative_to(args.dist.resolve().parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
