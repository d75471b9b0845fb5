"""This computer's part of receiving: the collector as a service, and the firewall rule."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.setup import firewall
from watchkeeper.setup.firewall import FirewallError, FirewallRule, firewall_rule
from watchkeeper.setup.service import (
    ServiceError,
    ServiceStatus,
    app_command,
    current_system,
    install,
    launch_environment,
    remove,
    service_setup,
    status,
)
from watchkeeper.setup.service_definitions import ServiceSetup
from watchkeeper.ui.labels import plain_label
from watchkeeper.ui.tasks import TaskRunner


def sentence_of(error: BaseException, doing: str) -> str:
    """An error as one sentence for the page (a WatchkeeperError's own, else what failed)."""
    if isinstance(error, WatchkeeperError):
        return error.message
    return f"{doing} failed: {error}."


class ServiceBox(QGroupBox):
    """Install or remove the collector service, and what it is doing; tests swap `run`."""

    status_shown = Signal(str)

    def __init__(self, runner: TaskRunner, db: Path, parent: QWidget | None = None) -> None:
        super().__init__("Receive while Watchkeeper is closed", parent)
        self._runner = runner
        self.db = db
        self.system = current_system()
        self.home = Path.home()
        self.executable = app_command()
        self.environment = launch_environment()
        self.run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "Run the collector as a service on this computer, so devices can send while "
                "the window is closed. The window loads what it received when it opens.",
                muted=True,
            )
        )
        self.state = plain_label("Checking the collector service…")
        layout.addWidget(self.state)
        buttons = QHBoxLayout()
        self.install_button = QPushButton("&Install service")
        self.remove_button = QPushButton("Re&move service")
        self.install_button.clicked.connect(self._on_install_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        buttons.addWidget(self.install_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.said = plain_label()
        self.said.setVisible(False)
        layout.addWidget(self.said)

    def setup(self) -> ServiceSetup:
        return service_setup(
            self.system, self.executable, self.db, self.home, environment=self.environment
        )

    def refresh(self) -> None:
        try:
            setup = self.setup()
        except ServiceError as error:
            self._show_status(ServiceStatus(False, False, error.message))
            return
        self._runner.run(
            lambda _progress: status(setup, self.db, self.run),
            owner=self,
            title="Checking the collector service",
            dialog=False,
            quiet=True,
            on_success=self._show_status,
            on_error=lambda error: self._show_said([sentence_of(error, "Checking the service")]),
        )

    def _show_status(self, current: ServiceStatus) -> None:
        self.state.setText(current.sentence)
        self.remove_button.setEnabled(current.installed)
        self.install_button.setText(
            "Re&install service" if current.installed else "&Install service"
        )
        self.status_shown.emit(current.sentence)

    def _on_install_clicked(self) -> None:
        self._change(install, "Installing the collector service")

    def _on_remove_clicked(self) -> None:
        self._change(remove, "Removing the collector service")

    def _change(self, action: Callable[..., list[str]], title: str) -> None:
        try:
            setup = self.setup()
        except ServiceError as error:
            self._show_said([error.message])
            return
        self.install_button.setEnabled(False)
        self.remove_button.setEnabled(False)
        self._runner.run(
            lambda _progress: action(setup, self.run),
            owner=self,
            title=title,
            on_success=self._show_said,
            on_error=lambda error: self._show_said([sentence_of(error, title)]),
        )

    def _show_said(self, said: list[str]) -> None:
        self.install_button.setEnabled(True)
        self.said.setText("\n".join(said))
        self.said.setVisible(True)
        self.refresh()


class FirewallBox(QGroupBox):
    """The commands that let senders through this computer's firewall, to copy or run."""

    ran = Signal(str)

    def __init__(self, runner: TaskRunner, program: str, parent: QWidget | None = None) -> None:
        super().__init__("Firewall", parent)
        self._runner = runner
        self.program = program
        self.system = current_system()
        self.which: Callable[[str], str | None] = shutil.which
        self.run: Callable[..., Any] = subprocess.run
        self.rule: FirewallRule | None = None
        layout = QVBoxLayout(self)
        self.sentence = plain_label()
        layout.addWidget(self.sentence)
        self.commands = QPlainTextEdit()
        self.commands.setReadOnly(True)
        self.commands.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.commands.setMaximumHeight(96)
        self.commands.setAccessibleName("Firewall commands")
        layout.addWidget(self.commands)
        buttons = QHBoxLayout()
        self.copy_button = QPushButton("Copy c&ommands")
        self.copy_button.clicked.connect(self._on_copy_clicked)
        self.run_button = QPushButton("Run as a&dministrator…")
        self.run_button.setToolTip("Runs them through pkexec, which asks for the password")
        self.run_button.clicked.connect(self._on_run_clicked)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.run_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.result = plain_label()
        self.result.setVisible(False)
        layout.addWidget(self.result)

    def show_for(self, ports: dict[str, int], on_network: bool) -> None:
        """The rule for these listeners; none is needed while only this computer may send."""
        try:
            self.rule = firewall_rule(ports, self.system, which=self.which, program=self.program)
        except FirewallError as error:
            self.rule = None
            self.sentence.setText(error.message)
        else:
            self.sentence.setText(self.rule.sentence)
            if not on_network:
                self.sentence.setText(
                    "Network listening is off, so no firewall rule is needed yet; when you "
                    "turn it on, these commands let senders in. " + self.rule.sentence
                )
        text = self.rule.text if self.rule else ""
        self.commands.setPlainText(text)
        self.commands.setVisible(bool(text))
        self.copy_button.setEnabled(bool(text))
        self.run_button.setVisible(bool(self.rule and self.rule.runnable))

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.commands.toPlainText())
        self._show_result("The commands are copied.")

    def _on_run_clicked(self) -> None:
        rule = self.rule
        if rule is None:
            return
        self.run_button.setEnabled(False)
        self._runner.run(
            lambda _progress: firewall.run_rule(rule, self.run),
            owner=self,
            title="Changing the firewall",
            on_success=self._show_result,
            on_error=lambda error: self._show_result(sentence_of(error, "Changing the firewall")),
        )

    def _show_result(self, sentence: str) -> None:
        self.run_button.setEnabled(True)
        self.result.setText(sentence)
        self.result.setVisible(True)
        self.ran.emit(sentence)
