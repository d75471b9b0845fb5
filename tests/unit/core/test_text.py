"""Counts and dates as a person reads them."""

from __future__ import annotations

from datetime import datetime

from watchkeeper.core.text import counted, plural, shown_day


def test_counts_agree_with_their_noun() -> None:
    assert counted(1, "event") == "1 event"
    assert counted(0, "event") == "0 events"
    assert counted(1204, "event") == "1,204 events"
    assert counted(2, "entry") == "2 entries"
    assert counted(3, "more host") == "3 more hosts"
    assert counted(2, "rule file") == "2 rule files"
    assert counted(2, "person", "people") == "2 people"
    assert plural("match") == "matches"


def test_a_day_reads_as_day_month_year() -> None:
    assert shown_day(datetime(2024, 3, 3, 23, 59)) == "3 Mar 2024"
