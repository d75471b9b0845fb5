"""The window opens on a store and shows what it holds."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QTableWidget
from pytestqt.qtbot import QtBot

from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.store import Store
from watchkeeper.ui.main_window import MainWindow


def _texts(window: MainWindow) -> str:
    return "\n".join(label.text() for label in window.findChildren(QLabel))


def test_empty_store_says_how_to_begin(qtbot: QtBot, store: Store) -> None:
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    assert "0 events" in _texts(window)
    assert "watchkeeper import" in _texts(window)


def test_figures_and_hostile_text_shown_as_plain_text(qtbot: QtBot, store: Store,
                                                      tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text("Nov  3 08:43:12 <b>evil</b> sshd[1]: Accepted password for bob from 10.0.0.5 "
                   "port 2 ssh2\nNov  3 08:43:13 web01 sshd[1]: hello\n")
    import_paths(store, [log])
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    assert "2 events" in _texts(window)
    hosts = next(t for t in window.findChildren(QTableWidget)
                 if t.horizontalHeaderItem(0).text() == "Host")
    names = {hosts.item(r, 0).text() for r in range(hosts.rowCount())}
    assert names == {"<b>evil</b>", "web01"}  # shown literally, not as bold text
    grab = window.grab()
    assert grab.width() > 600 and grab.height() > 400
