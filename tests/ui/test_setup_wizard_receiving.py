"""Leaving step 3 with Next starts receiving as chosen, so step 4 hears the test events:
the window's real collector moves to the new port, and Cancel afterwards keeps it there."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from tests.ui.test_settings_listeners import Receiving, accepts, free_port, receiving  # noqa: F401

from watchkeeper.core import settings as settings_file
from watchkeeper.core.settings import Settings
from watchkeeper.ui.setup_wizard.opening import open_setup_wizard
from watchkeeper.ui.setup_wizard.receiving_page import ReceivingPage


def test_next_from_step_three_moves_the_windows_listeners(
    qtbot: QtBot,
    receiving: Receiving,  # noqa: F811 (the fixture)
) -> None:
    old, new = free_port(), free_port()
    window, controller = receiving(Settings(time_display="utc", listeners={"syslog-tcp": old}))
    assert accepts(old)
    wizard = open_setup_wizard(window)
    wizard.next()  # step 2
    wizard.next()  # step 3
    page = wizard.currentPage()
    assert isinstance(page, ReceivingPage)
    assert "Next starts receiving" in page.subTitle()
    for name, tick in page.listeners.ticks.items():
        tick.setChecked(name == "syslog-tcp")
    page.listeners.spins["syslog-tcp"].setValue(new)
    wizard.next()
    assert wizard.currentId() == 3
    qtbot.waitUntil(lambda: controller.collector is not None, timeout=20_000)
    assert accepts(new) and not accepts(old)
    assert settings_file.load().listeners == {"syslog-tcp": new}
    assert window.settings.listeners == {"syslog-tcp": new}
    wizard.reject()  # what was started stays started; the plan is not saved
    assert accepts(new)
    assert controller.collector is not None
