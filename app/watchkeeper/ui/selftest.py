"""`watchkeeper --self-test`: does this copy of Watchkeeper work on this machine?

It runs headless (Qt's offscreen platform), in a temporary folder that it removes, so it
touches none of the user's data: it starts Qt, finds a font and the shipped resources,
opens a store, imports a small generated office, loads the shipped rules and runs them,
draws the main window and writes a one-page PDF. One line per check; the exit code is 1
when any check failed. Installers and their tests run it from the installed copy.
"""

from __future__ import annotations

import html
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from watchkeeper import __version__
from watchkeeper.core import paths
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.text import counted

SAMPLE_EVENTS = 2_000  # the generated office: every log format it writes, and its attacks
SAMPLE_EVTX_RECORDS = 300


class CheckFailed(Exception):
    """A check's own verdict: what is wrong, in one sentence."""


@dataclass
class SelfTest:
    out: TextIO
    work: Path
    failed: list[str] = field(default_factory=list)
    passed: int = 0
    found: dict[str, Any] = field(default_factory=dict)

    def check(self, name: str, run: Callable[[], str], needs: tuple[str, ...] = ()) -> None:
        """Run one check and print its line: ok, FAIL (with why) or skip (a need failed)."""
        missing = [need for need in needs if need in self.failed]
        if missing:
            self._line("skip", name, f"needs {', '.join(missing)}")
            self.failed.append(name)
            return
        try:
            detail = run()
        except CheckFailed as error:
            self._fail(name, str(error))
        except WatchkeeperError as error:
            self._fail(name, f"{error.title}: {error.message}")
        except Exception as error:  # the point of a self-test is to report, not to crash
            self._fail(name, f"{type(error).__name__}: {error}")
            traceback.print_exc(file=sys.stderr)
        else:
            self.passed += 1
            self._line("ok", name, detail)

    def _fail(self, name: str, reason: str) -> None:
        self.failed.append(name)
        self._line("FAIL", name, reason)

    def _line(self, verdict: str, name: str, detail: str) -> None:
        self.out.write(f"{verdict:<5} {name:<10} {detail}\n")
        self.out.flush()


def run_self_test(out: TextIO | None = None) -> int:
    """Every check, one line each; 0 when all passed, 1 otherwise."""
    out = out or sys.stdout
    started = time.perf_counter()
    frozen = "bundle" if getattr(sys, "frozen", False) else "Python package"
    out.write(
        f"Watchkeeper {__version__} self-test ({frozen}, Python "
        f"{platform.python_version()}, {platform.system()} {platform.machine()})\n"
    )
    with _isolated() as work:
        test = SelfTest(out, work)
        _run_checks(test)
    seconds = time.perf_counter() - started
    total = test.passed + len(test.failed)
    if test.failed:
        out.write(f"{len(test.failed)} of {total} checks failed ({seconds:.1f} s)\n")
        return 1
    out.write(f"All {total} checks passed in {seconds:.1f} s\n")
    return 0


@contextmanager
def _isolated() -> Iterator[Path]:
    """A temporary data folder for the run, so no setting, cache or store of the user's is used."""
    saved = {name: os.environ.get(name) for name in ("WATCHKEEPER_HOME", "QT_QPA_PLATFORM")}
    with tempfile.TemporaryDirectory(
        prefix="watchkeeper-self-test-", ignore_cleanup_errors=True
    ) as folder:
        os.environ["WATCHKEEPER_HOME"] = str(Path(folder) / "home")
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        try:
            yield Path(folder)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _run_checks(test: SelfTest) -> None:
    test.check("qt", lambda: _start_qt(test))
    test.check("font", lambda: _font(), needs=("qt",))
    test.check("resources", lambda: _resources(), needs=("qt",))
    test.check("store", lambda: _open_store(test))
    test.check("import", lambda: _import(test), needs=("store",))
    test.check("rules", lambda: _rules(test))
    test.check("detection", lambda: _detect(test), needs=("import", "rules"))
    test.check("collector", lambda: _collector(test), needs=("store",))
    test.check("window", lambda: _window(test), needs=("qt", "import"))
    test.check("pdf", lambda: _pdf(test), needs=("qt", "font", "detection"))
    store = test.found.get("store")
    if store is not None:
        store.close()


