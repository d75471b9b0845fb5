"""What a devices table shows of each device, and its CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from watchkeeper.compliance.lines import CheckCell, DeviceLine, devices_csv, safe_cell

HOSTILE = "<b>evil</b>=cmd|' /C calc'!A0"


def hand_made() -> list[DeviceLine]:
    """Three devices: one failing, one passing, one hostile and partly unknown."""
    seen = datetime(2026, 11, 19, 9, 30, tzinfo=UTC)
    return [
        DeviceLine(
            "dev-1",
            "PC-07",
            "windows",
            "alice@oakfield.example",
            ("intune", "logs"),
            seen,
            {
                "encryption": CheckCell(
                    "fail",
                    "BitLocker is off",
                    'Intune export x.csv, row 4, "Encrypted" = "False"',
                    "intune",
                    seen,
                ),
                "firewall": CheckCell("pass", "The firewall is on", "", "osquery", seen),
            },
            "fail",
            ("pc-07",),
        ),
        DeviceLine(
            "dev-2",
            "MAC-01",
            "macos",
            "bob@oakfield.example",
            ("jamf",),
            seen,
            {
                "encryption": CheckCell("pass", "FileVault is on"),
                "firewall": CheckCell("excepted", "Excepted until 2026-12-31"),
            },
            "pass",
        ),
        DeviceLine(
            "dev-3",
            HOSTILE,
            "linux",
            "-2+3",
            ("osquery",),
            None,
            {"encryption": CheckCell("unknown", "No source says", HOSTILE, HOSTILE, seen)},
            "unknown",
        ),
    ]


def test_csv_export_is_text_and_safe_from_formulas() -> None:
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("PC-07") == "PC-07"
    text = devices_csv(hand_made(), ["encryption", "firewall"])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:6] == ["Status", "Device", "Platform", "Owner", "Sources", "Last seen"]
    assert rows[0][6:] == ["Encryption", "Encryption: reason", "Firewall", "Firewall: reason"]
    assert rows[1][:2] == ["Fail", "PC-07"] and rows[1][6:8] == ["Fail", "BitLocker is off"]
    assert rows[3][1] == HOSTILE  # starts with "<": left alone
    assert rows[3][3] == "'-2+3"  # an owner that a spreadsheet would compute
    assert rows[3][8] == "n/a"
