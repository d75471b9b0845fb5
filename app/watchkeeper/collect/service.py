"""The collector: listeners feeding the spool, and loading the spool into the store.

`watchkeeper collect` runs it headless; the window runs the same thing in-process. The
store is opened only to load (then closed again), so that whichever process wants the
store can have it: when the window is open it owns the store and loads the spool itself,
and the headless collector keeps receiving into the spool.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from watchkeeper.collect.listeners import CollectError, Listeners, ListenerSettings
from watchkeeper.collect.loader import load_spool
from watchkeeper.collect.presence import Presence, announce, withdraw
from watchkeeper.collect.spool import Spool, spool_folder
from watchkeeper.core.disk import DiskFull, DiskPaused, disk_full_sentence, is_disk_full
from watchkeeper.core.errors import StoreError, WatchkeeperError
from watchkeeper.core.settings import LISTENERS, Settings
from watchkeeper.ingest.summary import ImportSummary
from watchkeeper.storage.store import Store

log = logging.getLogger(__name__)

LOAD_EVERY = 2.0  # seconds between loads of the spool
TEST_TIMEOUT = 15.0
SAMPLE_DISK_EVERY = 300.0  # seconds; the store keeps one sample an hour


@dataclass
class LoadReport:
    """What one pass of the loader did."""

    segments: int = 0
    events: int = 0
    quarantined: int = 0
    new_hits: int = 0


@dataclass
class Totals:
    """What the loader did since the collector started."""

    loads: int = 0
    events: int = 0
    quarantined: int = 0
    new_hits: int = 0
    last_error: str = ""
    disk_full: str = ""  # while the store's disk is full, the sentence that says so


def listener_settings(settings: Settings, ports: dict[str, int] | None = None) -> ListenerSettings:
    """The listeners the user turned on (or `ports`), with TLS and the HTTP token when used."""
    chosen = dict(ports if ports is not None else settings.listeners)
    unknown = sorted(set(chosen) - set(LISTENERS))
    if unknown:
        raise CollectError(
            f"There is no listener called {unknown[0]} (there are {', '.join(LISTENERS)}).",
            title="Collector not started",
        )
    tls = None
    token = None
    if {"syslog-tls", "json-tls"} & set(chosen):
        tls = _tls_context(settings)
    if "http" in chosen:
        from watchkeeper.collect.certificates import ensure_http_token

        token = ensure_http_token()
    return ListenerSettings(
        ports=chosen,
        bind="0.0.0.0" if settings.listen_on_network else "127.0.0.1",
        tls=tls,
        http_token=token,
        max_connections_per_sender=settings.connections_per_sender,
        idle_seconds=settings.connection_idle_seconds,
    )


def _tls_context(settings: Settings) -> ssl.SSLContext:
    from watchkeeper.collect import certificates, secrets
    from watchkeeper.core import paths

    if settings.tls_certificate:
        files = certificates.user_certificate(
            Path(settings.tls_certificate), Path(settings.tls_key or settings.tls_certificate)
        )
        return certificates.server_context(files, None)
    files = certificates.ensure_certificate(paths.config_dir() / "tls")
    return certificates.server_context(files, secrets.get_secret(certificates.PASSPHRASE_SECRET))


class Collector:
    """Receives into the spool; loads it into the store at `db_path` when it can."""

    def __init__(
        self,
        db_path: Path,
        settings: Settings,
        listeners: ListenerSettings,
        load: bool = True,
        detect: bool = True,
        on_loaded: Callable[[LoadReport], None] | None = None,
    ) -> None:
        self.db_path = db_path
        self.settings = settings
        self.folder = spool_folder(db_path)
        self.spool = Spool(self.folder)
        self.listeners = Listeners(listeners, self.spool)
        self.load_enabled = load
        self.detect = detect
        self.on_loaded = on_loaded
        self.totals = Totals()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._ruleset: object | None = None
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # tests pin it
        self._started = ""
        self._sampled = -SAMPLE_DISK_EVERY

    def _announce(self) -> None:
        """Tell `watchkeeper status` and the window that this collector runs, and whether
        it only keeps its spool."""
        listening = ", ".join(
            f"{name} {host}:{port}" for name, (host, port) in self.listeners.addresses().items()
        )
        announce(
            self.db_path,
            Presence(os.getpid(), self._started, listening, self.totals.disk_full),
        )

    def start(self) -> None:
        self.listeners.start()
        self._started = datetime.now(UTC).isoformat(timespec="seconds")
        self._announce()
        if self.load_enabled:
            self._spawn(self._load_loop, "watchkeeper-loader")
        if self.settings.heartbeat_minutes:
            self._spawn(self._heartbeat_loop, "watchkeeper-heartbeat")

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self.listeners.stop()
        for thread in self._threads:
            thread.join(timeout=30)
        try:
            self.spool.close()
        except OSError as error:  # a full disk: the next start seals what is left open
            log.error("the spool's last segment was not sealed: %s", error)
        if self.load_enabled:
            self.load_once()  # what the last second brought
        withdraw(self.db_path)

    def request_stop(self) -> None:
        """Ask the collector to stop (from a signal handler); `stop()` does the stopping."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until a stop is requested, or `timeout` passes; whether it was requested."""
        return self._stop.wait(timeout)

    # loading -------------------------------------------------------------------------

    def _load_loop(self) -> None:
        while not self._stop.wait(LOAD_EVERY):
            self.load_once()

    def load_once(self, store: Store | None = None) -> LoadReport:
        """Load what is waiting, opening the store for the time it takes unless given one."""
        report = LoadReport()
        paused_before = self.totals.disk_full
        try:
            self.spool.tick()
            if store is not None:
                summary = load_spool(store, self.folder)
                self._after_load(store, summary, report)
            else:
                with Store(self.db_path) as opened:
                    summary = load_spool(opened, self.folder)
                    self._after_load(opened, summary, report)
                    self._retain(opened)
        except Exception as error:  # the loader goes on: what waits is loaded next time
            self._load_failed(error)
        if self.totals.disk_full != paused_before and self._started:
            self._announce()
        self.totals.loads += 1
        if report.segments and self.on_loaded is not None:
            self.on_loaded(report)
        return report

    def _load_failed(self, error: Exception) -> None:
        if isinstance(error, DiskPaused):  # spool-only: the guard's sentence says so
            if not self.totals.disk_full:
                log.warning("loading the spool paused: %s", error.message)
            self.totals.disk_full = error.message
        elif is_disk_full(error):
            if not self.totals.disk_full:
                log.error("loading the spool stopped: the disk is full: %s", error)
            self.totals.disk_full = disk_full_sentence(
                self.db_path, "what was received waits in the spool and is loaded"
            )
        elif isinstance(error, StoreError) and "another Watchkeeper process" in error.message:
            pass  # another process owning the store is no error: the spool waits for it
        elif isinstance(error, WatchkeeperError):
            self.totals.last_error = error.message
        else:
            log.exception("loading the spool failed")
            self.totals.last_error = f"Loading the spool failed: {error}"

    def _after_load(self, store: Store, summary: ImportSummary, report: LoadReport) -> None:
        if summary.disk_full:
            paused = DiskPaused if summary.paused else DiskFull
            self._load_failed(paused(summary.disk_full))
        else:
            self.totals.disk_full = ""
        report.segments = len(summary.files)
        report.events = summary.events
        report.quarantined = summary.quarantined
        from watchkeeper.storage.hits import unseen_events

        # these events, or those of a run that was stopped before it saved its hits
        if self.detect and unseen_events(store):
            from watchkeeper.detection import service

            ruleset, detected = service.run(store, settings=self.settings, ruleset=self._ruleset)  # type: ignore[arg-type]
            self._ruleset = ruleset
            report.new_hits = detected.new_hits
        self._sample_disk(store)
        from watchkeeper.integrity.sealing import seal_due

        if not summary.disk_full:
            seal_due(store, self.clock())  # the days that ended since the last load
        self.totals.events += report.events
        self.totals.quarantined += report.quarantined
        self.totals.new_hits += report.new_hits

    def _retain(self, store: Store) -> None:
        """The retention policy, when due, while the collector owns the store (the window
        runs it itself while it is open)."""
        from watchkeeper.retention import policy

        settings = self.settings
        policy.run_if_due(store, settings.retention_months, settings.hot_days, self.clock())

    def _sample_disk(self, store: Store) -> None:
        """The disk guard's hourly sample, while the collector runs with nobody looking."""
        if time.monotonic() - self._sampled < SAMPLE_DISK_EVERY:
            return
        self._sampled = time.monotonic()
        from watchkeeper.storage.disk_history import disk_report

        with contextlib.suppress(OSError):
            disk_report(store, datetime.now(UTC))

    # proving the path -------------------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        interval = self.settings.heartbeat_minutes * 60
        while not self._stop.wait(interval):
            with contextlib.suppress(WatchkeeperError, OSError):
                self.send(test_message("heartbeat"))

    def send(self, message: bytes) -> str:
        """Send one syslog message to our own listener, as a sender on this machine would."""
        addresses = self.listeners.addresses()
        for name, kind in (("syslog-tcp", socket.SOCK_STREAM), ("syslog-udp", socket.SOCK_DGRAM)):
            if name not in addresses:
                continue
            host, port = addresses[name]
            target = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
            with socket.socket(
                socket.AF_INET6 if ":" in target else socket.AF_INET, kind
            ) as sender:
                sender.settimeout(5)
                sender.connect((target, port))
                sender.sendall(message + b"\n")
            return f"{name} on {target}:{port}"
        raise CollectError(
            "A test event needs the syslog TCP or UDP listener turned on.",
            title="No test event sent",
        )


