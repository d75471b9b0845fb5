"""Errors that carry a title and one sentence for the user."""

from __future__ import annotations


class WatchkeeperError(Exception):
    """An error a user can read: a short title and one sentence saying what went wrong."""

    title = "Something went wrong"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class ImportFailed(WatchkeeperError):
    title = "File not imported"


class CollectError(WatchkeeperError):
    """The collector's listeners cannot start or cannot do what was asked of them."""

    title = "Listener not started"


class StoreError(WatchkeeperError):
    title = "Database problem"


class StoreReadOnly(StoreError):
    """The store can be opened only for reading: a command that writes cannot run."""

    title = "Store is read-only"


class SettingsError(WatchkeeperError):
    title = "Settings not saved"


class FilterSyntaxError(WatchkeeperError):
    """A filter that does not parse; `position` is the 0-based offset of the problem."""

    title = "Filter not understood"

    def __init__(self, message: str, *, position: int, text: str) -> None:
        super().__init__(message)
        self.position = position
        self.text = text

    def pointer(self) -> str:
        """The filter with a caret under the problem, for a terminal."""
        return f"{self.text}\n{' ' * self.position}^"


class Cancelled(WatchkeeperError):
    title = "Cancelled"
