"""The health of forwarded sources: one row per sender and application, and whether it is silent.

A source is a sender (the address a message came from) and an application: the channel of a
Windows event (or its provider when it has no channel), else the process that logged it,
else the format ('json'). A Windows PC forwarding through NXLog is then one row per event log
(Security, System, Sysmon), the way its forwarding is configured, rather than one per provider.

Only forwarded events count (imports of the collector's spool), so an imported file never
looks like a sender gone quiet. Everything is aggregated in one DuckDB statement; Python only
shapes the few rows that come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from watchkeeper.core.fields import quote_ident
from watchkeeper.core.progress import Progress
from watchkeeper.storage.store import Store

Status = Literal["receiving", "late", "silent"]
ExpectedFrom = Literal["set", "learned", "default"]
STATUSES: tuple[Status, ...] = ("silent", "late", "receiving")  # the worst first
# The imports that are loads of the collector's spool: their events were forwarded, the rest
# came from files (history, of which nobody expects more).
FORWARDED_IMPORTS = "SELECT id FROM imports WHERE format = 'forwarded'"

SPARK_MINUTES = 60  # per_minute covers this many minutes, ending at `now`
RATE_MINUTES = 15
LEARN_DAYS = 1  # the rhythm is learned from the day of traffic before a source's last message
MIN_GAPS = 10  # fewer gaps than this in that day: no rhythm to learn, DEFAULT_EXPECTED
GAP_PERCENTILE = 0.95
MARGIN = 3.0  # expected = MARGIN x the 95th percentile gap ...
FLOOR_SECONDS = 300.0  # ... but never less than five minutes
DEFAULT_EXPECTED = 86_400.0  # a source that sends a few times a day is silent after a day
LATE_FRACTION = 0.5  # late once quiet for half of the expected interval
# Transports that encrypt on the wire. Plain HTTP is not: an HTTP listener behind TLS records
# its messages as 'tls' or 'https'. 'test' (the app's own test event) never crosses a network
# and is left out of the judgement.
ENCRYPTED = frozenset(("tls", "https"))
NOT_A_NETWORK = frozenset(("test",))


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One sender and application, as the Sources view and `watchkeeper sources` show it."""

    key: str  # "sender|application": the key of Settings.source_intervals
    sender: str  # the address it sends from (the host name when the message did not say)
    host: str  # the host name its messages give most often
    application: str
    format: str  # the source type of its events: syslog, json, nxlog
    transports: list[str]  # udp, tcp, tls, http, test; sorted
    encrypted: bool | None  # every message over TLS; None when the transport is unknown
    first_seen: datetime  # receive times, naive UTC like the store's
    last_seen: datetime
    events: int
    per_minute: list[int]  # SPARK_MINUTES counts, oldest first, the last ending at `now`
    rate: float  # events a minute over the last RATE_MINUTES
    skew_seconds: float | None  # median of received - event time; None without event times
    gap_seconds: float | None  # its 95th percentile gap (to the minute); None when unlearned
    expected_seconds: float  # quiet for longer than this is silent
    expected_from: ExpectedFrom  # set by the user, learned from its rhythm, or the default
    learned: bool
    quiet_seconds: float  # from last_seen to `now`
    status: Status


def source_key(sender: str, application: str) -> str:
    return f"{sender}|{application}"


def _optional(store: Store, name: str) -> str:
    """An original field column, or NULL while no event has brought it."""
    column = store.columns.get(name)
    return quote_ident(column) if column is not None else "NULL"


