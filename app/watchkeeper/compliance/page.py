"""Loading and changing what the Devices view shows: plain functions the view runs on the
task runner, each returning what to show or a sentence saying what was done."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from watchkeeper.compliance import devices, exceptions, merging
from watchkeeper.compliance.checks import SOURCE_NAMES
from watchkeeper.compliance.devices import Device
from watchkeeper.compliance.evaluate import CheckResult, DeviceRow
from watchkeeper.compliance.exceptions import DeviceException
from watchkeeper.compliance.history import HistoryEntry, device_history
from watchkeeper.compliance.lines import CheckCell, DeviceLine, check_title, status_rank
from watchkeeper.compliance.policy import load_policy
from watchkeeper.compliance.report import compliance_report
from watchkeeper.compliance.stored import record_key
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.printable import printable
from watchkeeper.core.progress import Progress
from watchkeeper.core.settings import Settings
from watchkeeper.storage.store import Store


@dataclass(frozen=True)
class DevicesPage:
    """One load of the view: every device judged, the policy's checks in order, a remark."""

    lines: list[DeviceLine]
    checks: list[str]
    titles: dict[str, tuple[str, str]] = field(default_factory=dict)  # (heading, title)
    note: str = ""


@dataclass(frozen=True)
class RecordEntry:
    """One source's record merged into a device."""

    record_key: str
    source: str
    name: str
    source_label: str
    location: str
    observed: datetime | None


@dataclass
class DeviceDetails:
    """What the device page shows beyond the row: history, records, exceptions."""

    history: list[HistoryEntry]
    records: list[RecordEntry]
    exceptions: list[DeviceException]
    other_devices: dict[str, str]  # another device's label -> its device id
    checks: list[str] = field(default_factory=list)
    history_note: str = ""


def add_device_exception(
    store: Store, line: DeviceLine, check: str, reason: str, expires: datetime, now: datetime
) -> str:
    """Let a device off a check until `expires`; a sentence saying so."""
    added = exceptions.add_exception(store, _device(line), check, reason, expires, now=now)
    return (
        f"{check_title(added.check)} is excepted on {printable(line.name)} until "
        f"{added.expires:%Y-%m-%d %H:%M} UTC."
    )


def _device(line: DeviceLine) -> Device:
    if not isinstance(line.original, DeviceRow):
        raise WatchkeeperError(
            "This device is no longer in the store; refresh the Devices view and try again."
        )
    return line.original.device


def remove_device_exception(store: Store, exception_id: int) -> str:
    removed = exceptions.remove_exception(store, exception_id)
    return "Exception removed." if removed else "That exception was already gone."


def split_record(store: Store, record_key: str, now: datetime) -> str:
    """One record of a device is another device: it stands alone from now on."""
    merging.split_record(store, record_key, now=now)
    return "The record now stands as a device of its own."


def merge_into(store: Store, device_id: str, into_id: str, now: datetime) -> str:
    """Every record of one device belongs to another: they become one device."""
    found = {device.device_id: device for device in devices.merged_devices(store)}
    device, into = found.get(device_id), found.get(into_id)
    if device is None or into is None:
        raise WatchkeeperError(
            "One of the two devices is no longer in the store; "
            "refresh the Devices view and try again."
        )
    merging.merge_devices(store, device, into, now=now)
    return f"{printable(device.name)} is merged into {printable(into.name)}."


def load_page(
    store: Store, settings: Settings, now: datetime, progress: Progress | None = None
) -> DevicesPage:
    """Every device judged against the policy as of `now`, worst first."""
    report = compliance_report(
        store, load_policy(None, settings.compliance_thresholds), now, progress
    )
    enabled = report.checks
    titles = {check.name: (check.column, check.title) for check in enabled}
    lines = sorted(
        (line_of(row) for row in report.rows),
        key=lambda line: (status_rank(line.status), line.name.casefold()),
    )
    return DevicesPage(lines, [check.name for check in enabled], titles, " · ".join(report.notes))


def line_of(row: DeviceRow) -> DeviceLine:
    """What the table shows of one judged device."""
    cells = {
        name: CheckCell(
            result.status,
            _reason(result),
            result.evidence or "",
            SOURCE_NAMES.get(result.source or "", result.source or ""),
            result.observed,
        )
        for name, result in row.checks.items()
    }
    return DeviceLine(
        row.device_id,
        row.name,
        row.platform,
        row.owner or "",
        tuple(row.sources),
        row.last_seen,
        cells,
        row.overall,
        tuple(row.host_names),
        row,
    )


def _reason(result: CheckResult) -> str:
    exception = result.exception
    if exception is None:
        return result.reason
    return (
        f"{result.reason} Excepted until {exception.expires:%Y-%m-%d} "
        f"(by {exception.created_by}: {exception.reason})."
    )


def load_details(store: Store, line: DeviceLine, progress: Progress | None = None) -> DeviceDetails:
    """The device page's records, exceptions and history, read fresh from the store."""
    if progress is not None:
        progress.update(stage="Reading the device")
    device = _device(line)
    records = [
        RecordEntry(
            record_key(record),
            record.source,
            record.name,
            record.source_label,
            record.location,
            record.observed,
        )
        for record in device.records
    ]
    return DeviceDetails(
        device_history(store, device),
        records,
        exceptions.exceptions(store, line.device_id),
        {},
        list(line.checks),
    )
