"""Intune exports: several screens' headers, three languages, their dates, encodings and values."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime

from tests.unit.compliance.reading import EXPORTED, devices, messages, read, read_bytes

from watchkeeper.compliance.model import (
    ALIAS_AZURE_AD_DEVICE_ID,
    ALIAS_IMEI,
    ALIAS_MAC,
    ALIAS_MDM_DEVICE_ID,
    COMPLIANCE_STATE_REPORTED,
    ENCRYPTED,
    MDM_LAST_CHECKIN,
    PLATFORM_ANDROID,
    PLATFORM_IOS,
    PLATFORM_LINUX,
    PLATFORM_MACOS,
    PLATFORM_WINDOWS,
    ROOTED,
    SOURCE_INTUNE,
)


def test_all_devices_export_in_english_with_us_dates() -> None:
    result = read("intune-all-devices-en.csv")
    assert result.source == SOURCE_INTUNE
    found = devices(result)
    pc = found["PC-07"]
    assert (pc.serial, pc.platform, pc.os_name, pc.os_version) == (
        "5NBR4K3",
        PLATFORM_WINDOWS,
        "Windows",
        "10.0.22631.4460",
    )
    assert (pc.owner, pc.model, pc.manufacturer) == (
        "jsmith@oakfield.co.uk",
        "Latitude 5440",
        "Dell Inc.",
    )
    assert pc.alias_values(ALIAS_AZURE_AD_DEVICE_ID) == ["a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"]
    assert pc.alias_values(ALIAS_MDM_DEVICE_ID) == ["4f1c2a8e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"]
    assert pc.alias_values(ALIAS_MAC) == ["D4:81:D7:12:34:56"]
    checkin = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
    assert pc.value(MDM_LAST_CHECKIN) == checkin and pc.observed == checkin
    assert pc.value(ENCRYPTED) is True
    assert pc.value(ROOTED) is None  # Intune says "Unknown" for a PC: unknown, not "no"
    assert pc.value(COMPLIANCE_STATE_REPORTED) == "compliant"
    assert pc.facts[ENCRYPTED].evidence == (
        'Intune export intune-all-devices-en.csv, row 2, column "Encrypted" = "True"'
    )
    assert pc.facts[MDM_LAST_CHECKIN].evidence == (
        'Intune export intune-all-devices-en.csv, row 2, column "Last check-in" = '
        '"11/23/2026 2:05:00 PM" (read as month/day/year, 12-hour clock, no zone given, so UTC)'
    )
    assert (
        'Dates read as month/day/year: row 2 has "11/23/2026 2:05:00 PM", a day over 12 '
        "second" in result.notes
    )
    assert "Read as an Intune export (UTF-8 with BOM, comma-separated)" in result.notes


def test_failing_and_unknown_values_in_the_english_export() -> None:
    found = devices(read("intune-all-devices-en.csv"))
    mac = found["MAC-LISA"]
    assert (mac.platform, mac.value(ENCRYPTED), mac.value(ROOTED)) == (PLATFORM_MACOS, False, False)
    assert mac.value(COMPLIANCE_STATE_REPORTED) == "noncompliant"
    assert mac.alias_values(ALIAS_AZURE_AD_DEVICE_ID) == []  # all zeros: no id
    phone = found["jsmith_AndroidForWork_11/2/2026_8:14 AM"]
    assert (phone.platform, phone.os_version, phone.value(ROOTED)) == (PLATFORM_ANDROID, "14", True)
    assert phone.alias_values(ALIAS_IMEI) == ["356938035643809"]
    iphone = found["Tom's iPhone"]
    assert (iphone.platform, iphone.value(ROOTED), iphone.value(ENCRYPTED)) == (
        PLATFORM_IOS,
        False,
        True,
    )


def test_hostile_cells_are_kept_as_data_and_evidence_stays_one_readable_line() -> None:
    result = read("intune-all-devices-en.csv")
    name = "<b>PC-99</b>'; DROP TABLE devices;--\x1b[31m"
    hostile = devices(result)[name]
    assert hostile.owner == "<script>alert(1)</script>@oakfield.co.uk"
    assert hostile.value(ENCRYPTED) is None  # an empty cell
    assert hostile.value(MDM_LAST_CHECKIN) is None
    assert hostile.observed == EXPORTED  # no check-in: the export's own time
    assert hostile.value(COMPLIANCE_STATE_REPORTED) == "not evaluated"
    # The row without a name or serial number is reported, not imported.
    assert messages(result) == [
        "intune-all-devices-en.csv: row 7 has no device name or serial number, so it was skipped"
    ]
    assert len(result.records) == 5


def test_german_export_from_excel_in_windows_1252_with_semicolons() -> None:
    result = read("intune-geraete-de.csv")
    assert "Read as an Intune export (Windows-1252, semicolon-separated)" in result.notes
    assert "Headers in German" in result.notes
    found = devices(result)
    pc = found["PC-MÜLLER"]
    assert pc.value(MDM_LAST_CHECKIN) == datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
    assert "(read as day.month.year, no zone given, so UTC)" in pc.facts[MDM_LAST_CHECKIN].evidence
    assert pc.value(ENCRYPTED) is True and pc.value(ROOTED) is None  # "Ja", "Unbekannt"
    assert pc.value(COMPLIANCE_STATE_REPORTED) == "compliant"
    assert pc.facts[ENCRYPTED].evidence.endswith('column "Verschlüsselt" = "Ja"')
    ipad = found["iPad Lager"]
    assert (ipad.platform, ipad.os_name, ipad.value(ENCRYPTED)) == (PLATFORM_IOS, "iPadOS", False)
    assert ipad.value(MDM_LAST_CHECKIN) == datetime(2026, 11, 2, 8, 14, 33, tzinfo=UTC)
    assert ipad.value(COMPLIANCE_STATE_REPORTED) == "noncompliant"
    # German decimals (237,5) did not split the cells: the columns after them are intact.
    pixel = found["Pixel-Vertrieb"]
    assert (pixel.model, pixel.manufacturer) == ("Pixel 8", "Google")
    assert pixel.value(COMPLIANCE_STATE_REPORTED) == "in grace period"


def test_values_nobody_understands_are_reported_once_per_column_and_stay_unknown() -> None:
    result = read("intune-geraete-de.csv")
    pixel = devices(result)["Pixel-Vertrieb"]
    assert pixel.value(ENCRYPTED) is None and pixel.value(MDM_LAST_CHECKIN) is None
    assert pixel.value(ROOTED) is True  # the rest of the row still counts
    assert sorted(messages(result)) == [
        'intune-geraete-de.csv: column "Letzter Check-In" has 1 value Watchkeeper does not '
        'understand (the first is "gestern" in row 4); those devices show it as unknown',
        'intune-geraete-de.csv: column "Verschlüsselt" has 1 value Watchkeeper does not '
        'understand (the first is "Vielleicht" in row 4); those devices show it as unknown',
    ]


def test_french_unicode_text_export_is_utf16_tab_separated_and_day_first() -> None:
    result = read("intune-appareils-fr.txt")
    assert "Read as an Intune export (UTF-16, tab-separated)" in result.notes
    # Every date could be either order; the French headers settle it.
    assert "Dates read as day/month/year: French headers" in result.notes
    found = devices(result)
    pc = found["PC-COMPTA"]
    assert pc.value(MDM_LAST_CHECKIN) == datetime(2026, 11, 5, 9, 30, tzinfo=UTC)
    assert (pc.value(ENCRYPTED), pc.value(ROOTED)) == (True, None)  # "Oui", "Inconnu"
    assert pc.facts[ENCRYPTED].evidence == (
        'Intune export intune-appareils-fr.txt, row 2, column "Chiffré" = "Oui"'
    )
    assert found["iPhone de Claire"].value(ROOTED) is False
    mbp = found["MBP-DIRECTION"]
    assert (mbp.platform, mbp.value(ENCRYPTED)) == (PLATFORM_MACOS, False)
    assert mbp.value(COMPLIANCE_STATE_REPORTED) == "noncompliant"


def test_compliance_report_without_serial_numbers_and_uk_dates() -> None:
    result = read("intune-compliance-uk.csv")
    found = devices(result)
    assert found["PC-07"].serial is None
    assert found["PC-RECEPTION"].value(MDM_LAST_CHECKIN) == datetime(2026, 11, 9, 8, 30, tzinfo=UTC)
    assert found["PC-RECEPTION"].value(COMPLIANCE_STATE_REPORTED) == "in grace period"
    assert (
        'Dates read as day/month/year: row 2 has "23/11/2026 14:05", a day over 12 first'
        in result.notes
    )
    assert any("no serial number column" in note for note in result.notes)


def test_graph_export_with_property_names_and_powershell_type_line() -> None:
    result = read("intune-graph-export.csv")
    found = devices(result)
    assert set(found) == {"PC-07", "SRV-UBUNTU"}
    server = found["SRV-UBUNTU"]
    assert (server.platform, server.os_version, server.owner) == (
        PLATFORM_LINUX,
        "24.04",
        "admin@oakfield.co.uk",
    )
    assert server.value(MDM_LAST_CHECKIN) == datetime(2026, 11, 21, 22, 40, 31, 123456, tzinfo=UTC)
    assert server.facts[MDM_LAST_CHECKIN].evidence.endswith("(read as ISO 8601)")
    assert (server.value(ENCRYPTED), server.value(ROOTED)) == (False, False)
    assert server.value(COMPLIANCE_STATE_REPORTED) == "noncompliant"
    assert found["PC-07"].value(ENCRYPTED) is True
    assert not result.problems


HEADER = "Device name,Serial number,OS,Last check-in,Encrypted,Jailbroken,Managed by\r\n"


def test_twelve_hour_clock_means_month_first_when_every_date_could_be_either() -> None:
    data = HEADER + "PC-1,ABC1,Windows,11/02/2026 8:14:03 AM,True,False,Intune\r\n"
    record = read_bytes("devices.csv", data.encode()).records[0]
    assert record.value(MDM_LAST_CHECKIN) == datetime(2026, 11, 2, 8, 14, 3, tzinfo=UTC)


def test_ambiguous_24_hour_dates_in_english_are_day_first_and_say_so() -> None:
    data = HEADER + "PC-1,ABC1,Windows,11/02/2026 08:14,True,False,Intune\r\n"
    result = read_bytes("devices.csv", data.encode())
    assert result.records[0].value(MDM_LAST_CHECKIN) == datetime(2026, 2, 11, 8, 14, tzinfo=UTC)
    assert (
        "Dates read as day/month/year: no date in the file settles the order, so day first"
        in result.notes
    )


def test_same_export_in_other_encodings_and_separators_reads_the_same() -> None:
    rows = [
        HEADER.strip("\r\n").split(","),
        ["PC-Ä", "ABC1", "Windows", "2026-11-23T14:05:00Z", "False", "False", "Intune"],
    ]
    expected = ("PC-Ä", False, datetime(2026, 11, 23, 14, 5, tzinfo=UTC))
    variants = {
        "utf16-tab.txt": codecs.BOM_UTF16_LE
        + "\r\n".join("\t".join(r) for r in rows).encode("utf-16-le"),
        "utf16-no-bom.txt": "\r\n".join("\t".join(r) for r in rows).encode("utf-16-le"),
        "excel-sep.csv": ("sep=;\r\n" + "\r\n".join(";".join(r) for r in rows)).encode("cp1252"),
        "bom.csv": codecs.BOM_UTF8 + "\n".join(",".join(r) for r in rows).encode(),
    }
    for name, data in variants.items():
        record = read_bytes(name, data).records[0]
        assert (record.name, record.value(ENCRYPTED), record.value(MDM_LAST_CHECKIN)) == expected, (
            name
        )


def test_utf16_big_endian_without_a_byte_order_mark_is_read_too() -> None:
    rows = [
        HEADER.strip("\r\n").split(","),
        ["PC-Ä", "ABC1", "Windows", "2026-11-23T14:05:00Z", "False", "False", "Intune"],
    ]
    data = "\r\n".join("\t".join(r) for r in rows).encode("utf-16-be")
    result = read_bytes("utf16-be.txt", data)
    assert [record.name for record in result.records] == ["PC-Ä"]
    assert "Read as an Intune export (UTF-16, tab-separated)" in result.notes
