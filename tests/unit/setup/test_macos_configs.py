"""The Mac's launchd agent and its forwarder, and the MDM folder.

The forwarder runs here as it would on a Mac, with bash and real curl against a real
Collector's HTTP listener; only `log` (macOS's own) is stood in for, by a program that
prints real `log --style ndjson` lines (tests/fixtures/macos) as `log stream` does.
"""

from __future__ import annotations

import os
import plistlib
import socket
import subprocess
from pathlib import Path

import pytest
from tests.unit.setup.helpers import endpoint, needs, wait_until

from watchkeeper.collect.loader import load_spool
from watchkeeper.collect.service import Collector, listener_settings
from watchkeeper.core.settings import Settings
from watchkeeper.setup.configs import generate, macos, write_configs
from watchkeeper.setup.endpoint import endpoint_for
from watchkeeper.setup.plan import LoggingPlan, Receiving
from watchkeeper.storage.store import Store

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "macos" / "log-show.ndjson"
ENTRIES = 4  # the fixture's log entries; its last line is log show's closing count


def test_the_agent_is_a_valid_plist_that_runs_the_script_and_keeps_it_running() -> None:
    files = generate(LoggingPlan(), "macos", endpoint())
    agent = plistlib.loads(files[macos.PLIST_FILE].encode("utf-8"))
    assert agent["Label"] == "com.watchkeeper.forward"
    assert agent["RunAtLoad"] is True and agent["KeepAlive"] is True
    assert agent["ProgramArguments"][-1].endswith(f'/{macos.SCRIPT_FILE}"')
    readme = files["README.txt"]
    assert "launchctl bootstrap gui/$(id -u)" in readme and macos.PLIST_FILE in readme
    assert "KEEP THIS FOLDER LIKE A PASSWORD" in readme


def test_the_script_is_valid_bash_and_holds_the_url_and_token() -> None:
    bash = needs("bash", "bash")
    script = generate(LoggingPlan(), "macos", endpoint("fe80::1"))[macos.SCRIPT_FILE]
    checked = subprocess.run([bash, "-n"], input=script, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "URL='http://[fe80::1]:8088/'" in script
    assert "TOKEN='t0ken-of_the.collector'" in script
    assert "log stream --style ndjson --predicate" in script


def fake_log(folder: Path, lines: str) -> Path:
    """A `log` that prints `lines` as `log stream` does (a chatter line first), then ends."""
    folder.mkdir()
    data = folder / "stream.ndjson"
    data.write_text('Filtering the log data using "process == \\"sudo\\""\n' + lines)
    program = folder / "log"
    program.write_text(f'#!/bin/sh\n[ "$1" = stream ] || exit 64\ncat "{data}"\n')
    program.chmod(0o755)
    return folder


def run_forwarder(
    tmp_path: Path, script: Path, bin_folder: Path
) -> subprocess.CompletedProcess[str]:
    bash = needs("bash", "bash")
    needs("curl", "curl")
    environment = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "PATH": f"{bin_folder}{os.pathsep}{os.environ.get('PATH', '')}",
        "WATCHKEEPER_WAITING": str(tmp_path / "waiting"),
    }
    return subprocess.run(
        [bash, str(script)], env=environment, capture_output=True, text=True, timeout=120
    )


def forwarder(tmp_path: Path, port: int) -> Path:
    plan = LoggingPlan(receiving=Receiving(True, "127.0.0.1", {"http": port}))
    write_configs(plan, "macos", tmp_path / "out", endpoint_for(plan, Settings()))
    return tmp_path / "out" / "macos" / macos.SCRIPT_FILE


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_forwarder_posts_the_unified_log_to_the_collector(tmp_path: Path, store: Store) -> None:
    port = free_port()
    settings = Settings(listeners={"http": port})
    collector = Collector(store.path, settings, listener_settings(settings), load=False)
    collector.start()
    try:
        script = forwarder(tmp_path, port)
        ran = run_forwarder(tmp_path, script, fake_log(tmp_path / "bin", FIXTURE.read_text()))
        assert ran.returncode == 0, ran.stderr
        wait_until(
            lambda: collector.listeners.stats().received["http"] >= ENTRIES,
            15,
            f"{ENTRIES} entries over HTTP",
        )
    finally:
        collector.stop()
    load_spool(store, collector.folder)
    rows = store.fetch_all(
        "SELECT source, host, process, message, transport FROM events ORDER BY record_no"
    )
    assert len(rows) == ENTRIES
    assert {row[0] for row in rows} == {"macos"}
    host = socket.gethostname().split(".")[0]
    assert {row[1] for row in rows} == {"".join(c for c in host if c.isalnum() or c in ".-")}
    assert rows[0][2] == "/usr/bin/sudo" and "COMMAND=/bin/ls" in rows[0][3]
    assert any("<script>alert(1)</script>" in row[3] for row in rows)  # kept as sent
    assert {row[4] for row in rows} == {"http"}
    assert not list((tmp_path / "waiting").glob("batch-*"))


def test_a_batch_the_collector_did_not_take_waits_and_goes_first_next_time(
    tmp_path: Path, store: Store
) -> None:
    port = free_port()  # nobody listens there yet
    script = forwarder(tmp_path, port)
    ran = run_forwarder(tmp_path, script, fake_log(tmp_path / "bin", FIXTURE.read_text()))
    assert ran.returncode != 0 and "curl" in ran.stderr
    assert len(list((tmp_path / "waiting").glob("batch-*.ndjson"))) == 1
    settings = Settings(listeners={"http": port})
    collector = Collector(store.path, settings, listener_settings(settings), load=False)
    collector.start()
    try:
        ran = run_forwarder(tmp_path, script, fake_log(tmp_path / "bin2", ""))
        assert ran.returncode == 0, ran.stderr
        wait_until(lambda: collector.listeners.stats().received["http"] >= ENTRIES, 15, "the batch")
    finally:
        collector.stop()
    load_spool(store, collector.folder)
    assert store.fetch_one("SELECT count(*) FROM events WHERE source = 'macos'") == (ENTRIES,)
    assert not list((tmp_path / "waiting").glob("batch-*"))


def test_the_mdm_readme_says_which_export_and_how_to_import_it() -> None:
    readme = generate(LoggingPlan(), "mdm", endpoint())["README.txt"]
    for words in ("Intune", "Google Workspace", "Jamf Pro", "File ▸ Import device list…"):
        assert words in readme
    assert "watchkeeper devices import FILE" in readme


@pytest.mark.parametrize("platform", ["macos", "mdm"])
def test_a_hostile_address_is_refused_for_every_platform(platform: str) -> None:
    from watchkeeper.setup.configs import ConfigError

    with pytest.raises(ConfigError):
        generate(LoggingPlan(), platform, endpoint("evil' ; curl x | sh ; '"))
