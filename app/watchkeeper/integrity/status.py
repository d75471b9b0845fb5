"""What the seals say at a glance, without hashing the events again (`watchkeeper status`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from watchkeeper.integrity.sealing import days_between, utc
from watchkeeper.storage import seals
from watchkeeper.storage.store import Store


def summary(store: Store, now: datetime) -> dict[str, Any]:
    """The days sealed, signed or not, the days missing a seal and the batches not yet
    hashed, with one line saying it; `watchkeeper verify` checks the events themselves."""
    day_seals = seals.day_seals(store)
    unhashed = len(seals.unhashed_batches(store))
    today = utc(now).date()
    if not day_seals:
        line = "no day sealed yet (a day is sealed once it is over)"
        return {"sealed_days": 0, "last_sealed": None, "summary": line, "unhashed": unhashed}
    sealed = {seal.day for seal in day_seals}
    missing = [d for d in days_between(day_seals[0].day, day_seals[-1].day) if d not in sealed]
    unsigned = sum(1 for seal in day_seals if seal.signature is None)
    last = day_seals[-1].day
    waiting = max((today - last - timedelta(days=1)).days, 0)
    line = f"sealed through {last.isoformat()} ({len(day_seals):,} day(s)"
    line += f", {unsigned:,} unsigned: no keyring)" if unsigned else ", signed)"
    if missing:
        line += f"; {len(missing):,} day(s) without a seal: run watchkeeper verify"
    if waiting:
        line += f"; {waiting:,} ended day(s) to seal at the next import or load"
    return {
        "sealed_days": len(day_seals),
        "last_sealed": last.isoformat(),
        "unsigned_days": unsigned,
        "days_without_seal": [d.isoformat() for d in missing],
        "unhashed": unhashed,
        "summary": line,
    }
