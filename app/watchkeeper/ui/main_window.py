"""The main window: for now, what the store holds, by source, host and import."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QLabel,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.storage.queries import Overview, overview
from watchkeeper.storage.store import Store


def _table(headers: list[str], rows: list[tuple[object, ...]]) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            text = f"{value:,}" if isinstance(value, int) else str(value)
            item = QTableWidgetItem(text)  # plain text: event text is never rich text
            if isinstance(value, int):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    table.horizontalHeader().setStretchLastSection(True)
    table.resizeColumnsToContents()
    return table


class MainWindow(QMainWindow):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self._store = store
        self.setWindowTitle(f"Watchkeeper — {store.path.name}")
        self.resize(1100, 720)
        self.show_overview(overview(store))

    def show_overview(self, info: Overview) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        heading = QLabel()
        heading.setTextFormat(Qt.TextFormat.PlainText)
        span = (f" from {info.first:%Y-%m-%d %H:%M} to {info.last:%Y-%m-%d %H:%M} UTC"
                if info.first and info.last else "")
        heading.setText(f"{info.events:,} events{span}\n{info.quarantined:,} quarantined records · "
                        f"store {info.size_bytes / 1e6:,.1f} MB · {self._store.path}")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        heading.setFont(font)
        layout.addWidget(heading)
        if not info.events:
            hint = QLabel("The store is empty. Import logs with  watchkeeper import PATH  or load "
                          "the demo office with  watchkeeper demo.")
            hint.setTextFormat(Qt.TextFormat.PlainText)
            hint.setWordWrap(True)
            layout.addWidget(hint)
        grid = QGridLayout()
        for column, (title, headers, rows) in enumerate((
            ("By source", ["Source", "Events"], info.by_source),
            ("Busiest hosts", ["Host", "Events"], info.by_host),
            ("By day (UTC)", ["Day", "Events"], info.by_day[-31:]),
        )):
            box = QGroupBox(title)
            inner = QVBoxLayout(box)
            inner.addWidget(_table(headers, list(rows)))
            grid.addWidget(box, 0, column)
        box = QGroupBox("Latest imports")
        inner = QVBoxLayout(box)
        inner.addWidget(_table(
            ["#", "Status", "Events", "Duplicates", "Quarantined", "File"],
            [(e.id, e.status, e.events, e.duplicates, e.quarantined, e.path) for e in info.imports]))
        grid.addWidget(box, 1, 0, 1, 3)
        grid.setRowStretch(0, 1)
        grid.setRowStretch(1, 1)
        layout.addLayout(grid)
        self.setCentralWidget(central)
        self.statusBar().showMessage(f"{info.events:,} events · {info.size_bytes / 1e6:,.1f} MB")
