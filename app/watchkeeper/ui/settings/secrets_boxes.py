"""The Receiving page's TLS certificate and HTTP token: the generated certificate's
fingerprint or the user's own files, and the token kept in the keyring."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QWidget,
)

from watchkeeper.collect.certificates import new_http_token
from watchkeeper.core.settings import Settings
from watchkeeper.ui.labels import plain_label
from watchkeeper.ui.settings.credentials import (
    Credentials,
    certificate_problem,
    colon_fingerprint,
)
from watchkeeper.ui.settings.page import ERROR_COLOUR, ask_first, mark, note

PEM_FILTER = "PEM files (*.pem *.crt *.cer *.key);;All files (*)"


def _copy(text: str) -> None:
    clipboard = QGuiApplication.clipboard()
    if clipboard is not None and text:
        clipboard.setText(text)


class TlsBox(QGroupBox):
    """Which certificate the TLS listeners present."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("TLS certificate", parent)
        self.generated = QRadioButton("Use the certificate Watchkeeper &made")
        self.own = QRadioButton("Use &my own certificate and key (PEM)")
        self.fingerprint_value = ""
        self.fingerprint = plain_label("Reading the certificate…")
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint.setToolTip("Senders check they reach this computer by this fingerprint")
        self.copy_fingerprint = QPushButton("Cop&y")
        self.copy_fingerprint.setToolTip("Copy the SHA-256 fingerprint, on one line")
        self.copy_fingerprint.clicked.connect(lambda: _copy(self.fingerprint_value))
        self.cert = QLineEdit()
        self.cert.setPlaceholderText("Certificate file")
        self.key = QLineEdit()
        self.key.setPlaceholderText("Private key file (empty: in the certificate file)")
        browse_cert = QPushButton("&Browse…")
        browse_cert.clicked.connect(lambda: self._browse(self.cert, "Choose the certificate"))
        browse_key = QPushButton("Bro&wse…")
        browse_key.clicked.connect(lambda: self._browse(self.key, "Choose the private key"))
        self._own_widgets = (self.cert, self.key, browse_cert, browse_key)
        grid = QGridLayout(self)
        grid.addWidget(self.generated, 0, 0, 1, 3)
        grid.addWidget(plain_label("SHA-256:"), 1, 0)
        grid.addWidget(self.fingerprint, 1, 1)
        grid.addWidget(self.copy_fingerprint, 1, 2, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.own, 2, 0, 1, 3)
        grid.addWidget(plain_label("Certificate:"), 3, 0)
        grid.addWidget(self.cert, 3, 1)
        grid.addWidget(browse_cert, 3, 2)
        grid.addWidget(plain_label("Key:"), 4, 0)
        grid.addWidget(self.key, 4, 1)
        grid.addWidget(browse_key, 4, 2)
        grid.setColumnStretch(1, 1)
        for signal in (self.own.toggled, self.cert.textChanged, self.key.textChanged):
            signal.connect(self._on_changed)

    def _browse(self, field: QLineEdit, title: str) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, title, field.text(), PEM_FILTER)
        if chosen:
            field.setText(chosen)

    def _on_changed(self) -> None:
        for widget in self._own_widgets:
            widget.setEnabled(self.own.isChecked())
        self.edited.emit()

    def show_fingerprint(self, credentials: Credentials) -> None:
        shown = colon_fingerprint(credentials.fingerprint) if credentials.fingerprint else ""
        self.fingerprint_value = shown
        if shown:  # two lines of 16 bytes, in a fixed-width font, to compare by eye
            self.fingerprint.setText(shown[:47] + "\n" + shown[48:])
            self.fingerprint.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            self.fingerprint.setStyleSheet("")
        else:
            self.fingerprint.setText(credentials.fingerprint_problem)
            self.fingerprint.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.copy_fingerprint.setEnabled(bool(shown))

    def load(self, settings: Settings) -> None:
        self.cert.setText(settings.tls_certificate)
        self.key.setText(settings.tls_key)
        (self.own if settings.tls_certificate else self.generated).setChecked(True)
        self._on_changed()

    def store(self, settings: Settings) -> None:
        own = self.own.isChecked()
        settings.tls_certificate = self.cert.text().strip() if own else ""
        settings.tls_key = self.key.text().strip() if own else ""

    def problems(self) -> list[str]:
        problem = None
        if self.own.isChecked():
            problem = certificate_problem(self.cert.text(), self.key.text()) or (
                None
                if self.cert.text().strip()
                else "Choose your certificate file, or use the certificate Watchkeeper made."
            )
        mark(self.cert, problem)
        return [problem] if problem else []


class TokenBox(QGroupBox):
    """The token HTTP senders present: shown masked, copied, replaced on OK."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("HTTP token (kept in the system keyring)", parent)
        self.new_token = ""  # made here, kept in the keyring when the dialog's OK is pressed
        self._kept = ""
        self.field = QLineEdit()
        self.field.setReadOnly(True)
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_button = QPushButton("S&how")
        self.show_button.setCheckable(True)
        self.show_button.toggled.connect(self._on_show_toggled)
        self.copy_button = QPushButton("Co&py")
        self.copy_button.clicked.connect(lambda: _copy(self.token()))
        self.rotate_button = QPushButton("&New token…")
        self.rotate_button.setToolTip("Replace the token; senders using the old one are refused")
        self.rotate_button.clicked.connect(self.ask_rotate)
        self.said = note("Reading the keyring…")
        row = QHBoxLayout()
        for widget in (self.field, self.show_button, self.copy_button, self.rotate_button):
            row.addWidget(widget, 1 if widget is self.field else 0)
        grid = QGridLayout(self)
        grid.addLayout(row, 0, 0)
        grid.addWidget(self.said, 1, 0)
        for button in (self.show_button, self.copy_button, self.rotate_button):
            button.setEnabled(False)

    def token(self) -> str:
        return self.new_token or self._kept

    def show_token(self, credentials: Credentials) -> None:
        self._kept = credentials.token
        self.field.setText(self.token())
        self.field.setCursorPosition(0)
        self.rotate_button.setEnabled(credentials.keyring_usable)
        for button in (self.show_button, self.copy_button):
            button.setEnabled(bool(self.token()))
        if credentials.token_problem:
            self.said.setText(credentials.token_problem)
            colour = "" if credentials.keyring_usable else f"color: {ERROR_COLOUR};"
            self.said.setStyleSheet(colour)
        else:
            self.said.setText("Senders put it in an Authorization: Bearer header.")

    def _on_show_toggled(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.field.setEchoMode(mode)
        self.show_button.setText("&Hide" if shown else "S&how")

    def ask_rotate(self) -> QMessageBox:
        """Ask first (without blocking): every HTTP sender must be given the new token."""
        return ask_first(
            self,
            "Make a new token?",
            "Senders still using the current token will be refused once you press OK, until "
            "they are given the new one. Make a new token?",
            "confirmNewToken",
            self.rotate,
        )

    def rotate(self) -> None:
        self.new_token = new_http_token()
        self.field.setText(self.new_token)
        self.field.setCursorPosition(0)
        for button in (self.show_button, self.copy_button):
            button.setEnabled(True)
        self.said.setStyleSheet("")
        self.said.setText(
            "A new token: it replaces the old one in the keyring when you press OK, and "
            "the listeners restart with it."
        )
