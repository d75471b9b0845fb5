"""The tables of tamper evidence (schema 6): what each batch held when it was written, and
each day's signed seal over them."""

from __future__ import annotations

SEAL_TABLES = [
    # one row per batch (an `imports` row) once it is done: when it was hashed (the day whose
    # seal covers it) and the hash of its parts
    """CREATE TABLE batch_seals (
        import_id INTEGER PRIMARY KEY,
        hashed TIMESTAMP NOT NULL,
        events BIGINT NOT NULL,
        sha256 VARCHAR NOT NULL
    )""",
    # a batch's events of one event day and source: counted, hashed in id order and as a set
    # (which tells rows reordered from rows changed), with their id range
    """CREATE TABLE batch_parts (
        import_id INTEGER NOT NULL,
        day DATE NOT NULL,
        source VARCHAR NOT NULL,
        events BIGINT NOT NULL,
        first_id BIGINT NOT NULL,
        last_id BIGINT NOT NULL,
        sha256 VARCHAR NOT NULL,
        set_sha256 VARCHAR NOT NULL,
        PRIMARY KEY (import_id, day, source)
    )""",
    # one row per UTC day of writing: the Merkle root of what was written that day, chained
    # to the day before, and the chain's Ed25519 signature (NULL without a keyring)
    """CREATE TABLE day_seals (
        day DATE PRIMARY KEY,
        sealed TIMESTAMP NOT NULL,
        leaves INTEGER NOT NULL,
        root VARCHAR NOT NULL,
        chain VARCHAR NOT NULL,
        signature VARCHAR,
        public_key VARCHAR
    )""",
]
