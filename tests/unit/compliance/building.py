"""Building devices for the compliance tests: records saved as an import would save them,
and Windows events imported as NXLog JSON lines, the way a forwarded PC's arrive."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from watchkeeper.collect.loader import load_spool
from watchkeeper.collect.spool import Received, Spool
from watchkeeper.compliance.evaluate import DeviceRow, device_rows
from watchkeeper.compliance.model import Alias, DeviceRecord, Fact, FactValue
from watchkeeper.compliance.policy import Policy, apply_thresholds, load_policy
from watchkeeper.compliance.stored import naive, to_row
from watchkeeper.core.settings import Settings
from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage import inventory as stored
from watchkeeper.storage.store import Store

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
_files = itertools.count(1)


def record(
    name: str = "PC-07",
    source: str = "intune",
    *,
    serial: str | None = None,
    aliases: list[tuple[str, str]] | None = None,
    platform: str = "windows",
    os_name: str | None = None,
    os_version: str | None = None,
    owner: str | None = None,
    observed: datetime = NOW - HOUR,
    facts: Mapping[str, FactValue] | None = None,
    label: str = "export.csv",
    row: int = 2,
) -> DeviceRecord:
    """One record as a reader gives it, each fact with evidence naming its file and row."""
    return DeviceRecord(
        source=source,
        source_label=label,
        location=f"row {row}",
        observed=observed,
        name=name,
        serial=serial,
        aliases=tuple(Alias(kind, value) for kind, value in aliases or ()),
        platform=platform,
        os_name=os_name,
        os_version=os_version,
        owner=owner,
        facts={
            fact: Fact(value, f'{label}, row {row}, column "{fact}" = {value!r}', observed)
            for fact, value in (facts or {}).items()
        },
    )


def save(
    store: Store, *records: DeviceRecord, label: str | None = None, imported: datetime = NOW
) -> int:
    """Store records as one imported file; its import id."""
    name = label or records[0].source_label
    sha = hashlib.sha256(f"{name}-{next(_files)}".encode()).hexdigest()
    entry, added = stored.save_inventory_import(
        store, name, sha, records[0].source, [to_row(r) for r in records], [], [], naive(imported)
    )
    assert added
    return entry.id


def rows(
    store: Store,
    now: datetime = NOW,
    policy: Policy | None = None,
    settings: Settings | None = None,
    **kwargs: Any,
) -> dict[str, DeviceRow]:
    """Every device row, by name, with the settings' thresholds applied to the policy."""
    policy = policy or load_policy()
    if settings is not None:
        policy = apply_thresholds(policy, settings.compliance_thresholds)
    found = device_rows(store, policy, now, **kwargs)
    return {row.name: row for row in found}


def windows_event(
    host: str,
    when: datetime,
    channel: str,
    event_id: int,
    provider: str,
    message: str = "",
    **fields: str,
) -> dict[str, Any]:
    """One Windows event as NXLog's im_msvistalog writes it, in JSON."""
    return {
        "EventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Hostname": host,
        "EventID": event_id,
        "SourceName": provider,
        "Channel": channel,
        "SeverityValue": 2,
        "Message": message,
        "RecordNumber": next(_files),
        **fields,
    }


def import_events(
    store: Store,
    folder: Path,
    events: list[dict[str, Any]],
    name: str = "forwarded.json",
    *,
    forwarded: bool = False,
) -> None:
    """Import the events from a file (history), or `forwarded` through the collector's spool,
    each received when it happened."""
    if forwarded:
        spool = Spool(folder / "spool", segment_seconds=0)
        spool.append(
            [
                Received(
                    "10.0.0.7",
                    "tcp",
                    "json",
                    json.dumps(event).encode(),
                    received=datetime.fromisoformat(event["EventTime"]),
                )
                for event in events
            ]
        )
        spool.tick()
        spool.close()
        assert load_spool(store, folder / "spool").events == len(events)
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join(json.dumps(event) + "\n" for event in events), encoding="utf-8")
    summary = import_paths(store, [path])
    assert summary.events == len(events), summary.files


def import_text(store: Store, folder: Path, text: str, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    summary = import_paths(store, [path])
    assert summary.events, summary.files
