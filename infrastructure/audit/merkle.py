"""The writing side of the RFC 9162 Merkle log: trees, proofs, leaves, signing.

Hash primitives and proof checks live in `verify_extract`, the module a
regulator copies, so the log and every verifier hash the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infrastructure.audit.verify_extract import (
    NoteKey,
    audit_path,
    canonical_json,
    checkpoint_body,
    node_hash,
    sign_checkpoint,
    tree_levels,
)

LEAF_VERSION = 1


class MerkleTree:
    """An immutable tree over leaf hashes, with every level kept so that roots of
    prefixes, audit paths and consistency proofs cost O(log n) each."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.size = len(leaf_hashes)
        self._levels = tree_levels(leaf_hashes) if leaf_hashes else [[]]

    def root(self) -> bytes:
        return self.root_at(self.size)

    def root_at(self, size: int) -> bytes:
        if not 0 <= size <= self.size:
            raise ValueError(f"no tree of size {size} within {self.size} leaves")
        if size == 0:
            return hashlib.sha256(b"").digest()
        return self._subtree(0, size)

    def inclusion_proof(self, index: int) -> list[bytes]:
        if not 0 <= index < self.size:
            raise ValueError(f"leaf {index} is not in a tree of {self.size}")
        return audit_path(self._levels, index)

    def consistency_proof(self, old_size: int) -> list[bytes]:
        """RFC 9162 2.1.4.1: proves the tree of `old_size` is a prefix of this."""
        if not 0 <= old_size <= self.size:
            raise ValueError(f"no tree of size {old_size} within {self.size} leaves")
        if old_size in (0, self.size):
            return []
        return self._subproof(old_size, 0, self.size, complete=True)

    def _subproof(self, m: int, low: int, high: int, *, complete: bool) -> list[bytes]:
        n = high - low
        if m == n:
            return [] if complete else [self._subtree(low, high)]
        k = _largest_power_of_two_below(n)
        if m <= k:
            return [
                *self._subproof(m, low, low + k, complete=complete),
                self._subtree(low + k, high),
            ]
        return [
            *self._subproof(m - k, low + k, high, complete=False),
            self._subtree(low, low + k),
        ]

    def _subtree(self, low: int, high: int) -> bytes:
        n = high - low
        if n & (n - 1) == 0 and low % n == 0:
            # A complete, aligned subtree is one stored node.
            return self._levels[n.bit_length() - 1][low // n]
        k = _largest_power_of_two_below(n)
        return node_hash(self._subtree(low, low + k), self._subtree(low + k, high))


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def leaf_time(at: dt.datetime) -> str:
    """RFC 3339 in UTC with microseconds: one spelling for every instant."""
    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_leaf(index: int, fields: dict[str, Any]) -> bytes:
    """The exact bytes hashed into the tree: canonical JSON, ASCII only."""
    return canonical_json({"v": LEAF_VERSION, "index": index, **fields}).encode()


class CheckpointSigner:
    """Signs C2SP checkpoints with the log's Ed25519 key."""

    def __init__(self, seed: bytes, key_name: str) -> None:
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self.key = NoteKey(key_name, self._private.public_key())

    def sign(self, origin: str, size: int, root: bytes, at: dt.datetime) -> str:
        body = checkpoint_body(origin, size, root)
        return sign_checkpoint(self._private, self.key.name, body, at)