def _sql(store: Store) -> str:
    sender, transport = _optional(store, "sender"), _optional(store, "transport")
    application = (
        "coalesce(nullif(channel, ''), nullif(provider, ''), nullif(process, ''), source, '')"
    )
    # One pass gives totals; the day before each source's last message gives its rhythm
    # (the gaps between the minutes it was heard in) and its clock skew. Sources are grouped
    # on a hash of their key: grouping and joining on strings took twice as long. Keeping
    # the keyed rows once (MATERIALIZED) rather than reading them three times saved a
    # quarter at a million events.
    return f"""
WITH forwarded AS (
    SELECT coalesce({sender}, host, '') AS sender, {application} AS application,
           host, source, {transport} AS transport, received, "time"
    FROM events WHERE import_id IN ({FORWARDED_IMPORTS})
), keyed AS MATERIALIZED (
    SELECT hash(sender, application) AS k, * FROM forwarded
), totals AS (
    SELECT k, any_value(sender) AS sender, any_value(application) AS application,
           mode(host) AS host, mode(source) AS format,
           list_sort(list(DISTINCT transport) FILTER (transport IS NOT NULL)) AS transports,
           min(received) AS first_seen, max(received) AS last_seen, count(*) AS events,
           count(*) FILTER (received > $1::TIMESTAMP - INTERVAL {RATE_MINUTES} MINUTE
                            AND received <= $1::TIMESTAMP) AS recent
    FROM keyed GROUP BY k
), last_day AS (
    SELECT k, received, "time" FROM keyed JOIN totals USING (k)
    WHERE received >= last_seen - INTERVAL {LEARN_DAYS} DAY
), skew AS (
    SELECT k, median(epoch(received) - epoch("time")) AS skew FROM last_day GROUP BY k
), minutes_heard AS (
    SELECT k, epoch(received)::BIGINT // 60 AS minute, count(*) AS n FROM last_day GROUP BY ALL
), gaps AS (
    SELECT k, n, (minute - lag(minute) OVER (PARTITION BY k ORDER BY minute)) * 60 AS gap
    FROM minutes_heard
), ranked AS (
    -- gaps within a minute count as shorter than any between minutes
    SELECT k, gap, sum(n) OVER (PARTITION BY k) - 1 AS gap_count,
           row_number() OVER (PARTITION BY k ORDER BY gap DESC NULLS LAST) AS rank
    FROM gaps
), rhythm AS (
    SELECT k, max(gap_count) AS gap_count,
           coalesce(max(gap) FILTER (rank = floor(gap_count * (1 - {GAP_PERCENTILE})) + 1), 0)
               AS gap
    FROM ranked GROUP BY k
), spark AS (
    SELECT k, list(struct_pack(ago, n)) AS minutes FROM (
        SELECT k, floor((epoch_ms($1::TIMESTAMP) - epoch_ms(received)) / 60000)::INTEGER AS ago,
               count(*) AS n
        FROM keyed
        WHERE received > $1::TIMESTAMP - INTERVAL {SPARK_MINUTES} MINUTE
          AND received <= $1::TIMESTAMP
        GROUP BY ALL)
    GROUP BY k
)
SELECT t.sender, t.application, t.host, t.format, t.transports, t.first_seen, t.last_seen,
       t.events, t.recent, s.skew, r.gap_count, r.gap, p.minutes
FROM totals AS t LEFT JOIN skew AS s USING (k) LEFT JOIN rhythm AS r USING (k)
     LEFT JOIN spark AS p USING (k)
"""


def source_rows(
    store: Store,
    now: datetime,
    intervals: dict[str, float] | None = None,
    progress: Progress | None = None,
) -> list[SourceRow]:
    """Every forwarded source at `now`, the silent first, then late, then by sender.

    Status: quiet (now - last seen) beyond the expected interval is *silent*; beyond half of
    it, *late*; otherwise *receiving*. The expected interval is the user's (`intervals`, by
    key) when set; else learned from the source's rhythm in the day before its last message,
    as three times the 95th percentile of the gaps between its messages and at least five
    minutes; else, with fewer than ten gaps to learn from, a day. Learning from the day
    before its last message rather than before `now` keeps the interval of a source that has
    stopped. With the margin of three, *late* means quiet for one and a half times its usual
    longest gap. The app's own test events (transport 'test' only) are judged only once they
    have a rhythm (a heartbeat) or an interval: a test sent by hand last week is not silence.
    """
    now = naive_utc(now)
    rows = store.fetch_all(_sql(store), [now], progress)
    intervals = intervals or {}
    found = [_row(values, now, intervals) for values in rows]
    found.sort(
        key=lambda row: (
            STATUSES.index(row.status),
            row.sender.lower(),
            row.application.lower(),
            row.key,
        )
    )
    return found


