"""A checkpoint: the latest signed seal, small enough to copy off this machine.

Kept elsewhere, it proves later that nothing written up to its day has changed since: the
chain value the stored events give for that day must still be the one it holds, signed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.integrity.signing import signature_holds
from watchkeeper.integrity.verify import Report
from watchkeeper.storage.seals import DaySeal


class CheckpointError(WatchkeeperError):
    title = "Checkpoint not usable"


@dataclass(frozen=True)
class Checkpoint:
    day: date
    chain: str
    signature: str
    public_key: str


def latest(seals: list[DaySeal]) -> Checkpoint:
    """The newest seal as a checkpoint; it must be signed to prove anything."""
    if not seals:
        raise CheckpointError(
            "No day has been sealed yet: a day is sealed once it is over, at the next "
            "import or collector load after midnight (UTC)."
        )
    seal = seals[-1]
    if seal.signature is None or seal.public_key is None:
        raise CheckpointError(
            f"The latest seal ({seal.day.isoformat()}) is unsigned, because no keyring was "
            "available when it was made; a checkpoint of it would prove nothing."
        )
    return Checkpoint(seal.day, seal.chain, seal.signature, seal.public_key)


def to_text(checkpoint: Checkpoint) -> str:
    return (
        json.dumps(
            {
                "day": checkpoint.day.isoformat(),
                "chain": checkpoint.chain,
                "signature": checkpoint.signature,
                "public_key": checkpoint.public_key,
            },
            separators=(",", ":"),
        )
        + "\n"
    )


def from_text(text: str, name: str) -> Checkpoint:
    try:
        document = json.loads(text)
        checkpoint = Checkpoint(
            day=date.fromisoformat(document["day"]),
            chain=str(document["chain"]),
            signature=str(document["signature"]),
            public_key=str(document["public_key"]),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointError(
            f"{name} is not a Watchkeeper checkpoint (a small JSON document with day, chain, "
            "signature and public_key)."
        ) from error
    return checkpoint


def check_against(report: Report, checkpoint: Checkpoint) -> str | None:
    """None when the store still gives the checkpoint's chain; else what is wrong."""
    day = checkpoint.day.isoformat()
    if not signature_holds(
        checkpoint.public_key, checkpoint.day, checkpoint.chain, checkpoint.signature
    ):
        return f"the checkpoint of {day} is not validly signed: it was edited"
    chain = report.chain.get(checkpoint.day)
    if chain is None:
        return f"the store has no seal for {day}, the checkpoint's day: seals were removed"
    if chain != checkpoint.chain:
        return (
            f"what the store holds up to {day} differs from when the checkpoint was made: "
            "events, batches or seals up to that day were changed"
        )
    return None
