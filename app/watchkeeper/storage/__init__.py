"""The DuckDB store: the only home of connections and SQL."""
