"""What an import did: each file's outcome, and the totals the CLI and the window show."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FileResult:
    """What happened to one file: imported, skipped (and why), failed (and why), cancelled."""

    name: str
    status: str
    format: str | None = None
    records: int = 0
    events: int = 0
    duplicates: int = 0
    quarantined: int = 0
    message: str = ""
    seconds: float = 0.0
    import_id: int | None = None


@dataclass
class ImportSummary:
    files: list[FileResult] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0
    disk_full: str = ""  # the import stopped at a full disk: the sentence that says so
    paused: bool = False  # ... or the disk guard stopped it before the disk was full

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def events(self) -> int:
        return sum(f.events for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)
