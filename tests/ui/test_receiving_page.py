"""The wizard's third step in a bare QWizard: listeners, secrets, service, firewall, configs."""

from __future__ import annotations

import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QProgressDialog, QPushButton, QWizard

from watchkeeper.collect import certificates
from watchkeeper.collect.secrets import get_secret
from watchkeeper.core.progress import Progress
from watchkeeper.core.settings import Settings
from watchkeeper.setup import generation
from watchkeeper.setup.plan import LoggingPlan, PlatformPlan
from watchkeeper.ui.setup_wizard.context import WizardContext
from watchkeeper.ui.setup_wizard.receiving_page import ReceivingPage
from watchkeeper.ui.tasks import TaskRunner

WAIT_MS = 20_000


def network_plan() -> LoggingPlan:
    return LoggingPlan(platforms={"network": PlatformPlan(count=4, logs=["network-syslog"])})


@pytest.fixture
def page(qtbot: Any, tmp_path: Path) -> Iterator[ReceivingPage]:
    wizard = QWizard()
    qtbot.addWidget(wizard)
    runner = TaskRunner(wizard, dialog_parent=wizard)
    context = WizardContext(
        draft=network_plan(),
        settings=Settings(),
        store=None,
        runner=runner,
        tls_folder=tmp_path / "tls",
    )
    shown = ReceivingPage(context)
    shown.service.home = tmp_path / "user"
    shown.service.run = _no_systemctl
    wizard.addPage(shown)
    wizard.resize(1280, 800)
    with qtbot.waitSignal(shown.secrets_shown, timeout=WAIT_MS):
        wizard.show()
    yield shown
    runner.cancel_all()
    runner.wait()


