"""The collector inside the window: real listeners, real sockets, the spool loaded by a timer."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from watchkeeper.collect.service import send_test_event
from watchkeeper.core.settings import Settings
from watchkeeper.ingest.summary import ImportSummary
from watchkeeper.storage.sources import source_key
from watchkeeper.storage.store import Store
from watchkeeper.ui.collecting import CollectorController
from watchkeeper.ui.main_window import SOURCES, MainWindow

MakeWindow = Callable[..., MainWindow]


@pytest.fixture
def receiving(
    make_window: MakeWindow, store: Store
) -> Iterator[Callable[[Settings], tuple[MainWindow, CollectorController, list[Any]]]]:
    controllers: list[CollectorController] = []

    def start(settings: Settings) -> tuple[MainWindow, CollectorController, list[Any]]:
        window = make_window(settings)
        loaded: list[Any] = []
        controller = CollectorController(
            window,
            store,
            settings,
            window.runner,
            lambda summary, refresh: loaded.append(summary),
            window.sources_view.set_receiving,
        )
        controller.start()
        window.set_test_sender(controller.test_sender())
        controllers.append(controller)
        return window, controller, loaded

    yield start
    for controller in controllers:
        controller.stop()


def port_of(controller: CollectorController, name: str) -> int:
    assert controller.collector is not None
    return controller.collector.listeners.addresses()[name][1]


def test_the_window_receives_loads_and_shows_what_it_is_doing(
    qtbot: QtBot, receiving: Any, store: Store
) -> None:
    settings = Settings(time_display="utc", listeners={"syslog-tcp": 0, "syslog-udp": 0})
    window, controller, loaded = receiving(settings)
    assert controller.state.startswith("Receiving on syslog-tcp 127.0.0.1:")
    with socket.create_connection(("127.0.0.1", port_of(controller, "syslog-tcp"))) as sender:
        sender.sendall(b"<13>Nov 23 10:00:00 fw01 sshd[7]: Failed password for root\n")
    qtbot.waitUntil(lambda: sum(s.events for s in loaded) == 1, timeout=30_000)
    assert isinstance(loaded[0], ImportSummary)
    assert store.fetch_one("SELECT host, sender, transport FROM events") == (
        "fw01",
        "127.0.0.1",
        "tcp",
    )
    view = window.sources_view
    qtbot.waitUntil(lambda: "1 messages" in view.receiving.text(), timeout=5_000)
    assert view.receiving.isVisibleTo(view)
    sentence = send_test_event(controller.collector, store)
    assert "was in the store" in sentence
    port = port_of(controller, "syslog-tcp")
    controller.stop()  # the window closes: its listeners go with it
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


def test_ports_taken_by_another_program_leave_receiving_to_it(qtbot: QtBot, receiving: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(time_display="utc", listeners={"syslog-tcp": port})
        window, controller, _ = receiving(settings)
    assert controller.collector is None
    assert controller.state.startswith("Not receiving in this window")
    assert "already in use" in controller.state
    assert window.sources_view.receiving.text() == controller.state
    assert not window.sources_view.test_button.isEnabled()


def test_a_source_that_stops_is_silent_within_its_interval(
    qtbot: QtBot, receiving: Any, store: Store, tmp_path: Path
) -> None:
    settings = Settings(
        time_display="utc",
        listeners={"syslog-udp": 0},
        source_intervals={source_key("127.0.0.1", "cron"): 3.0},
    )
    window, controller, loaded = receiving(settings)
    port = port_of(controller, "syslog-udp")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"<13>Nov 23 10:00:00 web01 cron[9]: job done", ("127.0.0.1", port))
    qtbot.waitUntil(lambda: sum(s.events for s in loaded) == 1, timeout=30_000)
    view = window.sources_view
    view.refresh()
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=30_000)
    assert view.silent_count == 0
    # nothing more arrives: 4 s later, quiet for longer than its 3 s interval, it is silent
    view.clock = lambda: datetime.now(UTC) + timedelta(seconds=4)
    view.refresh()
    qtbot.waitUntil(lambda: view.silent_count == 1, timeout=30_000)
    assert "silent" in window.navigation.item(SOURCES).text()
    assert "web01 (cron)" in view.banner_text.text()
