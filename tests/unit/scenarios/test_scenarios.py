"""The generated small office: exact sizes, real shapes, the working day, and the attacks in it."""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.core.errors import Cancelled
from watchkeeper.core.progress import Progress, ProgressState
from watchkeeper.scenarios import ScenarioSummary, generate

END = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday noon
EVENTS = 20_000

BSD_STAMP = re.compile(
    r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ 123]\d) (\d\d:\d\d:\d\d) "
    r"(web01|files01) \S+: "
)
RFC5424 = re.compile(
    r"^<\d{1,3}>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) fw01 kernel - - - \[UFW (ALLOW|BLOCK)\] "
)
AUDIT = re.compile(r"^type=[A-Z_]+ msg=audit\((\d+)\.\d{3}:(\d+)\): ")


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> ScenarioSummary:
    return generate(tmp_path_factory.mktemp("office"), events=EVENTS, seed=3, end=END)


def lines(summary: ScenarioSummary, relative: str) -> list[str]:
    return (summary.out_dir / relative).read_text(encoding="utf-8").splitlines()


def windows_events(summary: ScenarioSummary, host: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines(summary, f"windows/{host}.json")]


def all_windows_events(summary: ScenarioSummary) -> Iterator[dict[str, Any]]:
    for path in sorted((summary.out_dir / "windows").glob("*.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            yield json.loads(line)


def bsd_time(line: str) -> datetime:
    match = BSD_STAMP.match(line)
    assert match, f"not an RFC 3164 line: {line!r}"
    month, day, clock = match.group(1), match.group(2).strip(), match.group(3)
    return datetime.strptime(f"2026 {month} {day} {clock}", "%Y %b %d %H:%M:%S")


def firewall_time(line: str) -> str:
    match = RFC5424.match(line)
    assert match, f"not a firewall line: {line!r}"
    return match.group(1)


# -- size, shape and order --------------------------------------------------------------------


def test_the_number_of_events_is_what_was_asked_for(office: ScenarioSummary) -> None:
    assert abs(office.total_events - EVENTS) <= EVENTS * 0.02
    counted = {
        path.relative_to(office.out_dir).as_posix(): len(path.read_bytes().splitlines())
        for path in office.files
    }
    assert counted == office.events_per_file
    assert sum(counted.values()) == office.total_events


def test_every_source_of_the_office_has_its_own_file(office: ScenarioSummary) -> None:
    names = set(office.events_per_file)
    assert {
        f"windows/PC-{name}.json" for name in ("ACCT-01", "SALES-02", "HR-01", "IT-01")
    } <= names
    assert {
        "windows/DC01.json",
        "linux/web01-auth.log",
        "linux/files01-audit.log",
        "network/fw01.log",
        "mobile/android-security.jsonl",
    } <= names
    assert len([name for name in names if name.startswith("windows/PC-")]) == 12
    assert all(count > 0 for count in office.events_per_file.values())


def test_the_same_seed_and_end_write_the_same_bytes(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", events=4000, seed=11, end=END)
    second = generate(tmp_path / "b", events=4000, seed=11, end=END)
    other = generate(tmp_path / "c", events=4000, seed=12, end=END)
    assert first.events_per_file == second.events_per_file
    for path in first.files:
        relative = path.relative_to(first.out_dir)
        assert path.read_bytes() == (second.out_dir / relative).read_bytes(), relative
    assert any(
        path.read_bytes() != (other.out_dir / path.relative_to(first.out_dir)).read_bytes()
        for path in first.files
    )


def test_every_json_line_parses_into_a_flat_nxlog_record(office: ScenarioSummary) -> None:
    required = {
        "EventTime",
        "Hostname",
        "Keywords",
        "EventType",
        "SeverityValue",
        "Severity",
        "EventID",
        "SourceName",
        "ProviderGuid",
        "Version",
        "Task",
        "OpcodeValue",
        "RecordNumber",
        "ProcessID",
        "ThreadID",
        "Channel",
        "Category",
        "Opcode",
        "Message",
        "EventReceivedTime",
        "SourceModuleName",
        "SourceModuleType",
    }
    for event in all_windows_events(office):
        assert required <= event.keys()
        assert event["SourceModuleType"] == "im_msvistalog"
        assert event["Hostname"].endswith(".contoso.local")
        datetime.strptime(event["EventTime"], "%Y-%m-%d %H:%M:%S")
        assert all(not isinstance(value, dict | list) for value in event.values())
    for line in lines(office, "mobile/android-security.jsonl"):
        event = json.loads(line)
        assert set(event) == {"time", "device", "user", "tag", "data"}
        assert event["tag"].startswith("SEC_TAG_")


def test_every_syslog_line_starts_with_a_valid_stamp(office: ScenarioSummary) -> None:
    for name in ("web01-auth", "web01-syslog", "files01-auth", "files01-syslog"):
        for line in lines(office, f"linux/{name}.log"):
            bsd_time(line)
    for line in lines(office, "network/fw01.log"):
        match = RFC5424.match(line)
        assert match, line
        datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
    serials = []
    for line in lines(office, "linux/files01-audit.log"):
        match = AUDIT.match(line)
        assert match, line
        serials.append(int(match.group(2)))
    assert serials == sorted(serials)


def test_each_file_runs_forward_in_time_inside_the_range(office: ScenarioSummary) -> None:
    start, end = office.start.replace(tzinfo=None), office.end.replace(tzinfo=None)
    for path in sorted((office.out_dir / "windows").glob("*.json")):
        stamps = [
            datetime.strptime(e["EventTime"], "%Y-%m-%d %H:%M:%S")
            for e in map(json.loads, path.read_text(encoding="utf-8").splitlines())
        ]
        assert stamps == sorted(stamps), path.name
        assert start <= stamps[0] and stamps[-1] < end
    stamps = [bsd_time(line) for line in lines(office, "linux/web01-auth.log")]
    assert stamps == sorted(stamps)
    fw = [firewall_time(line) for line in lines(office, "network/fw01.log")]
    assert fw == sorted(fw)


def test_record_numbers_rise_by_one_per_host_and_channel(office: ScenarioSummary) -> None:
    last: dict[str, int] = {}
    for event in windows_events(office, "DC01"):
        channel = event["Channel"]
        if channel in last:
            assert event["RecordNumber"] == last[channel] + 1
        last[channel] = event["RecordNumber"]


# -- the working day ----------------------------------------------------------------------------


def test_people_log_on_in_working_hours_not_at_night_or_on_sundays(office: ScenarioSummary) -> None:
    logons: Counter[tuple[str, int]] = Counter()
    activity: Counter[int] = Counter()
    for event in all_windows_events(office):
        stamp = datetime.strptime(event["EventTime"], "%Y-%m-%d %H:%M:%S")
        day = "sunday" if stamp.weekday() == 6 else "weekday" if stamp.weekday() < 5 else "saturday"
        if event["EventID"] == 4624:
            logons[(day, stamp.hour)] += 1
        if day == "weekday" and event["Hostname"].startswith("PC-"):
            activity[stamp.hour] += 1
    assert logons[("weekday", 10)] > 5 * max(1, logons[("weekday", 3)])
    assert logons[("weekday", 10)] > 5 * max(1, logons[("sunday", 10)])
    assert activity[12] < activity[11]  # the lunch dip
    assert activity[3] < activity[10] / 10


def test_servers_and_the_firewall_run_around_the_clock(office: ScenarioSummary) -> None:
    hours = Counter(bsd_time(line).hour for line in lines(office, "linux/web01-syslog.log"))
    assert all(hours[hour] > 0 for hour in range(24))
    fw_hours = Counter(
        int(firewall_time(line)[11:13]) for line in lines(office, "network/fw01.log")
    )
    assert all(fw_hours[hour] > 0 for hour in range(24))


# -- the attacks --------------------------------------------------------------------------------


def test_the_stories_happen_on_working_days_inside_the_range(office: ScenarioSummary) -> None:
    assert {story.key for story in office.stories} == {
        "password_spray",
        "office_macro",
        "ssh_brute_force",
        "remote_tool",
    }
    for story in office.stories:
        assert office.start <= story.start < story.end <= office.end
        assert story.start.weekday() < 5
        assert story.events > 0 and story.hosts and story.techniques
        assert all((office.out_dir / name).exists() for name in story.files)


def test_password_spray_then_success_then_local_admin_then_cleared_logs(
    office: ScenarioSummary,
) -> None:
    story = office.story("password_spray")
    (ip,) = story.source_ips
    dc = windows_events(office, "DC01")
    failures = [e for e in dc if e["EventID"] == 4625 and e.get("IpAddress") == ip]
    sprayed = {e["TargetUserName"] for e in failures}
    assert len(sprayed) >= 15
    assert {e["SubStatus"] for e in failures} == {"0xc000006a", "0xc0000064"}
    first, last = (
        datetime.strptime(failures[i]["EventTime"], "%Y-%m-%d %H:%M:%S") for i in (0, -1)
    )
    assert last - first < timedelta(minutes=15)
    # The office logs on with Kerberos all day; the sprayer's NTLM logon is the odd one out.
    index = dc.index(failures[0])
    success = [
        e
        for e in dc[index:]
        if e["EventID"] == 4624
        and e.get("IpAddress") == ip
        and e["AuthenticationPackageName"] == "NTLM"
    ]
    assert len(success) == 1
    assert first < datetime.strptime(success[0]["EventTime"], "%Y-%m-%d %H:%M:%S") <= last
    assert success[0]["LogonType"] == "3"
    assert success[0]["TargetUserName"] == story.details["sprayed_account"] in sprayed

    target = windows_events(office, story.details["target_host"])
    ids = [
        e["EventID"]
        for e in target
        if e.get("SubjectUserName") == story.details["sprayed_account"] or e.get("IpAddress") == ip
    ]
    for expected in (4624, 4720, 4732, 1102, 104):
        assert expected in ids
    assert ids.index(4624) < ids.index(4720) < ids.index(4732) < ids.index(1102) < ids.index(104)
    group = next(e for e in target if e["EventID"] == 4732)
    assert group["TargetSid"] == "S-1-5-32-544" and group["TargetUserName"] == "Administrators"
    created = next(e for e in target if e["EventID"] == 4720)
    assert created["TargetUserName"] == story.details["new_account"]
    cleared = next(e for e in target if e["EventID"] == 1102)
    assert (
        cleared["Channel"] == "Security" and cleared["SourceName"] == "Microsoft-Windows-Eventlog"
    )
    system = next(e for e in target if e["EventID"] == 104)
    assert system["Channel"] == "System"


def test_office_macro_runs_an_encoded_download(office: ScenarioSummary) -> None:
    story = office.story("office_macro")
    events = windows_events(office, story.details["host"])
    spawned = [
        e for e in events if e["EventID"] == 1 and e["ParentImage"].endswith("\\WINWORD.EXE")
    ]
    assert len(spawned) == 1
    shell = spawned[0]
    assert shell["Image"].lower().endswith("\\powershell.exe")
    encoded = shell["CommandLine"].split("-enc ", 1)[1].strip()
    decoded = base64.b64decode(encoded).decode("utf-16-le")
    assert "Invoke-WebRequest" in decoded or "DownloadFile" in decoded
    url = re.search(r"http://[\w./-]+", decoded)
    assert url is not None and url.group(0) == story.details["url"]
    blocks = [e for e in events if e["EventID"] == 4104 and e["ScriptBlockText"] == decoded]
    assert len(blocks) == 1 and blocks[0]["Channel"] == "Microsoft-Windows-PowerShell/Operational"
    connections = [
        e
        for e in events
        if e["EventID"] == 3
        and e["Image"] == shell["Image"]
        and not e["DestinationIp"].startswith("10.")
    ]
    assert [c["DestinationIp"] for c in connections] == list(story.source_ips)
    files = [
        e["TargetFilename"] for e in events if e["EventID"] == 11 and e["Image"] == shell["Image"]
    ]
    assert files and all("\\Temp\\" in name or "\\Downloads\\" in name for name in files)
    download = f"SRC={connections[0]['SourceIp']} DST={story.source_ips[0]} "
    assert any(
        download in line and " DPT=80 " in line for line in lines(office, "network/fw01.log")
    )
    # Afterwards the file server's audit log shows the share read through dave's session.
    audit = "\n".join(lines(office, "linux/files01-audit.log"))
    assert b"Accounts/Bank details - suppliers.xlsx".hex().upper() in audit
    assert audit.count('comm="smbd[dave]"') >= 8


def test_ssh_brute_force_then_acceptance_then_sudo(office: ScenarioSummary) -> None:
    story = office.story("ssh_brute_force")
    (ip,) = story.source_ips
    assert ip.startswith(("203.0.113.", "198.51.100."))
    auth = lines(office, "linux/web01-auth.log")
    failed = [
        n for n, line in enumerate(auth) if "Failed password for" in line and f"from {ip} " in line
    ]
    invalid = [
        n
        for n, line in enumerate(auth)
        if "Failed password for invalid user" in line and ip in line
    ]
    root = [n for n, line in enumerate(auth) if f"Failed password for root from {ip}" in line]
    assert len(failed) >= 100 and invalid and root
    accepted = [
        n for n, line in enumerate(auth) if f"Accepted password for deploy from {ip} port" in line
    ]
    assert len(accepted) == 1 and accepted[0] > failed[-1]
    sudo = [
        n
        for n, line in enumerate(auth)
        if "deploy : TTY=pts/1 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/bash" in line
    ]
    assert len(sudo) == 1 and sudo[0] > accepted[0]
    knocks = [
        line
        for line in lines(office, "network/fw01.log")
        if f"SRC={ip} " in line and " DPT=22 " in line
    ]
    assert len(knocks) > len(failed) / 3


def test_remote_tool_installed_then_sysmon_goes_quiet(office: ScenarioSummary) -> None:
    story = office.story("remote_tool")
    events = windows_events(office, story.details["host"])
    installed = next(
        n for n, e in enumerate(events) if e["EventID"] == 7045 and "AnyDesk" in e["ServiceName"]
    )
    stopped = next(
        n for n, e in enumerate(events) if e["EventID"] == 4 and e.get("State") == "Stopped"
    )
    assert installed < stopped
    resumed = next(
        (n for n, e in enumerate(events) if e["EventID"] == 4 and e.get("State") == "Started"),
        len(events),
    )
    quiet = [
        e for e in events[stopped + 1 : resumed] if e["SourceName"] == "Microsoft-Windows-Sysmon"
    ]
    assert quiet == []
    assert any(
        e["SourceName"] == "Microsoft-Windows-Security-Auditing"
        for e in events[stopped + 1 : resumed]
    )


def test_the_stories_stay_when_the_background_shrinks(tmp_path: Path) -> None:
    summary = generate(tmp_path, events=0, seed=3, end=END)
    assert summary.total_events == sum(story.events for story in summary.stories)
    assert len(summary.stories) == 4
    auth = (tmp_path / "linux/web01-auth.log").read_text(encoding="utf-8")
    assert "Accepted password for deploy" in auth


# -- arguments and progress ---------------------------------------------------------------------


def test_progress_is_reported_and_cancel_stops_the_job(tmp_path: Path) -> None:
    seen: list[int] = []

    def record(state: ProgressState) -> None:
        seen.append(state.records)

    summary = generate(
        tmp_path / "a", events=3000, seed=1, end=END, progress=Progress(record, max_rate=1e9)
    )
    assert seen and seen == sorted(seen) and seen[-1] == summary.total_events
    cancelled = Progress()
    cancelled.cancel()
    with pytest.raises(Cancelled):
        generate(tmp_path / "b", events=3000, seed=1, end=END, progress=cancelled)


def test_a_naive_end_is_taken_as_utc_and_the_default_end_is_on_the_hour(tmp_path: Path) -> None:
    naive = generate(tmp_path / "a", events=500, days=3, end=END.replace(tzinfo=None))
    assert naive.end == END and naive.start == END - timedelta(days=3) and naive.zone == "UTC"
    default = generate(tmp_path / "b", events=500, days=2)
    assert default.end.minute == default.end.second == 0 and default.end.tzinfo is not None


@pytest.mark.parametrize(("events", "days"), [(-1, 30), (1000, 0)])
def test_impossible_arguments_are_refused(tmp_path: Path, events: int, days: int) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, events=events, days=days, end=END)


def test_an_office_of_years_ago_imports_in_its_own_years(tmp_path: Path, store: Any) -> None:
    # syslog stamps carry no year: it comes from the file's last change, which is the office's end
    from watchkeeper.ingest.importer import import_paths

    end = datetime(2024, 1, 2, 12, 0, tzinfo=UTC)
    summary = generate(tmp_path, events=600, days=3, end=end)
    auth = summary.out_dir / "linux/web01-auth.log"
    assert auth in summary.files
    assert import_paths(store, [auth]).events > 0
    first, last = store.fetch_one("SELECT min(time), max(time) FROM events")
    naive_end = end.replace(tzinfo=None)
    assert naive_end - timedelta(days=3) <= first <= last <= naive_end
