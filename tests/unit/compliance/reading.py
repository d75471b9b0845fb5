"""Reading the compliance fixtures the way the app will, at a fixed export time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from watchkeeper.compliance.inventory import read_inventory_bytes
from watchkeeper.compliance.model import DeviceRecord, InventoryResult

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "compliance"
EXPORTED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # when the fixtures were "exported"


def read(name: str) -> InventoryResult:
    return read_inventory_bytes(name, (FIXTURES / name).read_bytes(), EXPORTED)


def read_bytes(name: str, data: bytes) -> InventoryResult:
    return read_inventory_bytes(name, data, EXPORTED)


def devices(result: InventoryResult) -> dict[str, DeviceRecord]:
    return {record.name: record for record in result.records}


def messages(result: InventoryResult) -> list[str]:
    return [problem.message for problem in result.problems]
