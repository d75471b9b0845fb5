"""Loading the demo office: generate its log files and import them, as a user would."""

from __future__ import annotations

import shutil
from pathlib import Path

from watchkeeper.core.progress import Progress
from watchkeeper.ingest.importer import import_paths
from watchkeeper.ingest.summary import ImportSummary
from watchkeeper.scenarios.generator import generate
from watchkeeper.scenarios.summary import ScenarioSummary
from watchkeeper.storage.store import Store
from watchkeeper.storage.workdirs import make_workdir

DEFAULT_EVENTS = 200_000


def load_demo(
    store: Store,
    events: int = DEFAULT_EVENTS,
    seed: int = 1,
    progress: Progress | None = None,
    keep: Path | None = None,
) -> tuple[ScenarioSummary, ImportSummary]:
    """Generate a small office's logs and import them; kept in `keep` when given.

    Without `keep`, the files are written beside the store and recorded in the ledger as
    'demo (seed N)/...', so the ledger never names a temporary folder.
    """
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        scenario = generate(keep, events=events, seed=seed, progress=progress)
        return scenario, import_paths(store, [keep], progress)
    # named after this process, so that an import running beside it never takes it for the
    # folder of a stopped one, whatever the clock says
    work = make_workdir(store.path, ".demo-")
    try:
        scenario = generate(work, events=events, seed=seed, progress=progress)
        label = (work, f"demo (seed {seed})")
        return scenario, import_paths(store, [work], progress, label=label)
    finally:
        shutil.rmtree(work, ignore_errors=True)