def forwarded_hosts(store: Store, progress: Progress | None = None) -> dict[str, datetime]:
    """Hosts that forward their logs (name in lower case) and when one was last received.

    Only these are expected to keep sending: a host known only from imported files is history.
    """
    rows = store.fetch_all(
        f"SELECT lower(host), max(received) FROM events WHERE import_id IN ({FORWARDED_IMPORTS}) "
        "AND host IS NOT NULL AND trim(host) <> '' GROUP BY 1",
        None,
        progress,
    )
    return {str(host): received for host, received in rows}


def silent_sources(rows: list[SourceRow]) -> list[SourceRow]:
    """The silent ones, longest quiet first."""
    return sorted(
        (row for row in rows if row.status == "silent"), key=lambda row: -row.quiet_seconds
    )


def expected_interval(
    gap_count: int | None, gap: float | None, user: float | None
) -> tuple[float, ExpectedFrom]:
    """The quiet spell after which a source is silent, and where that figure came from."""
    if user is not None and user > 0:
        return float(user), "set"
    if gap_count is None or gap_count < MIN_GAPS or gap is None:
        return DEFAULT_EXPECTED, "default"
    return max(FLOOR_SECONDS, MARGIN * float(gap)), "learned"


def status_of(quiet_seconds: float, expected_seconds: float) -> Status:
    if quiet_seconds > expected_seconds:
        return "silent"
    if quiet_seconds > expected_seconds * LATE_FRACTION:
        return "late"
    return "receiving"


def _row(values: tuple[Any, ...], now: datetime, intervals: dict[str, float]) -> SourceRow:
    (
        sender,
        application,
        host,
        format_,
        transports,
        first_seen,
        last_seen,
        events,
        recent,
        skew,
        gap_count,
        gap,
        minutes,
    ) = values
    key = source_key(sender, application)
    network = [name for name in transports or [] if name not in NOT_A_NETWORK]
    per_minute = [0] * SPARK_MINUTES
    for minute in minutes or []:
        ago = int(minute["ago"])
        if 0 <= ago < SPARK_MINUTES:
            per_minute[SPARK_MINUTES - 1 - ago] += int(minute["n"])
    expected, expected_from = expected_interval(gap_count, gap, intervals.get(key))
    quiet = max(0.0, (now - last_seen).total_seconds())
    status = status_of(quiet, expected)
    if not network and transports and expected_from == "default":
        status = "receiving"  # test events sent by hand: nothing is expected of them
    return SourceRow(
        key=key,
        sender=sender,
        host=host or "",
        application=application,
        format=format_ or "",
        transports=list(transports or []),
        encrypted=all(name in ENCRYPTED for name in network) if network else None,
        first_seen=first_seen,
        last_seen=last_seen,
        events=int(events),
        per_minute=per_minute,
        rate=int(recent) / RATE_MINUTES,
        skew_seconds=None if skew is None else float(skew),
        gap_seconds=float(gap) if expected_from == "learned" else None,
        expected_seconds=expected,
        expected_from=expected_from,
        learned=expected_from == "learned",
        quiet_seconds=quiet,
        status=status,
    )


def naive_utc(stamp: datetime) -> datetime:
    """The store keeps naive UTC; an aware time is converted, a naive one taken as UTC."""
    if stamp.tzinfo is None:
        return stamp
    return stamp.astimezone(UTC).replace(tzinfo=None)
