"""The views one at a time: the navigation list on the left, the open view beside it.

A view whose figures are old (the store changed) is stale; it reads the store again when it
is shown, or at once if it is the one open, so a change costs only the visible view's query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QStackedWidget, QWidget


class ViewStack(QWidget):
    """Named views, each with the function that reads its figures again."""

    def __init__(self, names: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.names = tuple(names)
        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.addItems(list(self.names))
        self.navigation.setFixedWidth(150)
        self.navigation.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.navigation.currentRowChanged.connect(self._on_navigation_row_changed)
        self.pages = QStackedWidget()
        self._refresh: list[Callable[[], object]] = []
        self._first_shown: dict[int, Callable[[], object]] = {}
        self.stale: set[int] = set()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 4, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.navigation)
        row.addWidget(self.pages, 1)

    def add(
        self,
        view: QWidget,
        refresh: Callable[[], object],
        first_shown: Callable[[], object] | None = None,
    ) -> None:
        """The next view, stale until first shown; `first_shown` is called before then."""
        number = self.pages.addWidget(view)
        self._refresh.append(refresh)
        self.stale.add(number)
        if first_shown is not None:
            self._first_shown[number] = first_shown

    def replace(self, number: int, view: QWidget) -> None:
        """Put `view` in the place of a placeholder, keeping the open view open."""
        current = self.pages.currentIndex()
        placeholder = self.pages.widget(number)
        if placeholder is not None:
            self.pages.removeWidget(placeholder)
        self.pages.insertWidget(number, view)
        self.pages.setCurrentIndex(current)

    def show_view(self, number: int) -> None:
        self.navigation.setCurrentRow(number)

    def current(self) -> int:
        return self.pages.currentIndex()

    def step(self, step: int) -> None:
        """The next (or previous) view, round the end."""
        self.show_view((self.current() + step) % self.pages.count())

    def mark_stale(self, number: int) -> None:
        """The view shows old figures: it reads them again now if open, else when next shown."""
        self.stale.add(number)
        if self.current() == number:
            self.refresh_if_stale(number)

    def mark_all_stale(self) -> None:
        """The store changed: every view is stale; the open one reloads now."""
        self.stale = set(range(self.pages.count()))
        self.refresh_if_stale(self.current())

    def refresh_if_stale(self, number: int) -> None:
        if number in self.stale:
            self.stale.discard(number)
            self._refresh[number]()

    def _on_navigation_row_changed(self, row: int) -> None:
        if row < 0:
            return
        first_shown = self._first_shown.pop(row, None)
        if first_shown is not None:
            first_shown()
        self.pages.setCurrentIndex(row)
        self.refresh_if_stale(row)
