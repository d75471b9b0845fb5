"""Times SELECT count(*) for filter shapes on a generated 1,000,000-row events table.

Run: .venv/bin/python tests/benchmarks/bench_filters.py [DB] (the DB is built once and kept
when named; otherwise it lives in a temporary folder)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

DB = Path(
    sys.argv[1]
    if len(sys.argv) > 1
    else Path(tempfile.mkdtemp(prefix="wk-bench-")) / "bench_events.duckdb"
)
ROWS = 1_000_000


def build(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""
    CREATE OR REPLACE TABLE events AS
    WITH r AS (SELECT i, hash(i) AS h, hash(i * 7 + 3) AS g FROM range({ROWS}) t(i))
    SELECT
      i AS id,
      TIMESTAMP '2026-10-01' + to_seconds((i * 5)::BIGINT) AS time,
      printf('pc-%02d', (h % 60)::INTEGER) || CASE WHEN h % 3 = 0 THEN '.corp.example' ELSE '' END AS host,
      (['alice','bob','carol','dave','admin','SYSTEM','svc_backup','erin'])[(g % 8)::INTEGER + 1] AS username,
      (['evtx','syslog','journald','auditd'])[(h % 4)::INTEGER + 1] AS source,
      (['Security','System','Microsoft-Windows-Sysmon/Operational','auth'])[(g % 4)::INTEGER + 1] AS channel,
      ([4624,4625,4688,4672,1,3,11,4634,7045,5156])[((h >> 8) % 10)::INTEGER + 1]::INTEGER AS event_id,
      (['information','warning','error','verbose'])[((g >> 4) % 4)::INTEGER + 1] AS level,
      (['C:\\Windows\\System32\\svchost.exe','C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
        'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe','C:\\Windows\\explorer.exe',
        '/usr/sbin/sshd','/usr/bin/sudo','C:\\Windows\\System32\\cmd.exe','C:\\Users\\bob\\AppData\\Local\\Temp\\x.exe'])
        [((h >> 12) % 8)::INTEGER + 1] AS process,
      'cmd.exe /c "echo ' || md5(i::VARCHAR) || '" --flag=' || (g % 1000)::VARCHAR AS command_line,
      printf('10.%d.%d.%d', (h % 4)::INTEGER, ((h >> 3) % 250)::INTEGER, ((g >> 5) % 250)::INTEGER) AS src_ip,
      (g % 65535)::INTEGER AS src_port,
      CASE WHEN i % 100000 = 7 THEN 'Credential dumping tool mimikatz.exe started by ' ELSE 'An account was successfully logged on by ' END
        || md5(i::VARCHAR) || ' from workstation ' || printf('pc-%02d', (g % 60)::INTEGER)
        || ' using logon process ' || (['User32','NtLmSsp','Kerberos','Advapi'])[(h % 4)::INTEGER + 1] AS message,
      '{{"EventID":' || ((h >> 8) % 10)::VARCHAR || ',"Computer":"' || printf('pc-%02d', (h % 60)::INTEGER)
        || '","TargetUserName":"' || md5((i + 1)::VARCHAR) || '","SubjectDomainName":"CORP","IpAddress":"10.0.'
        || ((h >> 3) % 250)::VARCHAR || '.1","LogonGuid":"{{' || md5((i + 2)::VARCHAR) || '}}","ProcessName":"'
        || 'C:\\Windows\\System32\\lsass.exe","Padding":"' || repeat(md5((i + 3)::VARCHAR), 4) || '"}}' AS raw
    FROM r
    """)
    con.execute("ALTER TABLE events ADD COLUMN host_nocase VARCHAR COLLATE NOCASE")
    con.execute("UPDATE events SET host_nocase = host")
    con.execute("CHECKPOINT")


