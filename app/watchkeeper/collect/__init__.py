"""Receiving forwarded logs: listeners, the spool on disk, and loading it into the store."""
