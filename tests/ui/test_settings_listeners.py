"""Settings' OK restarts the window's real collector: a new port listens and the old one is
refused, a port taken is said in the status line, and a new HTTP token shuts out the old."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from pytestqt.qtbot import QtBot

from watchkeeper.collect.certificates import HTTP_TOKEN_SECRET, ensure_http_token
from watchkeeper.collect.secrets import get_secret
from watchkeeper.core.settings import Settings, settings_path
from watchkeeper.storage.store import Store
from watchkeeper.ui.collecting import CollectorController
from watchkeeper.ui.main_window import MainWindow
from watchkeeper.ui.settings.dialog import SettingsDialog
from watchkeeper.ui.settings.opening import open_settings

MakeWindow = Callable[..., MainWindow]
Receiving = Callable[[Settings], tuple[MainWindow, CollectorController]]


@pytest.fixture
def receiving(make_window: MakeWindow, store: Store) -> Iterator[Receiving]:
    """A window with its collector, as the app starts them."""
    controllers: list[CollectorController] = []

    def start(settings: Settings) -> tuple[MainWindow, CollectorController]:
        window = make_window(settings)
        controller = CollectorController(
            window,
            store,
            window.settings,
            window.runner,
            lambda summary, refresh: None,
            window.sources_view.set_receiving,
        )
        controller.start()
        controllers.append(controller)
        return window, controller

    yield start
    for controller in controllers:
        controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def press_ok(qtbot: QtBot, window: MainWindow, dialog: SettingsDialog) -> None:
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.isEnabled(), dialog.problem.text()
    ok.click()
    qtbot.waitUntil(
        lambda: "Restarting" not in window.sources_view.receiving.text(), timeout=20_000
    )


def test_a_new_port_listens_and_the_old_one_is_refused(qtbot: QtBot, receiving: Receiving) -> None:
    old, new = free_port(), free_port()
    window, controller = receiving(Settings(time_display="utc", listeners={"syslog-tcp": old}))
    assert accepts(old)
    dialog = open_settings(window)
    dialog.receiving.ports["syslog-tcp"].setText(str(new))
    press_ok(qtbot, window, dialog)
    qtbot.waitUntil(lambda: accepts(new), timeout=10_000)
    assert not accepts(old)
    assert controller.collector is not None
    said = window.status_line.currentMessage()
    assert said.startswith("Listeners restarted. Receiving on syslog-tcp 127.0.0.1:")
    assert str(new) in said
    assert window.sources_view.test_button.isEnabled()


def test_a_port_taken_is_said_in_the_status_line(qtbot: QtBot, receiving: Receiving) -> None:
    window, controller = receiving(Settings(time_display="utc", listeners={"syslog-tcp": 0}))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        dialog = open_settings(window)
        dialog.receiving.ports["syslog-tcp"].setText(str(port))
        press_ok(qtbot, window, dialog)
        said = window.status_line.currentMessage()
        assert said.startswith("Not receiving in this window") and "already in use" in said
        assert "\n" not in said
        assert controller.collector is None
        assert not window.sources_view.test_button.isEnabled()


def post(port: int, token: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            "POST",
            "/",
            body=b'{"host":"mac01","message":"hello"}\n',
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"},
        )
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_new_token_is_kept_in_the_keyring_and_the_old_one_refused(
    qtbot: QtBot, receiving: Receiving
) -> None:
    port = free_port()
    old_token = ensure_http_token()
    window, _ = receiving(Settings(time_display="utc", listeners={"http": port}))
    assert post(port, old_token) == 200
    dialog = open_settings(window)
    token = dialog.receiving.token
    qtbot.waitUntil(lambda: token.rotate_button.isEnabled(), timeout=10_000)
    box = token.ask_rotate()
    assert box.isVisible() and "refused" in box.text()
    yes = box.button(QMessageBox.StandardButton.Yes)
    assert yes is not None
    yes.click()
    new_token = token.new_token
    assert new_token and new_token != old_token
    assert get_secret(HTTP_TOKEN_SECRET) == old_token  # kept only on OK
    press_ok(qtbot, window, dialog)
    assert get_secret(HTTP_TOKEN_SECRET) == new_token
    written = settings_path().read_text(encoding="utf-8")  # secrets only in the keyring
    assert new_token not in written and old_token not in written
    assert window.status_line.currentMessage().startswith("Listeners restarted.")
    qtbot.waitUntil(lambda: accepts(port), timeout=10_000)
    assert post(port, old_token) == 401
    assert post(port, new_token) == 200
