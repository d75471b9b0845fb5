"""Every test gets a fresh store and data folder; Qt runs offscreen; the reference data is optional."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder of the test's own, so nothing touches the user's real store."""
    home = tmp_path / "home"
    monkeypatch.setenv("WATCHKEEPER_HOME", str(home))
    return home


@pytest.fixture
def store(tmp_path: Path) -> Iterator[object]:
    from watchkeeper.storage.store import Store

    with Store(tmp_path / "store" / "test.duckdb") as opened:
        yield opened


def shared(*parts: str) -> Path:
    """A path in ../shared/data, or a skip saying it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data not present: ../shared/data/{'/'.join(parts)}")
    return path


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def make_window(qtbot: Any, store: Any) -> Iterator[Callable[..., Any]]:
    """Main windows on the test's store (UTC times unless told), closed with the test."""
    from tests.ui.window_helpers import settle

    from watchkeeper.core.settings import Settings
    from watchkeeper.ui.main_window import MainWindow

    windows: list[Any] = []

    def make(settings: Any = None, on: Any = None) -> Any:
        window = MainWindow(on or store, settings or Settings(time_display="utc"))
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        settle(qtbot, window)
        return window

    yield make
    from PySide6.QtWidgets import QApplication

    for window in windows:
        window.runner.cancel_all()
        window.runner.wait()
        window.close()
        window.deleteLater()
    QApplication.processEvents()  # results still queued, then the deletions
    windows.clear()
