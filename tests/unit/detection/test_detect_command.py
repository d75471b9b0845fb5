"""The rules and detect commands as a user runs them: in their own process, with deadlines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CATASTROPHIC = """title: Backtracks for hours
id: 5d0c6a52-3f7e-4c1a-9e55-0e1f7a2b9c01
level: high
logsource: {product: linux, service: sshd}
detection:
    selection:
        message|re: '(?=a)(a+)+$'
    condition: selection
"""
FAILED = """title: SSH failed password
id: 5d0c6a52-3f7e-4c1a-9e55-0e1f7a2b9c02
level: high
logsource: {product: linux, service: sshd}
detection:
    keywords: ['Failed password']
    condition: keywords
"""
LINE = ("Nov 23 08:{m:02d}:{s:02d} web01 sshd[3100]: Failed password for {user} "
        "from 203.0.113.7 port 4{s:04d} ssh2\n")


def _lines(count: int, user: str = "admin", start: int = 0) -> str:
    return "".join(LINE.format(m=(start + i) // 60 % 60, s=(start + i) % 60, user=user)
                   for i in range(count))


def _rules(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yml").write_text(text)
    return folder


def _run(db: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "watchkeeper", *args, "--db", str(db)],
                          capture_output=True, text=True, timeout=timeout)


def test_a_regex_that_backtracks_for_hours_is_refused_with_a_reason(tmp_path: Path) -> None:
    rules = _rules(tmp_path / "rules", catastrophic=CATASTROPHIC, failed=FAILED)
    log = tmp_path / "auth.log"
    log.write_text(_lines(3, user="a" * 34 + "X"))
    db = tmp_path / "w.duckdb"
    # Python's re needs hours for this rule on these events; the import must not wait for it
    imported = _run(db, "import", str(log), "--rules", str(rules), "--json", timeout=90)
    assert imported.returncode == 0, imported.stderr
    detection = json.loads(imported.stdout)["detection"]
    assert detection["hits_by_rule"] == {"5d0c6a52-3f7e-4c1a-9e55-0e1f7a2b9c02": 3}
    listed = _run(db, "rules", "--rules", str(rules))
    line = next(line for line in listed.stdout.splitlines() if "catastrophic.yml" in line)
    assert "not loaded" in line and "(Backtracks for hours)" in line
    assert "could take hours on one event" in line
