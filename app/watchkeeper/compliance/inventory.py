"""Reading a device inventory file, whichever tool wrote it, into device records.

The file is recognised by its content, not its name: JSON lines are an osquery results
log; anything else is read as a spreadsheet export, and its header row says which tool
wrote it (Intune, Google Workspace, Jamf Pro computers or mobile devices).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from pathlib import Path

from watchkeeper.compliance.model import (
    SOURCE_OSQUERY,
    DeviceRecord,
    ImportProblem,
    InventoryError,
    InventoryResult,
)
from watchkeeper.compliance.sources.dates import LANGUAGE_NAMES, settle_order
from watchkeeper.compliance.sources.export import ExportFile, ExportProfile, Row, choose_profile
from watchkeeper.compliance.sources.google import GOOGLE
from watchkeeper.compliance.sources.intune import INTUNE
from watchkeeper.compliance.sources.jamf import JAMF_COMPUTERS, JAMF_MOBILE
from watchkeeper.compliance.sources.osquery_facts import QUERIES, host_record
from watchkeeper.compliance.sources.osquery_log import read_results_log
from watchkeeper.compliance.sources.table import decode, read_table

PROFILES: tuple[ExportProfile, ...] = (INTUNE, GOOGLE, JAMF_COMPUTERS, JAMF_MOBILE)
MAX_SIZE = 256 * 1024 * 1024  # an export of thousands of devices is a few megabytes


def read_inventory(path: Path, *, zone: tzinfo = UTC) -> InventoryResult:
    """The devices in an inventory file; InventoryError when none can be read.

    `zone` is where times without a zone are put (Intune and Jamf write them in UTC).
    """
    try:
        size = path.stat().st_size
        if size > MAX_SIZE:
            raise InventoryError(
                f"{path.name}: too large for a device inventory ({size // (1024 * 1024)} MB)"
            )
        data = path.read_bytes()
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError as error:
        raise InventoryError(
            f"{path.name}: could not be read ({error.strerror or error})"
        ) from error
    return read_inventory_bytes(path.name, data, modified, zone=zone)


def read_inventory_bytes(
    label: str, data: bytes, exported: datetime, *, zone: tzinfo = UTC
) -> InventoryResult:
    """The devices in an inventory's bytes; `exported` (UTC) is the file's own time."""
    text, encoding = decode(data, label)
    if text.lstrip()[:1] in ("{", "["):
        return _osquery(text, label, exported)
    return _spreadsheet(text, encoding, label, exported, zone)


def _osquery(text: str, label: str, exported: datetime) -> InventoryResult:
    if text.lstrip()[:1] == "[":
        raise InventoryError(
            f"{label}: not an inventory Watchkeeper knows: a JSON array, "
            "where an osquery results log has one JSON object per line"
        )
    reading = read_results_log(text, label, QUERIES, exported)
    records = [host_record(host, label) for host in reading.hosts.values()]
    notes = [
        f"Read as an osquery results log: {len(records)} host" + ("s" if len(records) != 1 else ""),
        *reading.notes,
    ]
    return InventoryResult(records, SOURCE_OSQUERY, reading.problems, notes)


def _spreadsheet(
    text: str, encoding: str, label: str, exported: datetime, zone: tzinfo
) -> InventoryResult:
    table = read_table(text, encoding, label)
    match = choose_profile(table.header, PROFILES, label)
    profile = match.profile
    dates = [
        (number, cells[match.indexes[key]])
        for number, cells in table.rows
        for key in profile.dates
        if key in match.indexes
    ]
    order = settle_order(dates, match.language)
    export = ExportFile(
        label, match, table.header, order, zone, exported, problems=list(table.problems)
    )
    records: list[DeviceRecord] = []
    for number, cells in table.rows:
        record = profile.build(Row(number, cells, export))
        if record is not None:
            records.append(record)
    export.report_unread()
    if not table.rows:
        export.problems.append(
            ImportProblem(
                "No devices", f"{label}: the file has a header row but no devices under it"
            )
        )
    article = "an" if profile.label[:1] in "AEIOU" else "a"
    notes = [f"Read as {article} {profile.label} ({table.how})"]
    if match.language is not None:
        notes.append(f"Headers in {LANGUAGE_NAMES.get(match.language, match.language)}")
    if order.seen:
        notes.append(f"Dates read as {order.shape}: {order.reason}")
    if "serial" not in match.indexes:
        notes.append(
            "The file has no serial number column, so its devices can be matched "
            "with other sources by name only"
        )
    return InventoryResult(records, profile.source, export.problems, notes)
