"""RFC 6962-style Merkle tree hashing (SHA-256) with inclusion proofs.

Leaf hash ``H(0x00 || leaf)``, node hash ``H(0x01 || left || right)``; the tree over n
leaves splits at the largest power of two below n, so proofs are unambiguous.
"""

from __future__ import annotations

import hashlib


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(leaves: list[bytes]) -> bytes:
    """Root over leaf hashes (not raw leaves). An empty tree has SHA-256('') as root."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(root(leaves[:k]), root(leaves[k:]))


def inclusion_path(leaves: list[bytes], index: int) -> list[tuple[str, bytes]]:
    """Sibling hashes from the leaf up: ``("L", h)`` means h is on the left of the running hash."""
    if len(leaves) <= 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return inclusion_path(leaves[:k], index) + [("R", root(leaves[k:]))]
    return inclusion_path(leaves[k:], index - k) + [("L", root(leaves[:k]))]


def root_from_path(leaf: bytes, path: list[tuple[str, bytes]]) -> bytes:
    """Recompute the root from a leaf hash and its inclusion path."""
    running = leaf
    for side, sibling in path:
        running = node_hash(sibling, running) if side == "L" else node_hash(running, sibling)
    return running
