"""The device model's rules, and reading the cell values every export shares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from watchkeeper.compliance.model import (
    AV_SIGNATURE_UPDATED,
    COMPLIANCE_STATE_REPORTED,
    ENCRYPTED,
    FACT_TYPES,
    PLATFORM_ANDROID,
    PLATFORM_CHROMEOS,
    PLATFORM_IOS,
    PLATFORM_LINUX,
    PLATFORM_MACOS,
    PLATFORM_OTHER,
    PLATFORM_WINDOWS,
    SCREEN_LOCK_MINUTES,
    SOURCE_INTUNE,
    DeviceRecord,
    Fact,
    InventoryError,
)
from watchkeeper.compliance.sources.dates import DateOrder, read_date
from watchkeeper.compliance.sources.values import flag, platform_of, serial_or_none, shown, split_os
from watchkeeper.core.errors import WatchkeeperError

NOW = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)


def record(**facts: Fact) -> DeviceRecord:
    return DeviceRecord(
        source=SOURCE_INTUNE,
        source_label="x.csv",
        location="row 2",
        observed=NOW,
        name="PC-1",
        facts=facts,
    )


def test_the_ten_facts_and_their_types() -> None:
    assert dict(FACT_TYPES) == {
        "encrypted": bool,
        "firewall": bool,
        "screen_lock_minutes": int,
        "rooted": bool,
        "av_realtime": bool,
        "av_signature_updated": datetime,
        "secure_boot": bool,
        "attestation": bool,
        "mdm_last_checkin": datetime,
        "compliance_state_reported": str,
    }


def test_a_record_holds_facts_of_the_right_type_only() -> None:
    good = record(encrypted=Fact(True, "e", NOW), screen_lock_minutes=Fact(5, "e", NOW))
    assert good.value(ENCRYPTED) is True and good.value(SCREEN_LOCK_MINUTES) == 5
    assert good.value(COMPLIANCE_STATE_REPORTED) is None  # absent is unknown
    with pytest.raises(ValueError, match="screen_lock_minutes"):
        record(screen_lock_minutes=Fact(True, "e", NOW))  # a flag is not a minute count
    with pytest.raises(ValueError, match="encrypted"):
        record(encrypted=Fact(1, "e", NOW))
    with pytest.raises(ValueError, match="unknown fact"):
        record(patched=Fact(True, "e", NOW))
    with pytest.raises(ValueError, match="UTC"):
        record(av_signature_updated=Fact(datetime(2026, 11, 1), "e", NOW))
    local = datetime(2026, 11, 1, tzinfo=timezone(timedelta(hours=1)))
    with pytest.raises(ValueError, match="UTC"):
        record(**{AV_SIGNATURE_UPDATED: Fact(local, "e", NOW)})


def test_inventory_errors_are_watchkeeper_errors_with_a_title() -> None:
    problem = InventoryError("x.csv: the file is empty")
    assert isinstance(problem, WatchkeeperError)
    assert (problem.title, str(problem)) == ("Device list not imported", "x.csv: the file is empty")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("True", True),
        ("ja", True),
        ("Oui", True),
        ("Enabled", True),
        ("1", True),
        ("FALSE", False),
        ("Nein", False),
        ("non", False),
        ("Off", False),
        ("Unknown", None),
        ("", None),
        ("Unbekannt", None),
        ("inconnu", None),
        ("N/A", None),
    ],
)
def test_yes_and_no_in_three_languages(text: str, value: bool | None) -> None:
    assert flag(text) is value


def test_a_word_that_is_neither_is_reported_not_guessed() -> None:
    with pytest.raises(ValueError):
        flag("Maybe")


@pytest.mark.parametrize(
    ("texts", "platform"),
    [
        (("Windows",), PLATFORM_WINDOWS),
        (("Microsoft Windows 11 Pro",), PLATFORM_WINDOWS),
        (("macOS",), PLATFORM_MACOS),
        (("darwin",), PLATFORM_MACOS),
        (("Mac",), PLATFORM_MACOS),
        (("iPadOS",), PLATFORM_IOS),
        (("iOS 17.5.1",), PLATFORM_IOS),
        (("iPhone 15",), PLATFORM_IOS),
        (("AndroidForWork",), PLATFORM_ANDROID),
        (("Android Enterprise",), PLATFORM_ANDROID),
        (("Chrome OS",), PLATFORM_CHROMEOS),
        (("ubuntu",), PLATFORM_LINUX),
        (("Linux",), PLATFORM_LINUX),
        (("", "debian"), PLATFORM_LINUX),
        (("MacBook Air (M2, 2022)",), PLATFORM_OTHER),
        (("Apple TV 4K",), PLATFORM_OTHER),
        ((None,), PLATFORM_OTHER),
    ],
)
def test_platforms_from_what_sources_write(texts: tuple[str | None, ...], platform: str) -> None:
    assert platform_of(*texts) == platform


def test_os_names_with_their_version() -> None:
    assert split_os("Android 15") == ("Android", "15")
    assert split_os("iOS 17.5.1") == ("iOS", "17.5.1")
    assert split_os("Windows") == ("Windows", None)


def test_firmware_placeholders_are_not_serial_numbers() -> None:
    assert serial_or_none(" C02FK1ABQ6L4 ") == "C02FK1ABQ6L4"
    for placeholder in (
        "To Be Filled By O.E.M.",
        "Default string",
        "0",
        "",
        "System Serial Number",
    ):
        assert serial_or_none(placeholder) is None


def test_evidence_shows_raw_values_on_one_line() -> None:
    assert shown('a "quoted"\nvalue\x1b[31m') == '"a \\"quoted\\"\\nvalue\\x1b[31m"'
    assert len(shown("x" * 500)) < 200


DAY_FIRST = DateOrder(True, "test")
MONTH_FIRST = DateOrder(False, "test")


@pytest.mark.parametrize(
    ("text", "order", "expected", "how"),
    [
        ("2026-11-23T14:05:00Z", DAY_FIRST, datetime(2026, 11, 23, 14, 5), "ISO 8601"),
        ("2026-11-23T15:05:00+01:00", DAY_FIRST, datetime(2026, 11, 23, 14, 5), "ISO 8601"),
        (
            "2026-11-23 14:05:00.0000000",
            DAY_FIRST,
            datetime(2026, 11, 23, 14, 5),
            "ISO 8601, no zone given, so UTC",
        ),
        (
            "23.11.2026 14:05",
            MONTH_FIRST,
            datetime(2026, 11, 23, 14, 5),
            "day.month.year, no zone given, so UTC",
        ),
        (
            "11/23/2026 2:05:00 PM",
            MONTH_FIRST,
            datetime(2026, 11, 23, 14, 5),
            "month/day/year, 12-hour clock, no zone given, so UTC",
        ),
        (
            "23/11/2026 14:05",
            DAY_FIRST,
            datetime(2026, 11, 23, 14, 5),
            "day/month/year, no zone given, so UTC",
        ),
        (
            "12/11/2026 12:30 AM",
            MONTH_FIRST,
            datetime(2026, 12, 11, 0, 30),
            "month/day/year, 12-hour clock, no zone given, so UTC",
        ),
        (
            "2026-11-23 at 2:05 PM",
            DAY_FIRST,
            datetime(2026, 11, 23, 14, 5),
            "year-month-day, 12-hour clock, no zone given, so UTC",
        ),
        ("2026/11/23 14:05:00 GMT", DAY_FIRST, datetime(2026, 11, 23, 14, 5), "year-month-day"),
        (
            "Nov 23, 2026, 2:05:00 PM GMT+1",
            DAY_FIRST,
            datetime(2026, 11, 23, 13, 5),
            "a month name, 12-hour clock",
        ),
        (
            "23. November 2026 14:05",
            DAY_FIRST,
            datetime(2026, 11, 23, 14, 5),
            "a month name, no zone given, so UTC",
        ),
        (
            "23 novembre 2026 à 14:05",
            DAY_FIRST,
            datetime(2026, 11, 23, 14, 5),
            "a month name, no zone given, so UTC",
        ),
    ],
)
def test_dates_as_exports_write_them(
    text: str, order: DateOrder, expected: datetime, how: str
) -> None:
    assert read_date(text, order) == (expected.replace(tzinfo=UTC), how)


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "31/02/2026 10:00",
        "13/13/2026",
        "25:00",
        "2026-11-23 at 13:05 PM",
        "Nov 23, 2026, 2:05 PM GMT+99",
    ],
)
def test_not_dates(text: str) -> None:
    assert read_date(text, DAY_FIRST) is None