def _start_qt(test: SelfTest) -> str:
    import PySide6
    from PySide6.QtCore import qInstallMessageHandler, qVersion
    from PySide6.QtWidgets import QApplication

    qInstallMessageHandler(_on_qt_message)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "watchkeeper"])
    assert isinstance(app, QApplication)
    test.found["app"] = app  # kept, or Python would delete it with this function's frame
    return f"Qt {qVersion()} (PySide6 {PySide6.__version__}), platform {app.platformName()}"


def _on_qt_message(kind: object, context: object, message: str) -> None:
    """Qt's own warnings go to stderr, but for one the offscreen platform always gives."""
    if "propagateSizeHints" not in message:
        sys.stderr.write(f"Qt: {message}\n")


def _font() -> str:
    from PySide6.QtGui import QFontDatabase, QGuiApplication

    from watchkeeper.ui.fonts import register_bundled_fonts, use_readable_font

    app = QGuiApplication.instance()
    assert isinstance(app, QGuiApplication)
    system = set(QFontDatabase.families())
    bundled = register_bundled_fonts()
    family = use_readable_font(app)
    if not family:
        raise CheckFailed(
            f"no font can draw text ({len(QFontDatabase.families())} families "
            "found): letters would show as boxes"
        )
    origin = "the system's" if family in system else "bundled"
    return f"text is drawn in {family} ({origin}); bundled: {', '.join(bundled) or 'none'}"


def _resources() -> str:
    from PySide6.QtGui import QIcon

    icon_path = paths.resources_dir() / "icons" / "watchkeeper.svg"
    if not icon_path.is_file():
        raise CheckFailed(f"the icon is missing ({icon_path.name})")
    image = QIcon(str(icon_path)).pixmap(64, 64).toImage()
    if (
        image.isNull()
        or len({image.pixel(x, y) for x in range(0, 64, 4) for y in range(0, 64, 4)}) < 3
    ):
        raise CheckFailed("the SVG icon does not draw (is Qt's SVG image plugin missing?)")
    rule_files = sum(1 for _ in paths.rules_dir().rglob("*.yml"))
    if not rule_files:
        raise CheckFailed(f"no rules in {paths.rules_dir().name}/")
    return f"icon draws; {rule_files} shipped rule files"


def _open_store(test: SelfTest) -> str:
    import duckdb

    from watchkeeper.storage.store import Store

    store = Store(test.work / "self-test.duckdb")
    test.found["store"] = store
    return f"a new DuckDB {duckdb.__version__} store opens"


def _import(test: SelfTest) -> str:
    from watchkeeper.ingest.importer import import_paths
    from watchkeeper.scenarios.demo import load_demo
    from watchkeeper.scenarios.evtx_samples import write_large_set

    store = test.found["store"]
    _, office = load_demo(store, events=SAMPLE_EVENTS)
    # The office's Windows logs come as NXLog JSON; EVTX files go through another parser.
    windows = import_paths(store, write_large_set(test.work / "evtx", SAMPLE_EVTX_RECORDS))
    files = office.files + windows.files
    failed = [f for f in files if f.status == "failed"]
    if failed:
        raise CheckFailed(f"{failed[0].name} failed: {failed[0].message}")
    if not office.events or windows.events != SAMPLE_EVTX_RECORDS:
        raise CheckFailed(
            f"{office.events:,} of the office's events and {windows.events:,} of "
            f"{SAMPLE_EVTX_RECORDS} EVTX records were stored"
        )
    formats = sorted({f.format for f in files if f.format})
    return (
        f"{counted(office.events + windows.events, 'event')} from "
        f"{counted(len(files), 'generated file')} "
        f"({', '.join(formats)})"
    )


