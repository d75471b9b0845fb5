"""Imports point downward, and nothing outside ui/ loads Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "app" / "watchkeeper"

# A layer may import itself and the layers after it.
LAYERS = ["ui", "cli", "incidents", "collect", "compliance", "scenarios", "detection", "ingest",
          "storage", "core"]
# The PDF writer lays out text with QtGui, headless; no other module outside ui/ uses Qt.
QT_OUTSIDE_UI = {Path("incidents/pdf.py"): ("PySide6.QtCore", "PySide6.QtGui")}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "watchkeeper" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def test_imports_point_downward() -> None:
    wrong: list[str] = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        own = relative.parts[0].removesuffix(".py")
        if own not in LAYERS:
            continue
        allowed = set(LAYERS[LAYERS.index(own):])
        for module in _imports(path):
            target = _layer(module)
            if target is not None and target not in allowed:
                wrong.append(f"{relative} imports {module}")
            if (module.startswith(("PySide6", "pyqtgraph")) and own != "ui"
                    and module not in QT_OUTSIDE_UI.get(relative, ())):
                wrong.append(f"{relative} imports Qt ({module})")
            if own == "core" and module.split(".")[0] in {"duckdb", "numpy", "orjson", "evtx"}:
                wrong.append(f"{relative} imports {module}: core/ is standard library only")
    assert wrong == []


def test_headless_commands_load_no_qt(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from watchkeeper import cli\n"
        "import watchkeeper.ingest.importer, watchkeeper.scenarios, watchkeeper.storage.queries\n"
        f"cli.run(['stats', '--db', {str(tmp_path / 'x.duckdb')!r}])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken'))))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
