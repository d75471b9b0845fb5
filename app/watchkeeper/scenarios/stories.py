"""The attacks hidden in the office's month: on which days and at what hours they happen."""

from __future__ import annotations

import random

from watchkeeper.scenarios.clock import DAY_MS, HOUR_MS, Clock
from watchkeeper.scenarios.office_macro import office_macro
from watchkeeper.scenarios.password_spray import password_spray
from watchkeeper.scenarios.remote_tool import remote_tool
from watchkeeper.scenarios.script import Plan, Script
from watchkeeper.scenarios.ssh_brute_force import ssh_brute_force


def plan(clock: Clock, rng: random.Random) -> Plan:
    """Choose working days inside the range and write the four stories on them."""
    first_day = -(-clock.start_ms // DAY_MS)  # the first whole day
    last_day = clock.end_ms // DAY_MS - 1
    days = [d for d in range(first_day, last_day + 1) if clock.weekday.get(d, 6) < 5]
    if len(days) < 4:
        days = list(range(first_day, last_day + 1)) or [clock.start_ms // DAY_MS]
    chosen = rng.sample(days, 4) if len(days) >= 4 else [rng.choice(days) for _ in range(4)]
    result = Plan()

    def at(day: int, hours: tuple[int, int]) -> int:
        t = day * DAY_MS + rng.randrange(*hours) * HOUR_MS + rng.randrange(HOUR_MS)
        return max(clock.start_ms, min(t, clock.end_ms - 4 * HOUR_MS))

    password_spray(Script(result, clock, rng), at(chosen[0], (10, 14)))
    office_macro(Script(result, clock, rng), at(chosen[1], (9, 15)))
    ssh_brute_force(Script(result, clock, rng), at(chosen[2], (19, 22)))
    remote_tool(Script(result, clock, rng), at(chosen[3], (10, 14)))
    result.lines.sort(key=lambda line: line.t_ms)
    return result
