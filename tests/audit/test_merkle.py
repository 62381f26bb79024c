"""RFC 9162 hashing and proofs against the Certificate Transparency test vectors,
and round trips for every tree shape up to 70 leaves."""

from __future__ import annotations

import hashlib

import pytest

from infrastructure.audit.merkle import MerkleTree
from infrastructure.audit.verify_extract import (
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

VECTOR_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
VECTOR_ROOTS = {
    0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
# (leaf index from 0, tree size, audit path)
INCLUSION_VECTORS = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
LEAF_HASHES = [leaf_hash(leaf) for leaf in VECTOR_LEAVES]


@pytest.mark.parametrize("size", range(9))
def test_root_of_vector_prefix_matches_rfc(size: int) -> None:
    assert root_from_leaf_hashes(LEAF_HASHES[:size]).hex() == VECTOR_ROOTS[size]
    assert MerkleTree(LEAF_HASHES).root_at(size).hex() == VECTOR_ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_VECTORS)
def test_inclusion_proof_matches_rfc_vector_and_verifies(
    index: int, size: int, path: list[str]
) -> None:
    proof = MerkleTree(LEAF_HASHES[:size]).inclusion_proof(index)
    root = bytes.fromhex(VECTOR_ROOTS[size])

    assert [p.hex() for p in proof] == path
    assert verify_inclusion(index, size, LEAF_HASHES[index], proof, root)
    assert not verify_inclusion(index, size, LEAF_HASHES[index], proof, LEAF_HASHES[0])


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY_VECTORS)
def test_consistency_proof_matches_rfc_vector_and_verifies(
    old: int, new: int, path: list[str]
) -> None:
    proof = MerkleTree(LEAF_HASHES[:new]).consistency_proof(old)
    old_root = bytes.fromhex(VECTOR_ROOTS[old])
    new_root = bytes.fromhex(VECTOR_ROOTS[new])

    assert [p.hex() for p in proof] == path
    assert verify_consistency(old, new, proof, old_root, new_root)


def test_every_leaf_of_every_tree_shape_proves_inclusion() -> None:
    hashes = [leaf_hash(hashlib.sha256(bytes([i])).digest()) for i in range(70)]
    proven: list[bool] = []
    for size in range(1, 71):
        tree = MerkleTree(hashes[:size])
        root = tree.root()
        proven.extend(
            verify_inclusion(i, size, hashes[i], tree.inclusion_proof(i), root)
            for i in range(size)
        )

    assert all(proven)
    assert len(proven) == sum(range(1, 71))


def test_every_prefix_of_every_tree_shape_proves_consistency() -> None:
    hashes = [leaf_hash(bytes([i, 7])) for i in range(40)]
    tree = MerkleTree(hashes)
    roots = [tree.root_at(m) for m in range(41)]

    results = [
        verify_consistency(m, n, MerkleTree(hashes[:n]).consistency_proof(m), *pair)
        for n in range(1, 41)
        for m in range(1, n + 1)
        for pair in [(roots[m], roots[n])]
    ]

    assert all(results)


def test_consistency_fails_against_a_rewritten_prefix() -> None:
    hashes = [leaf_hash(bytes([i])) for i in range(13)]
    rewritten = [*hashes[:3], leaf_hash(b"forged"), *hashes[4:]]
    honest_old = MerkleTree(hashes).root_at(6)
    tree = MerkleTree(rewritten)

    proof = tree.consistency_proof(6)

    assert not verify_consistency(6, 13, proof, honest_old, tree.root())


def test_inclusion_fails_for_a_swapped_position() -> None:
    hashes = [leaf_hash(bytes([i])) for i in range(11)]
    tree = MerkleTree(hashes)

    proof = tree.inclusion_proof(4)

    assert not verify_inclusion(5, 11, hashes[4], proof, tree.root())