def receiving_sentence(collector: Collector) -> str:
    """Where it listens, what it took, and what it had to drop or refuse: one line."""
    stats = collector.listeners.stats()
    names = ", ".join(
        f"{name} {host}:{port}" for name, (host, port) in collector.listeners.addresses().items()
    )
    parts = [f"Receiving on {names}: {collector.spool.appended:,} messages"]
    if stats.udp_dropped:
        parts.append(f"{stats.udp_dropped:,} UDP datagrams dropped by the system")
    if stats.discarded:
        parts.append(f"{stats.discarded:,} UDP messages discarded (spool full)")
    rejected = sum(stats.rejected.values())
    if rejected:
        parts.append(f"{rejected:,} messages refused from {len(stats.rejected)} sender(s)")
    if stats.refused:
        parts.append(f"{stats.refused:,} connections refused (a sender over its share, or blocked)")
    if stats.blocked:
        parts.append(f"blocked for sending garbage: {', '.join(sorted(stats.blocked))}")
    if stats.paused:
        parts.append("senders slowed: the spool is over its budget")
    # a full disk in one sentence, whether the spool or the store found it so
    problem = stats.spool_problem or collector.totals.disk_full
    if problem:
        parts.append(problem.rstrip("."))
    return "; ".join(parts)


def test_message(purpose: str = "test") -> bytes:
    """An RFC 5424 message with a unique marker, from Watchkeeper itself."""
    marker = f"watchkeeper-{purpose}-{uuid.uuid4().hex[:12]}"
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    host = socket.gethostname() or "localhost"
    return (
        f"<14>1 {stamp} {host} watchkeeper - {purpose} - Watchkeeper {purpose} event {marker}"
    ).encode()


def send_test_event(collector: Collector, store: Store | None = None) -> str:
    """Send a test event through the listener and wait until it is searchable; one sentence."""
    message = test_message()
    marker = message.rsplit(b" ", 1)[-1].decode()
    started = time.monotonic()
    path = collector.send(message)
    while time.monotonic() - started < TEST_TIMEOUT:
        collector.spool.tick()
        if store is not None:
            collector.load_once(store)
            found = _has_marker(store, marker)
        else:
            collector.load_once()
            try:
                with Store(collector.db_path, read_only=True) as reader:
                    found = _has_marker(reader, marker)
            except StoreError:
                found = False
        if found:
            return (
                f"The test event went through {path} and was in the store "
                f"{time.monotonic() - started:.1f} s later."
            )
        time.sleep(0.2)
    raise CollectError(
        f"The test event sent through {path} did not reach the store within {TEST_TIMEOUT:.0f} s.",
        title="Test event lost",
    )


def _has_marker(store: Store, marker: str) -> bool:
    row = store.fetch_one(
        "SELECT count(*) FROM events WHERE source = 'syslog' AND message LIKE ?", [f"%{marker}"]
    )
    return bool(row and row[0])