def _rules(test: SelfTest) -> str:
    from watchkeeper.core.settings import Settings
    from watchkeeper.detection import service

    ruleset = service.load(settings=Settings())
    if ruleset.problems:
        problem = ruleset.problems[0]
        raise CheckFailed(f"{problem.path} {problem.reason}")
    if not ruleset.rules:
        raise CheckFailed("no shipped rules were loaded")
    test.found["ruleset"] = ruleset
    return f"{counted(len(ruleset.rules), 'shipped rule')} from {counted(ruleset.files, 'file')}"


def _detect(test: SelfTest) -> str:
    from watchkeeper.detection import service

    _, report = service.run(test.found["store"], ruleset=test.found["ruleset"])
    if report.failures:
        failure = report.failures[0]
        raise CheckFailed(f"rule {failure.title} failed: {failure.reason}")
    if not report.new_hits:
        raise CheckFailed("the generated office's attacks were not found")
    return f"{counted(report.new_hits, 'hit')} from {counted(len(report.hits_by_rule), 'rule')}"


def _collector(test: SelfTest) -> str:
    import socket

    from watchkeeper.collect.listeners import Listeners, ListenerSettings
    from watchkeeper.collect.loader import load_spool
    from watchkeeper.collect.spool import Spool, spool_folder

    store = test.found["store"]
    folder = spool_folder(store.path)
    spool = Spool(folder, segment_seconds=0)
    listeners = Listeners(ListenerSettings(ports={"syslog-tcp": 0, "syslog-udp": 0}), spool)
    listeners.start()
    try:
        addresses = listeners.addresses()
        line = b"<13>Nov 23 10:00:00 self-test watchkeeper[1]: forwarded over "
        with socket.create_connection(addresses["syslog-tcp"], timeout=5) as tcp:
            tcp.sendall(line + b"TCP\n")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(line + b"UDP", addresses["syslog-udp"])
        deadline = time.monotonic() + 5
        while spool.appended < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        listeners.stop()
        spool.close()
    loaded = load_spool(store, folder).events
    if loaded != 2:
        raise CheckFailed(f"{loaded} of 2 messages sent over TCP and UDP reached the store")
    return "syslog over TCP and UDP on loopback reached the store"


def _window(test: SelfTest) -> str:
    from PySide6.QtWidgets import QApplication

    from watchkeeper.core.settings import Settings
    from watchkeeper.ui.main_window import MainWindow

    window = MainWindow(test.found["store"], Settings())
    try:
        window.resize(1200, 800)
        window.show()
        QApplication.processEvents()
        image = window.grab().toImage()
        colours = {
            image.pixel(x, y)
            for x in range(0, image.width(), 16)
            for y in range(0, image.height(), 16)
        }
        if len(colours) < 4:
            raise CheckFailed("the main window draws blank")
        return f"the main window draws ({image.width()}x{image.height()})"
    finally:
        window.close()  # waits for the window's jobs
        window.deleteLater()


def _pdf(test: SelfTest) -> str:
    from watchkeeper.incidents.pdf import write_pdf
    from watchkeeper.storage.hits import HitFilter, rule_hits

    store = test.found["store"]
    events = store.fetch_one("SELECT count(*) FROM events")[0]
    rows = "".join(
        f"<tr><td>{html.escape(h.level or '')}</td><td>{html.escape(h.title)}</td>"
        f"<td align='right'>{h.count:,}</td></tr>"
        for h in rule_hits(store, HitFilter())[:12]
    )
    page = (
        f"<h1>Watchkeeper self-test</h1><p>Version {html.escape(__version__)}: "
        f"{counted(events, 'event')} of a generated office.</p>"
        f"<table cellpadding='3'><tr><th>Level</th><th>Rule</th><th>Hits</th></tr>"
        f"{rows}</table>"
    )
    path = test.work / "self-test.pdf"
    pages = write_pdf(page, path, title="Watchkeeper self-test")
    head = path.read_bytes()[:5]
    if head != b"%PDF-":
        raise CheckFailed(f"{path.name} is not a PDF (starts with {head!r})")
    if pages != 1:
        raise CheckFailed(f"one page was expected, {pages} were written")
    return f"one page written ({path.stat().st_size / 1024:.0f} KB)"
