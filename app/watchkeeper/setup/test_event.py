"""The test event of step 4: a unique marker, and the command that sends it from a source.

The marker travels the way the source's logs do (rsyslog, NXLog, the macOS agent, the
device's syslog), so finding it in the store proves that path end to end.
"""

from __future__ import annotations

import re
import secrets

from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.setup.endpoint import Endpoint
from watchkeeper.setup.plan import LoggingPlan, PlannedSource
from watchkeeper.storage.plan_evidence import MARKER_PREFIX

# safe inside double quotes in sh, cmd and PowerShell, and in a syslog message
_MARKER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{3,63}$")
TEST_TAG = "watchkeeper-test"


class MarkerError(WatchkeeperError):
    title = "Not a test marker"


def new_marker() -> str:
    """A marker no log holds by chance: WK-TEST- and ten random hex digits."""
    return MARKER_PREFIX + secrets.token_hex(5).upper()


def marker_problem(marker: str) -> str:
    """Why `marker` cannot be used, in one sentence; empty when it can."""
    if _MARKER.match(marker):
        return ""
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in marker)[:40]
    return (
        f"“{shown}” is not a test marker: use 4 to 64 letters, digits, dashes or "
        "underscores, such as one `new_marker` makes."
    )


def test_command(source: PlannedSource, plan: LoggingPlan, endpoint: Endpoint, marker: str) -> str:
    """The exact command (or, for a device, the action) that sends `marker` from `source`."""
    problem = marker_problem(marker)
    if problem:
        raise MarkerError(problem)
    if source.platform == "linux":
        # through the system logger, so it takes the path rsyslog forwards
        return f'logger -t {TEST_TAG} "{marker}"'
    if source.platform in ("windows", "domain_controller"):
        # eventcreate writes only to Application or System; the System log is the one the
        # generated NXLog configuration forwards with the rest
        return f'eventcreate /T INFORMATION /ID 100 /L SYSTEM /SO Watchkeeper /D "{marker}"'
    if source.platform == "macos":
        return f'logger "{marker}"'
    if source.platform == "network":
        return (
            f"Sign in to the device's admin page once with the user name {marker} and any "
            f"password: the failed sign-in is logged and sent to {endpoint.address}."
        )
    return "Phones and tablets do not forward logs: import your MDM's export in Devices."


def test_hint(source: PlannedSource, plan: LoggingPlan) -> str:
    """Where and how to run the test command, in one sentence."""
    if source.platform == "linux":
        return "Run it in a terminal on the server; it goes through rsyslog like its other logs."
    if source.platform in ("windows", "domain_controller"):
        logs = plan.logs_for(source)
        note = (
            ""
            if "windows-system" in logs
            else " Add the Windows System log to the plan, or it will not be forwarded."
        )
        return (
            "Run it in a Command Prompt opened as administrator; it writes to the System "
            "log, which NXLog forwards." + note
        )
    if source.platform == "macos":
        return "Run it in Terminal on the Mac; the launchd agent forwards the unified log."
    if source.platform == "network":
        return "Use the device's own sign-in page; nothing is installed on it."
    return ""


# not tests, whatever their names say, when a test module imports them
test_command.__test__ = False  # type: ignore[attr-defined]
test_hint.__test__ = False  # type: ignore[attr-defined]
