"""The store a command works on."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from watchkeeper.core import paths

if TYPE_CHECKING:
    from watchkeeper.storage.store import Store


def open_store(args: argparse.Namespace, *, create: bool = False, write: bool = True) -> Store:
    """The store, with what the collector received meanwhile loaded first.

    Only commands that add data `create` a store; the others say there is none (unless the
    collector received something for it). A command that only reads (`write=False`) reads
    a store it may not write as it is, without loading the spool.
    """
    from watchkeeper.collect.loader import load_spool
    from watchkeeper.collect.spool import spool_folder
    from watchkeeper.core.errors import StoreError, StoreReadOnly
    from watchkeeper.storage.store import Store

    path = args.db or paths.default_db_path()
    # what the collector received and no store has loaded yet counts as data
    if not create and not path.exists() and not spool_folder(path).exists():
        raise StoreError(
            f"There is no store at {path}; import logs into it first "
            "(watchkeeper import) or choose another with --db."
        )
    try:
        store = Store(path)
    except StoreReadOnly:
        if write:
            raise
        return Store(path, read_only=True)
    try:
        load_spool(store, spool_folder(path))
    except BaseException:
        store.close()
        raise
    return store