ESC = "ESCAPE '\\'"


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def cases(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, list[object]]]:
    [row] = con.execute(
        "SELECT host, process, command_line, message FROM events WHERE id = 123457"
    ).fetchall()
    host, process, command_line, message = (str(v).upper() for v in row)
    out: list[tuple[str, str, list[object]]] = [
        ("host = ? (case-sensitive, exact case)", '"host" = ?', [str(row[0])]),
        ("host_nocase = ? (COLLATE NOCASE column)", '"host_nocase" = ?', [host]),
    ]
    for column, value in (
        ("host", host),
        ("process", process),
        ("command_line", command_line),
        ("message", message),
    ):
        out.append((f"{column}: ILIKE ? ESCAPE", f'"{column}" ILIKE ? {ESC}', [like_escape(value)]))
        out.append((f"{column}: lower(col) = lower(?)", f'lower("{column}") = lower(?)', [value]))
    out += [
        (
            "host:pc-01 event_id:4624 (ILIKE)",
            f'"host" ILIKE ? {ESC} AND "event_id" = ?',
            ["pc-01", 4624],
        ),
        (
            "host:pc-01 event_id:4624 (lower=lower)",
            'lower("host") = lower(?) AND "event_id" = ?',
            ["pc-01", 4624],
        ),
        (
            "free word mimikatz: message OR raw ILIKE '%w%'",
            f'("message" ILIKE ? {ESC} OR "raw" ILIKE ? {ESC})',
            ["%mimikatz%", "%mimikatz%"],
        ),
        (
            "free word mimikatz: contains(lower(col), lower(?))",
            '(contains(lower("message"), lower(?)) OR contains(lower("raw"), lower(?)))',
            ["MIMIKATZ", "MIMIKATZ"],
        ),
        (
            "free word 4624 (common): ILIKE",
            f'("message" ILIKE ? {ESC} OR "raw" ILIKE ? {ESC})',
            ["%logonguid%", "%logonguid%"],
        ),
        (
            "free word 4624 (common): contains(lower())",
            '(contains(lower("message"), lower(?)) OR contains(lower("raw"), lower(?)))',
            ["LogonGuid", "LogonGuid"],
        ),
        ("wildcard process:*\\powershell.exe", f'"process" ILIKE ? {ESC}', ["%\\\\powershell.exe"]),
        ("wildcard user:adm?n", f'"username" ILIKE ? {ESC}', ["adm_n"]),
        ("wildcard command_line:*flag=12?", f'"command_line" ILIKE ? {ESC}', ["%flag=12_"]),
        ("range event_id:4624..4634", '"event_id" >= ? AND "event_id" <= ?', [4624, 4634]),
    ]
    return out


def timed(con: duckdb.DuckDBPyConnection, where: str, params: list[object]) -> tuple[float, int]:
    sql = f"SELECT count(*) FROM events WHERE {where}"
    [(count,)] = con.execute(sql, params).fetchall()  # warm-up
    runs = []
    for _ in range(7):
        start = time.perf_counter()
        con.execute(sql, params).fetchone()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000, count


class _Resolver:
    def __init__(self, columns: list[str]) -> None:
        self.columns = {c.lower(): c for c in columns}

    def resolve(self, name: str) -> str | None:
        from watchkeeper.core.fields import ALIASES

        key = name.lower()
        return self.columns.get(key) or self.columns.get(ALIASES.get(key, ""))

    def known_names(self) -> list[str]:
        return list(self.columns.values())


COMPILED = [
    "host:pc-01 event_id:4624",
    "mimikatz",
    "process:*\\powershell.exe",
    "user:adm?n",
    "command_line:*flag=12?",
    "-host:pc-01 event_id:4624..4634",
    "time:2026-10-02",
    "logonguid",
]


def main() -> None:
    fresh = not DB.exists()
    con = duckdb.connect(str(DB))
    if fresh:
        start = time.perf_counter()
        build(con)
        print(f"built {ROWS:,} rows in {time.perf_counter() - start:.1f} s")
    [(threads,)] = con.execute("SELECT current_setting('threads')").fetchall()
    print(f"duckdb {duckdb.__version__}, threads={threads}")
    for label, where, params in cases(con):
        ms, count = timed(con, where, params)
        print(f"{ms:8.1f} ms  {count:9,} rows  {label}")
    sys.path.insert(0, "app")
    from watchkeeper.storage.filters import compile_filter

    resolver = _Resolver([r[0] for r in con.execute("DESCRIBE events").fetchall()])
    print("compiled filters:")
    for text in COMPILED:
        compiled = compile_filter(text, resolver)
        ms, count = timed(con, compiled.where, compiled.params)
        print(f"{ms:8.1f} ms  {count:9,} rows  {text}   ->  {compiled.where[:110]}")


if __name__ == "__main__":
    main()
