"""Every test gets a fresh store and data folder; Qt runs offscreen; the reference data is optional."""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
FIXTURES = ROOT / "tests" / "fixtures"

# Tests of what is judged by the time now: device checks, silent sources, certificate expiry,
# the demo office's month up to now. They take `now` as a parameter and pin it; .ci/run runs
# them again under a clock a year ahead and a year back (`-m clock`), so a test that would
# fail next month fails today. A node id that starts with one of these is marked `clock`.
CLOCK_TESTS = (
    "tests/unit/compliance/",
    "tests/unit/storage/test_sources.py",
    "tests/unit/storage/test_overview_more.py",
    "tests/unit/storage/test_workdirs.py::test_a_work_folder_without_a_process_id",
    "tests/unit/collect/test_certificates.py",
    "tests/unit/scenarios/",
    "tests/unit/integrity/",
    "tests/unit/detection/test_rule_pack.py::test_story_is_caught_on_its_host_at_its_time",
    "tests/unit/test_cli.py::test_sources_",
    "tests/ui/test_devices.py",
    "tests/ui/test_sources.py",
    "tests/ui/test_overview.py",
    "tests/ui/test_collecting.py::test_a_source_that_stops_is_silent",
)
# Tests under CLOCK_TESTS that are not run with the clock moved: they wait on other processes
# (a D-Bus session) through subprocess, whose sleeps faketime's moved clock breaks (EINVAL).
NOT_CLOCK_TESTS = (
    "tests/unit/collect/test_certificates.py::test_secrets_and_certificate_in_a_real_gnome_keyring",
)
# The installer tests build a bundle first (up to 30 minutes); the others have the limit in
# pyproject.toml, a safety net against a hang.
INSTALLER_TIMEOUT = 2400


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    timeouts = config.pluginmanager.hasplugin("timeout")
    for item in items:
        if item.nodeid.startswith(CLOCK_TESTS) and not item.nodeid.startswith(NOT_CLOCK_TESTS):
            item.add_marker(pytest.mark.clock)
        if timeouts and item.nodeid.startswith("tests/installer/"):
            item.add_marker(pytest.mark.timeout(INSTALLER_TIMEOUT))


@pytest.fixture(scope="session")
def compiled_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped rules compiled once for the whole run, as the installer's bundle carries
    them: each test has a data folder (and so a rule cache) of its own."""
    from watchkeeper.detection.bundle import compile_shipped

    target = tmp_path_factory.mktemp("compiled-rules") / "compiled-rules.sqlite"
    compile_shipped(target)
    return target


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compiled_rules: Path) -> Path:
    """A data folder of the test's own, so nothing touches the user's real store."""
    home = tmp_path / "home"
    monkeypatch.setenv("WATCHKEEPER_HOME", str(home))
    monkeypatch.setenv("WATCHKEEPER_COMPILED_RULES", str(compiled_rules))
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[Any]:
    """Every test keeps its secrets in memory, never in the keyring of the machine."""
    import keyring
    from tests.keyrings import MemoryKeyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


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
    # While a window is open, garbage must be collected on the GUI thread only (ui/tasks.py):
    # collected on a worker, the Qt objects in it are deleted there, and the window crashes.
    gui = threading.main_thread().ident
    elsewhere: list[int] = []

    def watch(phase: str, _info: dict[str, int]) -> None:
        if phase == "start" and threading.get_ident() != gui:
            elsewhere.append(threading.get_ident())

    def make(settings: Any = None, on: Any = None) -> Any:
        if watch not in gc.callbacks:
            gc.callbacks.append(watch)
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
    if watch in gc.callbacks:
        gc.callbacks.remove(watch)
    assert not elsewhere, f"garbage was collected {len(elsewhere)} times on worker threads"
