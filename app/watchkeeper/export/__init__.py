"""Events out of the store for a bigger engine: Elastic Common Schema NDJSON for `_bulk`."""
