"""Merkle tree hashing as RFC 9162 (Certificate Transparency 2.0) defines it, and the chain.

Leaves and inner nodes are hashed with different prefixes, so a leaf can never pass for a node;
a tree of n leaves splits at the largest power of two below n.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _root(hashes: Sequence[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return node_hash(_root(hashes[:k]), _root(hashes[k:]))


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the leaves' data; of no leaves, the SHA-256 of nothing."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    return _root([leaf_hash(leaf) for leaf in leaves])


def chain_value(previous: bytes | None, root: bytes) -> bytes:
    """A day's chain value: the previous day's chain and this day's root (the first: the root)."""
    return hashlib.sha256((previous or b"") + root).digest()
