"""What every spreadsheet export reader shares: finding columns by their many header names,
telling which tool wrote the file, and turning cells into facts with their evidence."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from watchkeeper.compliance.model import (
    MDM_LAST_CHECKIN,
    DeviceRecord,
    Fact,
    FactValue,
    ImportProblem,
    InventoryError,
)
from watchkeeper.compliance.sources.dates import DateOrder, read_date
from watchkeeper.compliance.sources.values import NO, UNKNOWN, YES, flag, serial_or_none, shown

NAME = "name"  # the column key every profile needs


def header_key(text: str) -> str:
    """A header as compared: case, accents' forms, spaces and punctuation do not matter.

    "FileVault 2 - Status", "FileVault 2 Status" and "filevault2status" are one header.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in folded if char.isalnum())


@dataclass(frozen=True)
class Column:
    """A column a reader wants, under every header the tool has given it, per language."""

    key: str
    aliases: Mapping[str, tuple[str, ...]]  # language ("en", "de", "fr") -> header texts

    def keys(self) -> dict[str, set[str]]:
        """Header key -> the languages that use it."""
        found: dict[str, set[str]] = {}
        for language, texts in self.aliases.items():
            for text in texts:
                found.setdefault(header_key(text), set()).add(language)
        return found

    def first_aliases(self) -> list[str]:
        return [texts[0] for texts in self.aliases.values() if texts]


@dataclass(frozen=True)
class ExportProfile:
    """One tool's export: its columns, the ones only it writes, and how a row becomes a record."""

    source: str
    label: str  # as evidence names it: "Intune export"
    tool: str  # as messages name it: "Intune"
    columns: tuple[Column, ...]
    signature: tuple[str, ...]  # column keys only this tool writes, the telling ones first
    build: Callable[[Row], DeviceRecord | None]
    dates: frozenset[str] = frozenset()  # column keys holding dates, for settling d/m order


@dataclass
class Match:
    profile: ExportProfile
    indexes: dict[str, int]  # column key -> position in the header
    language: str | None
    signature_hits: int


def match_profile(header: list[str], profile: ExportProfile) -> Match:
    keys = [header_key(cell) for cell in header]
    indexes: dict[str, int] = {}
    votes: Counter[str] = Counter()
    for column in profile.columns:
        known = column.keys()
        for position, key in enumerate(keys):
            if key in known and position not in indexes.values():
                indexes[column.key] = position
                if len(known[key]) == 1:
                    votes[next(iter(known[key]))] += 1
                break
    language = votes.most_common(1)[0][0] if votes else None
    return Match(profile, indexes, language, len(set(profile.signature) & indexes.keys()))


def choose_profile(header: list[str], profiles: tuple[ExportProfile, ...], label: str) -> Match:
    """The tool whose columns the header has; InventoryError naming what is missing."""
    matches = [match_profile(header, profile) for profile in profiles]
    best = max(matches, key=lambda m: (m.signature_hits, len(m.indexes)))
    if NAME not in best.indexes and (
        best.signature_hits or not any(NAME in m.indexes for m in matches)
    ):
        names: list[str] = []
        for profile in profiles:
            for column in profile.columns:
                if column.key == NAME:
                    names += [alias for alias in column.first_aliases() if alias not in names]
        raise InventoryError(
            f"{label}: not an export Watchkeeper knows: no column for the "
            f"device name (looked for {', '.join(names)})"
        )
    if best.signature_hits == 0:
        wanted = []
        for profile in profiles:
            by_key = {column.key: column for column in profile.columns}
            texts = [by_key[key].first_aliases()[0] for key in profile.signature[:3]]
            wanted.append(f"{' or '.join(texts)} ({profile.tool})")
        raise InventoryError(
            f"{label}: not an export Watchkeeper knows: no column that only "
            f"an MDM export has (looked for {'; '.join(wanted)})"
        )
    return best