def _no_systemctl(argv: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(argv, 1, "", "Failed to connect to bus: No medium found")


def test_recommended_listeners_are_ticked_and_written_to_the_draft(page: ReceivingPage) -> None:
    assert page.listeners.ports() == {"syslog-tls": 6514, "http": 8088}
    assert page.context.draft.receiving.listeners == {"syslog-tls": 6514, "http": 8088}
    page.listen.setChecked(True)
    page.address.setText("collector.office.lan")
    assert page.context.draft.receiving.listen_on_network
    assert page.context.draft.receiving.collector_address == "collector.office.lan"
    assert page.isComplete()


def test_a_port_clash_is_refused_until_fixed(page: ReceivingPage) -> None:
    page.listeners.ticks["json-tls"].setChecked(True)
    page.listeners.spins["json-tls"].setValue(6514)
    assert not page.isComplete()
    assert "syslog-tls and json-tls both use port 6514/tcp" in page.listeners.problem.text()
    assert page.listeners.problem.isVisible()
    page.listeners.spins["json-tls"].setValue(5171)
    assert page.isComplete() and not page.listeners.problem.isVisible()


def test_udp_and_tcp_may_share_a_number_but_are_called_unencrypted(page: ReceivingPage) -> None:
    page.listeners.ticks["syslog-udp"].setChecked(True)
    page.listeners.ticks["syslog-tcp"].setChecked(True)
    assert page.isComplete()
    assert "not encrypted" in page.listeners.warning.text()


def test_a_hostile_address_is_refused_in_a_sentence(page: ReceivingPage) -> None:
    page.listen.setChecked(True)
    page.address.setText("<b>evil</b>\nhost")
    assert not page.isComplete()
    assert "is not a host name or address" in page.address_problem.text()
    page.address.setText("localhost")
    assert "cannot reach this computer" in page.address_problem.text()


def test_the_fingerprint_shown_is_the_certificates(page: ReceivingPage, tmp_path: Path) -> None:
    files = certificates.ensure_certificate(tmp_path / "tls")
    assert page.fingerprint.text().replace("\n", "") == files.fingerprint
    page.copy_fingerprint.click()
    assert QApplication.clipboard().text() == files.fingerprint


def test_the_token_is_masked_and_copied_from_the_keyring(page: ReceivingPage) -> None:
    assert page.token.echoMode() == page.token.EchoMode.Password
    page.copy_token.click()
    token = get_secret(certificates.HTTP_TOKEN_SECRET)
    assert token and QApplication.clipboard().text() == token


def test_no_keyring_is_said_plainly(qtbot: Any, tmp_path: Path, memory_keyring: Any) -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    wizard = QWizard()
    qtbot.addWidget(wizard)
    runner = TaskRunner(wizard)
    context = WizardContext(network_plan(), Settings(), None, runner, tls_folder=tmp_path)
    shown = ReceivingPage(context)
    shown.service.run = _no_systemctl
    wizard.addPage(shown)
    with qtbot.waitSignal(shown.secrets_shown, timeout=WAIT_MS):
        wizard.show()
    assert "No keyring is available" in shown.secrets_note.text()
    assert not shown.copy_token.isEnabled()
    runner.wait()


def test_the_service_status_says_it_is_not_installed(page: ReceivingPage, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: "not installed" in page.service.state.text(), timeout=WAIT_MS)
    assert not page.service.remove_button.isEnabled()


def test_install_without_a_user_session_says_how_to_fix_it(page: ReceivingPage, qtbot: Any) -> None:
    with qtbot.waitSignal(page.service.status_shown, timeout=WAIT_MS):
        page.service.install_button.click()
    qtbot.waitUntil(lambda: "no user session" in page.service.said.text(), timeout=WAIT_MS)
    assert (page.service.home / ".config" / "systemd" / "user").is_dir()


def test_firewall_commands_follow_the_ports(page: ReceivingPage) -> None:
    page.firewall.which = lambda name: f"/usr/sbin/{name}" if name == "ufw" else None
    page.listen.setChecked(True)
    page.listeners.spins["syslog-tls"].setValue(16514)
    assert "sudo ufw allow 16514/tcp" in page.firewall.commands.toPlainText()
    assert not page.firewall.run_button.isVisible()
    page.firewall.copy_button.click()
    assert QApplication.clipboard().text() == page.firewall.commands.toPlainText()


def test_generation_writes_the_network_folder_and_lists_its_files(
    page: ReceivingPage, qtbot: Any, tmp_path: Path
) -> None:
    page.configs.ask_target = lambda as_zip: tmp_path / "configs"
    with qtbot.waitSignal(page.configs.generated, timeout=WAIT_MS):
        page.configs.generate_button.click()
    readme = tmp_path / "configs" / "network" / "README.txt"
    assert page.context.draft.receiving.collector_address in readme.read_text()
    assert page.configs.open_button.isEnabled()
    tree = page.configs.files
    rows = [item.text(0) for i in range(tree.topLevelItemCount()) if (item := tree.topLevelItem(i))]
    assert "network/README.txt" in rows


def test_generation_into_a_zip(page: ReceivingPage, qtbot: Any, tmp_path: Path) -> None:
    page.configs.as_zip.setChecked(True)
    page.configs.ask_target = lambda as_zip: tmp_path / "configs.zip" if as_zip else None
    with qtbot.waitSignal(page.configs.generated, timeout=WAIT_MS):
        page.configs.generate_button.click()
    with zipfile.ZipFile(tmp_path / "configs.zip") as bundle:
        assert "network/README.txt" in bundle.namelist()
    assert "configs.zip" in page.configs.result.text()


def test_a_slow_generation_is_cancelled_from_its_progress_dialog(
    page: ReceivingPage, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow(*_: Any, progress: Progress, **__: Any) -> Any:
        progress.update(stage="Writing configuration")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            progress.check()
            time.sleep(0.01)
        raise AssertionError("never cancelled")

    monkeypatch.setattr(generation, "generate_all", slow)
    page.configs.ask_target = lambda as_zip: tmp_path / "slow"
    page.configs.generate_button.click()

    def dialog() -> QProgressDialog | None:
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog)]
        found += page.wizard().findChildren(QProgressDialog)
        visible = [d for d in found if d.isVisible()]
        return visible[0] if visible else None

    qtbot.waitUntil(lambda: dialog() is not None, timeout=WAIT_MS)
    shown = dialog()
    assert shown is not None
    (cancel,) = [b for b in shown.findChildren(QPushButton) if b.text() == "Cancel"]
    with qtbot.waitSignal(page.configs.failed, timeout=WAIT_MS) as failed:
        cancel.click()
    assert failed.args == ["Generating was stopped; files already written are kept."]
    assert page.configs.generate_button.isEnabled()
