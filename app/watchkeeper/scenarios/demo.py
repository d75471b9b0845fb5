"""Loading the demo office: generate its log files and import them, as a user would."""

from __future__ import annotations

import tempfile
from pathlib import Path

from watchkeeper.core.progress import Progress
from watchkeeper.ingest.importer import ImportSummary, import_paths
from watchkeeper.scenarios.generator import generate
from watchkeeper.scenarios.summary import ScenarioSummary
from watchkeeper.storage.store import Store

DEFAULT_EVENTS = 200_000


def load_demo(store: Store, events: int = DEFAULT_EVENTS, seed: int = 1,
              progress: Progress | None = None,
              keep: Path | None = None) -> tuple[ScenarioSummary, ImportSummary]:
    """Generate a small office's logs and import them; kept in `keep` when given.

    Without `keep`, the files are written beside the store and recorded in the ledger as
    'demo (seed N)/...', so the ledger never names a temporary folder.
    """
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        scenario = generate(keep, events=events, seed=seed, progress=progress)
        return scenario, import_paths(store, [keep], progress)
    with tempfile.TemporaryDirectory(dir=store.path.parent, prefix=".demo-") as work:
        scenario = generate(Path(work), events=events, seed=seed, progress=progress)
        label = (Path(work), f"demo (seed {seed})")
        return scenario, import_paths(store, [Path(work)], progress, label=label)
