"""Every planned platform's configuration, in a folder or a zip, with what each file is for."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from watchkeeper.core.errors import Cancelled
from watchkeeper.core.progress import Progress
from watchkeeper.setup.configs import ConfigError
from watchkeeper.setup.endpoint import Endpoint
from watchkeeper.setup.generation import config_platforms, generate_all, readme_summaries
from watchkeeper.setup.plan import LoggingPlan, PlatformPlan

ENDPOINT = Endpoint(
    "collector.office.lan",
    {"syslog-udp": 5514, "syslog-tls": 6514},
    ca_pem="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    fingerprint="ab" * 32,
)


def network_plan() -> LoggingPlan:
    return LoggingPlan(platforms={"network": PlatformPlan(count=3, logs=["network-syslog"])})


def test_a_plan_of_network_devices_writes_its_folder_with_the_readme_lines(
    tmp_path: Path,
) -> None:
    generated = generate_all(network_plan(), ENDPOINT, tmp_path / "out")
    names = {f.path.name: f for f in generated.files}
    assert set(names) == {"README.txt", "collector-certificate.pem"}
    assert (tmp_path / "out" / "network" / "README.txt").read_text().count("collector.office.lan")
    assert names["README.txt"].summary == "Sending a network device's logs to Watchkeeper"
    assert "trust the certificate" in names["collector-certificate.pem"].summary


def test_the_zip_holds_the_same_files_and_no_folder_is_left(tmp_path: Path) -> None:
    archive = tmp_path / "configs.zip"
    generated = generate_all(network_plan(), ENDPOINT, tmp_path / "unused", as_zip=archive)
    with zipfile.ZipFile(archive) as bundle:
        assert sorted(bundle.namelist()) == [
            "network/README.txt",
            "network/collector-certificate.pem",
        ]
    assert generated.archive == archive
    assert not (tmp_path / "unused").exists()


def test_kinds_share_a_folder_and_uncounted_kinds_are_left_out() -> None:
    plan = LoggingPlan(
        platforms={
            "windows": PlatformPlan(count=5),
            "domain_controller": PlatformPlan(count=1),
            "macos": PlatformPlan(count=0),
            "network": PlatformPlan(count=1),
        }
    )
    assert config_platforms(plan) == ["windows", "network"]


def test_a_platform_counted_without_logs_is_named_not_fatal(tmp_path: Path) -> None:
    plan = network_plan()
    plan.platforms["windows"] = PlatformPlan(count=2)
    generated = generate_all(plan, ENDPOINT, tmp_path)
    assert any(f.platform == "network" for f in generated.files)
    assert generated.skipped == [
        "The logging plan chooses no Windows logs: choose them in the wizard's first step."
    ]


def test_an_empty_plan_says_to_count_devices_first(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no devices yet"):
        generate_all(LoggingPlan(), ENDPOINT, tmp_path)


def test_cancelled_generation_stops(tmp_path: Path) -> None:
    progress = Progress()
    progress.cancel()
    with pytest.raises(Cancelled):
        generate_all(network_plan(), ENDPOINT, tmp_path, progress=progress)


def test_readme_summaries_take_the_line_that_names_the_file() -> None:
    readme = "Title\n\n  audit.ps1: sets the audit policy\n- sysmon.xml — Sysmon's rules\n"
    assert readme_summaries(readme, ["audit.ps1", "sysmon.xml", "other", "README.txt"]) == {
        "audit.ps1": "sets the audit policy",
        "sysmon.xml": "Sysmon's rules",
        "README.txt": "Title",
    }
