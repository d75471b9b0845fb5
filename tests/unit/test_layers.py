"""What the import contracts in pyproject.toml cannot say for themselves.

`lint-imports` (run by .ci/run) checks the layers, the independence of the features, Qt only
in ui/ and a standard-library core. These tests check what a static contract cannot: that the
headless commands load no Qt when they run, that the PDF writer keeps to QtGui, and that the
contracts name every package and dependency there is.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from importlib.util import find_spec
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "app" / "watchkeeper"
# The PDF writer lays out text with QtGui, headless; a contract can only allow all of PySide6.
PDF_WRITER_QT = {"PySide6", "PySide6.QtCore", "PySide6.QtGui"}


def _contracts() -> dict[str, dict[str, Any]]:
    document = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {contract["id"]: contract for contract in document["tool"]["importlinter"]["contracts"]}


def _packages() -> set[str]:
    """The modules and packages directly under watchkeeper/, as import-linter names them."""
    names = {path.stem for path in PACKAGE.glob("*.py")} | {
        path.parent.name for path in PACKAGE.glob("*/__init__.py")
    }
    return {f"watchkeeper.{name}" for name in names - {"__init__"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_headless_commands_load_no_qt(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from watchkeeper import cli\n"
        "import watchkeeper.ingest.importer, watchkeeper.scenarios, watchkeeper.storage.queries\n"
        "import watchkeeper.export.ndjson\n"
        f"cli.run(['stats', '--db', {str(tmp_path / 'x.duckdb')!r}])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_pdf_writer_uses_qtgui_not_widgets() -> None:
    qt = {
        module
        for name in ("pdf.py", "chart.py")
        for module in _imports(PACKAGE / "incidents" / name)
        if module.split(".")[0] in {"PySide6", "shiboken6", "pyqtgraph"}
    }
    assert qt <= PDF_WRITER_QT


def test_every_package_is_in_the_contracts() -> None:
    contracts = _contracts()
    layers = [
        {f"watchkeeper.{name.strip()}" for name in re.split("[|:]", layer)}
        for layer in contracts["layers"]["layers"]
    ]
    features = [layer for layer in layers if len(layer) > 1]

    assert set().union(*layers) == _packages()
    # the layer of the features is the set that must stay independent of each other
    assert features == [set(contracts["features"]["modules"])]
    # all but the window and the GUI's entry point are headless
    assert set(contracts["qt"]["source_modules"]) == _packages() - {
        "watchkeeper.ui",
        "watchkeeper.__main__",
    }


def test_core_is_forbidden_every_dependency() -> None:
    document = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = {
        _distribution_key(re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0])
        for requirement in document["project"]["dependencies"]
    }
    installed = {
        name
        for name, distributions in packages_distributions().items()
        if not name.startswith("_")
        and find_spec(name) is not None
        and any(_distribution_key(d) in wanted for d in distributions)
    }

    assert installed, "the app's dependencies are installed where the tests run"
    assert installed - set(_contracts()["core"]["forbidden_modules"]) == set()


def _distribution_key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
