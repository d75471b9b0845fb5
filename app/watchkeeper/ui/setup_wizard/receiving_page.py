"""Step 3, Set up receiving: how this computer receives what the devices send.

Network listening, the address endpoints use, the listeners and ports, the certificate's
fingerprint and the HTTP token, the collector as a service, the firewall rule, and the
configuration files for every planned platform. Choices go into the draft plan.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from watchkeeper.core import paths
from watchkeeper.setup.endpoint import this_host
from watchkeeper.setup.listening import (
    ReceivingSecrets,
    address_problem,
    receiving_secrets,
    recommended_listeners,
)
from watchkeeper.ui.labels import plain_label
from watchkeeper.ui.setup_wizard.config_box import ConfigBox
from watchkeeper.ui.setup_wizard.context import WizardContext
from watchkeeper.ui.setup_wizard.listeners_box import ERROR_STYLE, ListenersBox
from watchkeeper.ui.setup_wizard.service_box import FirewallBox, ServiceBox, sentence_of


class ReceivingPage(QWizardPage):
    """The third step; `secrets_shown` fires once the fingerprint and token are read."""

    secrets_shown = Signal()

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.secrets = ReceivingSecrets()
        self.setTitle("Set up receiving")
        self.setSubTitle(
            "How this computer receives the logs your devices send, and the files that "
            "make them send. Next starts receiving on the ports chosen here."
        )
        receiving = context.draft.receiving
        # a plan that never chose listeners gets the ones its devices send to, recommended
        # again each time the page opens until the user changes them (initializePage)
        self._recommending = not receiving.listeners
        self._filling = False
        self.listeners = ListenersBox(
            dict(receiving.listeners) or recommended_listeners(context.draft)
        )
        db = context.store.path if context.store is not None else paths.default_db_path()
        self.service = ServiceBox(context.runner, db)
        self.firewall = FirewallBox(context.runner, self.service.executable[0])
        self.configs = ConfigBox(context)
        left = QVBoxLayout()
        left.addWidget(self._network_box(receiving.listen_on_network, receiving.collector_address))
        left.addWidget(self.listeners)
        left.addWidget(self._secrets_box())
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.service)
        right.addWidget(self.firewall)
        right.addWidget(self.configs, 1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        inner = QWidget()
        inner.setLayout(columns)
        scroll = QScrollArea()
        scroll.setWidget(inner)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.listeners.changed.connect(self._on_listeners_edited)
        self.listen.toggled.connect(self._on_edit)
        self.address.textChanged.connect(self._on_edit)
        self._on_edit()

    # building -----------------------------------------------------------------------------

    def _network_box(self, on_network: bool, address: str) -> QGroupBox:
        box = QGroupBox("Network")
        form = QFormLayout(box)
        self.listen = QCheckBox("&Listen on the network")
        self.listen.setChecked(on_network)
        form.addRow(self.listen)
        form.addRow(
            plain_label(
                "On: other computers and devices can send their logs here. Off: the "
                "collector hears only this computer.",
                muted=True,
            )
        )
        self.address = QLineEdit(address or this_host())
        self.address.setMaxLength(253)
        self.address.setToolTip("The name or address other devices reach this computer by")
        form.addRow("Collector &address:", self.address)
        self.address_problem = plain_label()
        self.address_problem.setStyleSheet(ERROR_STYLE)
        form.addRow(self.address_problem)
        return box

    def _secrets_box(self) -> QGroupBox:
        box = QGroupBox("Certificate and token")
        form = QFormLayout(box)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        # 64 hex digits on two lines, selectable; Copy copies them as one
        self.fingerprint = plain_label("Reading the certificate…")
        self.fingerprint.setFont(fixed)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_fingerprint = QPushButton("&Copy")
        self.copy_fingerprint.setToolTip("Copy the certificate's SHA-256 fingerprint")
        self.copy_fingerprint.clicked.connect(self._on_copy_fingerprint_clicked)
        form.addRow("TLS certificate (SHA-256):", _row(self.fingerprint, self.copy_fingerprint))
        self.token = QLineEdit()
        self.token.setReadOnly(True)
        self.token.setFont(fixed)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("Reading the keyring…")
        self.show_token = QPushButton("S&how")
        self.show_token.setCheckable(True)
        self.show_token.toggled.connect(self._on_show_token_toggled)
        self.copy_token = QPushButton("Cop&y")
        self.copy_token.setToolTip("Copy the HTTP token senders must present")
        self.copy_token.clicked.connect(self._on_copy_token_clicked)
        form.addRow("HTTP token:", _row(self.token, self.show_token, self.copy_token))
        self.secrets_note = plain_label(
            "Senders check the fingerprint; the token is kept only in this computer's keyring.",
            muted=True,
        )
        form.addRow(self.secrets_note)
        return box

    # QWizardPage ----------------------------------------------------------------------------

    def initializePage(self) -> None:
        context = self.context
        if self._recommending:  # the devices counted in step 1 may have changed
            self._filling = True
            try:
                self.listeners.show_ports(recommended_listeners(context.draft))
            finally:
                self._filling = False
            self._on_edit()
        now = context.clock()
        context.runner.run(
            lambda _progress: receiving_secrets(context.settings, context.tls_folder, now),
            owner=self,
            title="Reading the certificate and token",
            dialog=False,
            quiet=True,
            on_success=self._show_secrets,
            on_error=lambda error: self._show_secrets(
                ReceivingSecrets(fingerprint_problem=sentence_of(error, "Reading the certificate"))
            ),
        )
        self.service.refresh()

    def isComplete(self) -> bool:
        return not self.problems()

    def problems(self) -> list[str]:
        """What keeps the user from going on, one sentence each."""
        problem = address_problem(self.address.text(), self.listen.isChecked())
        return self.listeners.problems() + ([problem] if problem else [])

    # slots ----------------------------------------------------------------------------------

    def _on_listeners_edited(self) -> None:
        if not self._filling:
            self._recommending = False  # the user's choice from now on
        self._on_edit()

    def _on_edit(self) -> None:
        receiving = self.context.draft.receiving
        receiving.listen_on_network = self.listen.isChecked()
        receiving.collector_address = self.address.text().strip()
        receiving.listeners = self.listeners.ports()
        problem = address_problem(self.address.text(), self.listen.isChecked())
        self.address_problem.setText(problem or "")
        self.address_problem.setVisible(bool(problem))
        self.firewall.show_for(receiving.listeners, receiving.listen_on_network)
        self.completeChanged.emit()

    def _show_secrets(self, secrets: ReceivingSecrets) -> None:
        self.secrets = secrets
        half = len(secrets.fingerprint) // 2
        shown = f"{secrets.fingerprint[:half]}\n{secrets.fingerprint[half:]}"
        self.fingerprint.setText(shown if secrets.fingerprint else "No certificate")
        self.fingerprint.setToolTip(secrets.fingerprint_problem or secrets.fingerprint)
        self.copy_fingerprint.setEnabled(bool(secrets.fingerprint))
        self.token.setText(secrets.token)
        self.token.setPlaceholderText("No token" if secrets.token_problem else "")
        self.show_token.setEnabled(bool(secrets.token))
        self.copy_token.setEnabled(bool(secrets.token))
        problems = [p for p in (secrets.fingerprint_problem, secrets.token_problem) if p]
        if problems:
            self.secrets_note.setText(" ".join(dict.fromkeys(problems)))
            self.secrets_note.setStyleSheet(ERROR_STYLE)
        self.secrets_shown.emit()

    def _on_copy_fingerprint_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.secrets.fingerprint)

    def _on_copy_token_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.secrets.token)

    def _on_show_token_toggled(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.token.setEchoMode(mode)
        self.show_token.setText("&Hide" if shown else "S&how")


def _row(*widgets: QWidget) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for number, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if number == 0 else 0)
    layout.setAlignment(Qt.AlignmentFlag.AlignVCenter)
    return row
