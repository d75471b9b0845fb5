"""File ▸ Settings…: each section edits its values and OK saves them; what is wrong is said
and keeps OK off; Cancel changes nothing; defaults come back; the listeners restart."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot
from tests.keyrings import MemoryKeyring

from watchkeeper.collect.certificates import HTTP_TOKEN_SECRET
from watchkeeper.collect.secrets import SERVICE
from watchkeeper.core import settings as settings_file
from watchkeeper.core.settings import Settings
from watchkeeper.ui import theme
from watchkeeper.ui.main_window import MainWindow
from watchkeeper.ui.settings.dialog import SettingsDialog

MakeWindow = Callable[..., MainWindow]


@pytest.fixture(autouse=True)
def light_theme(qapp: QApplication) -> Iterator[None]:
    """The theme is the application's: every test starts in light, and the application is
    left as it was found (other tests measure widgets without the stylesheet)."""
    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    colours = theme.current()
    theme.apply(qapp, "light")
    yield
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)
    theme._current = colours


def open_dialog(qtbot: QtBot, window: MainWindow) -> SettingsDialog:
    """Through the menu's action, as the user's Ctrl+, would."""
    action = next(a for a in window.findChildren(QAction) if a.text() == "Se&ttings…")
    action.trigger()
    dialog = window.findChild(SettingsDialog, "settingsDialog")
    assert isinstance(dialog, SettingsDialog) and dialog.isVisible()
    qtbot.waitUntil(
        lambda: "Reading" not in dialog.receiving.tls.fingerprint.text(), timeout=10_000
    )
    return dialog


def ok_button(dialog: SettingsDialog) -> QPushButton:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def confirm(qtbot: QtBot, dialog: SettingsDialog, name: str) -> None:
    box = dialog.findChild(QMessageBox, name)
    assert isinstance(box, QMessageBox) and box.isVisible()
    yes = box.button(QMessageBox.StandardButton.Yes)
    assert yes is not None
    yes.click()


def test_the_menu_has_settings_with_the_preferences_shortcut(make_window: MakeWindow) -> None:
    window = make_window()
    action = next(a for a in window.findChildren(QAction) if a.text() == "Se&ttings…")
    expected = QKeySequence(QKeySequence.StandardKey.Preferences)
    assert action.shortcut() == (QKeySequence("Ctrl+,") if expected.isEmpty() else expected)


def test_every_section_edits_its_values_and_ok_saves_and_applies_them(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window(Settings(theme="light", time_display="utc"))
    dialog = open_dialog(qtbot, window)
    receiving = dialog.receiving
    receiving.network.setChecked(True)
    assert "firewall" in receiving.network_note.text()
    receiving.switches["json-tcp"].setChecked(True)
    receiving.ports["json-tcp"].setText("15170")
    receiving.switches["syslog-udp"].setChecked(False)
    receiving.per_sender.setValue(5)
    receiving.idle.setValue(30)
    receiving.heartbeat.setValue(10)
    dialog.show_section("Storage and retention")
    dialog.storage.retention.months.setValue(24)
    dialog.storage.retention.hot_days.setValue(60)
    dialog.show_section("Detection")
    dialog.detection.profiles.button(1).setChecked(True)
    dialog.detection.add_folder(str(tmp_path))
    dialog.detection.add_placeholder("admins", "alice, bob")
    dialog.show_section("Devices")
    key, box = next(iter(dialog.devices.form.boxes.items()))  # type: ignore[union-attr]
    box.setValue(box.value() + 3)
    dialog.show_section("Appearance")
    page = dialog.appearance
    page.theme.setCurrentIndex(page.theme.findData("dark"))
    page.times.setCurrentIndex(page.times.findData("local"))
    page.series.setCurrentIndex(page.series.findData("level"))
    level = next(
        page.columns.item(n)
        for n in range(page.columns.count())
        if page.columns.item(n).data(Qt.ItemDataRole.UserRole) == "level"
    )
    level.setCheckState(Qt.CheckState.Unchecked)
    page.organisation.setText("<b>Oakfield & Sons</b>")
    page.page_size.setCurrentText("Letter")
    assert ok_button(dialog).isEnabled() and not dialog.problem.isVisible()
    ok_button(dialog).click()

    saved = settings_file.load()
    assert saved.listen_on_network
    assert saved.listeners == {"syslog-tcp": 5514, "json-tcp": 15170}
    assert (saved.connections_per_sender, saved.connection_idle_seconds) == (5, 30.0)
    assert saved.heartbeat_minutes == 10
    assert (saved.retention_months, saved.hot_days) == (24, 60)
    assert saved.rule_profile == "broad"
    assert saved.rule_folders == [str(tmp_path)]
    assert saved.placeholders == {"admins": ["alice", "bob"]}
    assert saved.compliance_thresholds[key] == box.value()
    assert (saved.theme, saved.time_display, saved.page_size) == ("dark", "local", "Letter")
    assert saved.organisation == "<b>Oakfield & Sons</b>"
    assert "level" not in saved.table_columns and saved.table_columns[0] == "time"
    # applied: the window's own settings, the theme at once, the menus' checks
    assert window.settings.rule_profile == "broad"
    assert theme.current().dark and window.theme_actions["dark"].isChecked()
    assert not window.utc_action.isChecked()
    by_level = next(
        a for a in window.findChildren(QAction) if a.text() == "Timeline bars by &level"
    )
    assert by_level.isChecked() and saved.timeline_series == "level"
    said = window.status_line.currentMessage()
    assert said.startswith("Settings saved: ") and "theme" in said and "listeners" in said


@pytest.mark.parametrize(
    ("edit", "sentence"),
    [
        (lambda d, p: d.receiving.ports["syslog-tcp"].setText("0"), "from 1 to 65535"),
        (lambda d, p: d.receiving.ports["syslog-tcp"].setText("70000"), "from 1 to 65535"),
        (lambda d, p: d.receiving.ports["syslog-tcp"].setText("tcp"), "a whole number"),
        (
            lambda d, p: (
                d.receiving.switches["json-tcp"].setChecked(True),
                d.receiving.ports["json-tcp"].setText("5514"),
            ),
            "both use port 5514; give each its own port",
        ),
        (lambda d, p: d.storage.retention.months.setValue(3), "needs a reason"),
        (
            lambda d, p: (
                d.receiving.tls.own.setChecked(True),
                d.receiving.tls.cert.setText(str(p / "missing.pem")),
            ),
            "does not exist",
        ),
        (
            lambda d, p: (
                (p / "garbage.pem").write_bytes(b"\x30\x82garbage\n<script>"),
                d.receiving.tls.own.setChecked(True),
                d.receiving.tls.cert.setText(str(p / "garbage.pem")),
            ),
            "is not a PEM certificate",
        ),
        (
            lambda d, p: d.appearance.organisation.setText("Oakfield\nLtd"),
            "cannot hold line breaks",
        ),
        (lambda d, p: d.appearance.organisation.setText("x" * 300), "too long"),
        (lambda d, p: d.detection.add_placeholder("bad name%", "a"), "may hold only letters"),
    ],
)
def test_invalid_input_turns_ok_off_and_says_why(
    qtbot: QtBot,
    make_window: MakeWindow,
    tmp_path: Path,
    edit: Callable[[SettingsDialog, Path], object],
    sentence: str,
) -> None:
    window = make_window()
    dialog = open_dialog(qtbot, window)
    assert ok_button(dialog).isEnabled()
    edit(dialog, tmp_path)
    assert not ok_button(dialog).isEnabled()
    assert dialog.problem.isVisible() and sentence in dialog.problem.text()
    assert "Traceback" not in dialog.problem.text()
    dialog.accept()  # Enter on a field: refused while anything is wrong
    assert dialog.isVisible()
    dialog.restore_everything()
    assert ok_button(dialog).isEnabled() and not dialog.problem.isVisible()


def test_a_problem_on_another_section_names_it(qtbot: QtBot, make_window: MakeWindow) -> None:
    dialog = open_dialog(qtbot, make_window())
    dialog.receiving.ports["syslog-tcp"].setText("99999")
    dialog.show_section("Appearance")
    dialog.check()
    assert dialog.problem.text().startswith("Receiving: The Syslog over TCP port")
    assert "⚠" in dialog.sections.item(0).text()
    assert "Syslog over TCP" in dialog.receiving.ports["syslog-tcp"].toolTip()


def test_cancel_changes_nothing(
    qtbot: QtBot, make_window: MakeWindow, memory_keyring: MemoryKeyring
) -> None:
    window = make_window(Settings(theme="light", time_display="utc"))
    before = asdict(window.settings)
    dialog = open_dialog(qtbot, window)
    dialog.receiving.ports["syslog-tcp"].setText("6000")
    dialog.appearance.theme.setCurrentIndex(dialog.appearance.theme.findData("dark"))
    dialog.storage.retention.months.setValue(40)
    dialog.receiving.token.ask_rotate()
    confirm(qtbot, dialog, "confirmNewToken")
    assert dialog.receiving.token.new_token
    dialog.reject()
    assert asdict(window.settings) == before
    assert not settings_file.settings_path().exists()
    assert not theme.current().dark
    # the new token was never kept (the generated certificate's passphrase is: it was shown)
    assert (SERVICE, HTTP_TOKEN_SECRET) not in memory_keyring.secrets


def test_restore_defaults_per_section_and_for_all_after_asking(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    changed = Settings(
        time_display="utc",
        listeners={"http": 9000},
        retention_months=24,
        rule_profile="hunting",
        organisation="Oakfield",
    )
    window = make_window(changed)
    dialog = open_dialog(qtbot, window)
    dialog.show_section("Receiving")
    dialog.restore_current()
    assert dialog.receiving.switches["syslog-udp"].isChecked()
    assert not dialog.receiving.switches["http"].isChecked()
    assert dialog.storage.retention.months.value() == 24  # another section: left alone
    dialog.ask_restore_all()
    confirm(qtbot, dialog, "confirmRestoreAll")
    assert dialog.storage.retention.months.value() == 13
    assert dialog.appearance.organisation.text() == ""
    ok_button(dialog).click()
    saved = settings_file.load()
    assert saved.listeners == Settings().listeners
    assert (saved.retention_months, saved.rule_profile, saved.organisation) == (13, "core", "")


def test_no_keyring_is_said_plainly(qtbot: QtBot, make_window: MakeWindow) -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]  # the memory keyring fixture puts its own back
    dialog = open_dialog(qtbot, make_window())
    token = dialog.receiving.token
    qtbot.waitUntil(lambda: "No keyring is available" in token.said.text(), timeout=10_000)
    assert not token.rotate_button.isEnabled() and not token.copy_button.isEnabled()
    assert "No keyring is available" in dialog.receiving.tls.fingerprint.text()
    assert ok_button(dialog).isEnabled()  # nothing typed is wrong


def test_the_token_is_masked_until_shown(qtbot: QtBot, make_window: MakeWindow) -> None:
    from watchkeeper.collect.certificates import ensure_certificate, ensure_http_token

    kept = ensure_http_token()
    dialog = open_dialog(qtbot, make_window())
    token = dialog.receiving.token
    qtbot.waitUntil(lambda: token.field.text() == kept, timeout=10_000)
    assert token.field.echoMode() == token.field.EchoMode.Password
    assert kept not in token.field.displayText()
    token.show_button.click()
    assert token.field.displayText() == kept
    token.copy_button.click()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == kept
    tls = dialog.receiving.tls
    tls.copy_fingerprint.click()
    fingerprint = ensure_certificate().fingerprint  # the one the TLS listeners present
    assert QGuiApplication.clipboard().text().replace(":", "").lower() == fingerprint
    assert tls.fingerprint.text().replace(":", "").replace("\n", "").lower() == fingerprint
