"""The first page of an empty store: three ways to begin."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


class WelcomePage(QWidget):
    import_requested = Signal()
    demo_requested = Signal()
    forwarding_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = QLabel("Welcome to Watchkeeper")
        heading.setObjectName("heading")
        intro = QLabel(
            "Your store is empty. Bring in logs to see what happened on your "
            "computers and servers. Drag files or folders onto this window at any "
            "time."
        )
        intro.setWordWrap(True)
        self.import_button = QPushButton(
            "Import log files…\nEvent logs (.evtx), syslog, journald, auditd, JSON, CSV, or a .zip"
        )
        self.forward_button = QPushButton(
            "Set up logging\nChoose what to log, and have your servers and PCs send it here"
        )
        self.forward_button.setToolTip("Open the four-step logging setup wizard")
        self.demo_button = QPushButton(
            "Load demo data\nA generated small office with a few attacks hidden in it"
        )
        for button in (self.import_button, self.forward_button, self.demo_button):
            button.setObjectName("choice")
            button.setMinimumHeight(64)
        self.import_button.clicked.connect(self.import_requested)
        self.forward_button.clicked.connect(self.forwarding_requested)
        self.demo_button.clicked.connect(self.demo_requested)
        column = QVBoxLayout()
        column.setSpacing(12)
        column.addWidget(heading)
        column.addWidget(intro)
        column.addSpacing(8)
        column.addWidget(self.import_button)
        column.addWidget(self.forward_button)
        column.addWidget(self.demo_button)
        column.addStretch(1)
        holder = QWidget()
        holder.setLayout(column)
        holder.setMaximumWidth(640)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 40, 40, 40)
        layout.addWidget(holder, 0, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