@dataclass
class ExportFile:
    """One file being read: where evidence points, how its dates read, what went wrong."""

    label: str  # the file name
    match: Match
    header: list[str]
    order: DateOrder
    zone: tzinfo
    exported: datetime  # the file's own time, for records whose row gives none
    problems: list[ImportProblem] = field(default_factory=list)
    _unread: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def not_understood(self, key: str, row: int, raw: str) -> None:
        self._unread.setdefault(key, []).append((row, raw))

    def report_unread(self) -> None:
        """One problem per column whose values were not understood, not one per cell."""
        for key, cells in self._unread.items():
            column = self.header[self.match.indexes[key]]
            row, raw = cells[0]
            count = f"{len(cells)} value" + ("s" if len(cells) > 1 else "")
            self.problems.append(
                ImportProblem(
                    "Values not understood",
                    f'{self.label}: column "{column}" has {count} Watchkeeper does not understand '
                    f"(the first is {shown(raw)} in row {row}); those devices show it as unknown",
                )
            )


class Row:
    """One row of an export, read cell by cell into facts that say where they came from."""

    def __init__(self, number: int, cells: list[str], file: ExportFile) -> None:
        self.number = number
        self.cells = cells
        self.file = file
        self.observed = file.exported
        self.facts: dict[str, Fact] = {}

    @property
    def location(self) -> str:
        return f"row {self.number}"

    def text(self, key: str) -> str | None:
        """The cell's text as written, or None when the column is absent or the cell empty."""
        position = self.file.match.indexes.get(key)
        if position is None or not self.cells[position].strip():
            return None
        return self.cells[position]

    def first_text(self, *keys: str) -> str | None:
        return next((text for key in keys if (text := self.text(key)) is not None), None)

    def evidence(self, key: str, reading: str = "") -> str:
        position = self.file.match.indexes[key]
        sentence = (
            f"{self.file.match.profile.label} {self.file.label}, row {self.number}, "
            f'column "{self.file.header[position]}" = {shown(self.cells[position])}'
        )
        return f"{sentence} ({reading})" if reading else sentence

    def identity(self) -> tuple[str, str | None] | None:
        """The device's name (its serial when it has none) and serial; None, and the row
        counted as skipped, when it has neither."""
        name = self.text("name")
        serial = serial_or_none(self.text("serial"))
        if name is None and serial is None:
            self.skipped()
            return None
        return (name if name is not None else serial or ""), serial

    def check_in(self, *keys: str) -> None:
        """The MDM check-in from the first of `keys` the row has; it is also when seen."""
        for key in keys:
            stamp = self.put_time(MDM_LAST_CHECKIN, key)
            if stamp is not None:
                self.observed = stamp
                return

    def put(self, name: str, value: FactValue, key: str, reading: str = "") -> None:
        self.facts[name] = Fact(value, self.evidence(key, reading), self.observed)

    def flag(
        self,
        key: str,
        yes: frozenset[str] = YES,
        no: frozenset[str] = NO,
        unknown: frozenset[str] = UNKNOWN,
    ) -> bool | None:
        """True or False from a yes/no cell; None when empty, unknown or not understood."""
        text = self.text(key)
        if text is None:
            return None
        try:
            return flag(text, yes, no, unknown)
        except ValueError:
            self.file.not_understood(key, self.number, text)
            return None

    def put_flag(
        self,
        name: str,
        key: str,
        yes: frozenset[str] = YES,
        no: frozenset[str] = NO,
        unknown: frozenset[str] = UNKNOWN,
    ) -> None:
        """Fact `name` from a yes/no column."""
        value = self.flag(key, yes, no, unknown)
        if value is not None:
            self.put(name, value, key)

    def time(self, key: str) -> tuple[datetime, str] | None:
        text = self.text(key)
        if text is None:
            return None
        read = read_date(text, self.file.order, self.file.zone)
        if read is None:
            self.file.not_understood(key, self.number, text)
        return read

    def put_time(self, name: str, key: str) -> datetime | None:
        read = self.time(key)
        if read is None:
            return None
        stamp, how = read
        self.facts[name] = Fact(stamp, self.evidence(key, f"read as {how}"), stamp)
        return stamp

    def skipped(self) -> None:
        self.file.problems.append(
            ImportProblem(
                "Row skipped",
                f"{self.file.label}: row {self.number} has no device name or serial number, "
                "so it was skipped",
            )
        )
