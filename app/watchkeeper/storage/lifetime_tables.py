"""The tables of storage lifetime (schema version 6): the archive's manifest, one row per
Parquet file a roll-over wrote with its hashes and its deletion once past retention; the
record of every deletion; and the disk guard's samples of the disk and the store's size."""

from __future__ import annotations

LIFETIME_TABLES = [
    """CREATE TABLE archive_files (
        id INTEGER PRIMARY KEY,
        path VARCHAR NOT NULL UNIQUE,
        event_table VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        day DATE NOT NULL,
        events BIGINT NOT NULL,
        bytes BIGINT NOT NULL,
        sha256 VARCHAR NOT NULL,
        content_sha256 VARCHAR NOT NULL,
        first_id BIGINT,
        last_id BIGINT,
        last_received TIMESTAMP,
        written TIMESTAMP NOT NULL,
        state VARCHAR NOT NULL,
        delete_after TIMESTAMP,
        held BOOLEAN NOT NULL DEFAULT false
    )""",
    """CREATE TABLE archive_deletions (
        id INTEGER PRIMARY KEY,
        deleted TIMESTAMP NOT NULL,
        path VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        day DATE NOT NULL,
        events BIGINT NOT NULL,
        sha256 VARCHAR NOT NULL,
        content_sha256 VARCHAR NOT NULL,
        reason VARCHAR NOT NULL
    )""",
    # the disk guard's samples of the disk and the store's size
    "CREATE TABLE disk_samples (taken TIMESTAMP NOT NULL, disk_used BIGINT NOT NULL, "
    "disk_total BIGINT NOT NULL, stored BIGINT NOT NULL)",
]
