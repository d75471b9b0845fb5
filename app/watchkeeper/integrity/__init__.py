"""Tamper evidence: batch hashes in a daily Merkle tree, chained from day to day and signed."""
