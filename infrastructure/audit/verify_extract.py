"""Offline verifier for gdprkit audit-log extracts.

This module stands alone: it imports only the Python standard library and
`cryptography`, so a regulator can copy this one file to another machine and run

    python verify_extract.py EXTRACT.zip --public-key KEY

KEY is the log's public key as a C2SP note verifier key
(`name+keyid+base64key`), or a file holding one, or a PEM file. The format it
checks is documented in docs/audit-extracts.md; this file is one reading of it.

What is checked, in order (the first failure is reported with the leaf index
where the log breaks):

1. every file listed in the manifest is present and has its SHA-256;
2. the checkpoint is a C2SP signed note with a valid Ed25519 signature by the
   given key, for the extract's origin and tree size;
3. the ranges cover leaf 0 to tree size - 1 exactly once, in order;
4. every entry (one leaf per line, its exact bytes) carries its own index,
   hashes to the leaf hash at that index, sits in a "selected" range and
   matches the request, and every selected leaf has its entry;
5. the Merkle root rebuilt from all leaf hashes (RFC 9162) equals the
   checkpoint's root, so nothing was added, removed or reordered;
6. every inclusion proof is the audit path of its leaf in that tree;
7. earlier checkpoints are signed by the same key, are consistent with the
   current one (RFC 9162 consistency proofs), and their signed times never go
   backwards or lie in the future.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as dt
import hashlib
import json
import re
import struct
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

FORMAT = "gdprkit-audit-extract/1"
LEAF_FORMAT = "gdprkit-leaf/1"
HASH_ALGORITHM = "RFC9162-SHA256"
HASH_BYTES = 32
SIGNATURE_TYPE_ED25519 = 0x01
SIGNATURE_TYPE_COSIGNATURE = 0x04
COSIGNATURE_HEADER = "cosignature/v1"
# Signed times may run ahead of the verifier's clock by this much before the
# checkpoint counts as coming from a clock that jumped forward.
ALLOWED_CLOCK_SKEW = dt.timedelta(minutes=5)
# RFC 3339 in UTC with exactly six fraction digits: one spelling per instant.
LEAF_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", re.ASCII)
REQUEST_FIELDS = ("subject_id", "case_id", "actor_id")
STATUSES = ("selected", "redacted", "purged")


# RFC 9162 section 2.1: hashing


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_levels(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first, root last.

    A node without a right sibling moves up unchanged: this builds the same
    left-balanced tree as RFC 9162's split at the largest power of two.
    """
    sha256 = hashlib.sha256  # looked up once: this loop is the verifier's hot path
    levels = [list(leaf_hashes)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = [
            sha256(b"\x01" + left + right).digest()
            for left, right in zip(below[::2], below[1::2], strict=False)
        ]
        if len(below) % 2:
            above.append(below[-1])
        levels.append(above)
    return levels


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    if not leaf_hashes:
        return hashlib.sha256(b"").digest()
    return tree_levels(leaf_hashes)[-1][0]


def audit_path(levels: list[list[bytes]], index: int) -> list[bytes]:
    """RFC 9162 PATH(index), leaf first: the sibling on each level, skipping a
    level where the node had none and moved up unchanged."""
    return [
        level[index >> height ^ 1]
        for height, level in enumerate(levels[:-1])
        if index >> height ^ 1 < len(level)
    ]


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: `leaf` (a leaf hash) is at `index` in the tree `root`."""
    if index >= size:
        return False
    fn, sn, result = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == root


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> bool:
    """RFC 9162 2.1.4.2: the tree `root1` of `size1` is a prefix of `root2`."""
    if size1 > size2:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if size1 == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first = second = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first = node_hash(node, first)
            second = node_hash(node, second)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            second = node_hash(second, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and first == root1 and second == root2


# Canonical JSON (docs/audit-extracts.md, "Leaves")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


# C2SP signed notes and checkpoints


class ExtractError(Exception):
    """The extract does not verify; `index` names the leaf where it breaks."""

    def __init__(self, reason: str, index: int | None = None) -> None:
        self.reason = reason
        self.index = index
        where = "" if index is None else f"leaf {index}: "
        super().__init__(where + reason)


@dataclass(frozen=True)
class NoteKey:
    """An Ed25519 note verifier key: a name and a public key."""

    name: str
    public_key: Ed25519PublicKey

    @property
    def raw(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def key_id(self, signature_type: int = SIGNATURE_TYPE_ED25519) -> bytes:
        material = self.name.encode() + b"\n" + bytes([signature_type]) + self.raw
        return hashlib.sha256(material).digest()[:4]

    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([SIGNATURE_TYPE_ED25519]) + self.raw)
        return f"{self.name}+{self.key_id().hex()}+{encoded.decode()}"

    @classmethod
    def parse(cls, text: str, name: str | None = None) -> NoteKey:
        """Reads a vkey string or a PEM public key (then `name` is needed)."""
        text = text.strip()
        if text.startswith("-----BEGIN"):
            loaded = serialization.load_pem_public_key(text.encode())
            if not isinstance(loaded, Ed25519PublicKey) or name is None:
                raise ExtractError("the PEM key is not an Ed25519 public key")
            return cls(name, loaded)
        parts = text.split("+", 2)
        if len(parts) != 3:
            raise ExtractError("the public key is neither a vkey nor a PEM key")
        key_name, key_id, encoded = parts
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ExtractError("the public key's base64 is malformed") from None
        if len(raw) != 33 or raw[0] != SIGNATURE_TYPE_ED25519:
            raise ExtractError("the public key is not an Ed25519 note key")
        key = cls(key_name, Ed25519PublicKey.from_public_bytes(raw[1:]))
        if key.key_id().hex() != key_id.lower():
            raise ExtractError("the public key's id does not match its name and key")
        return key


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    body: str
    signatures: tuple[tuple[str, bytes], ...]  # (key name, key id + signature)

    def signed_time(self, key: NoteKey) -> dt.datetime | None:
        """The time of our timestamped cosignature, if it is valid."""
        key_id = key.key_id(SIGNATURE_TYPE_COSIGNATURE)
        for name, blob in self.signatures:
            if name != key.name or blob[:4] != key_id or len(blob) != 4 + 8 + 64:
                continue
            (seconds,) = struct.unpack(">Q", blob[4:12])
            message = f"{COSIGNATURE_HEADER}\ntime {seconds}\n{self.body}".encode()
            try:
                key.public_key.verify(blob[12:], message)
            except InvalidSignature:
                continue
            return dt.datetime.fromtimestamp(seconds, dt.UTC)
        return None

    def is_signed_by(self, key: NoteKey) -> bool:
        key_id = key.key_id()
        for name, blob in self.signatures:
            if name != key.name or blob[:4] != key_id or len(blob) != 4 + 64:
                continue
            try:
                key.public_key.verify(blob[4:], self.body.encode())
            except InvalidSignature:
                continue
            return True
        return False


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    body, separator, signature_block = text.partition("\n\n")
    if not separator or not signature_block.endswith("\n"):
        raise ExtractError("the checkpoint is not a signed note")
    lines = body.split("\n")
    if len(lines) < 3:
        raise ExtractError("the checkpoint body needs origin, size and root")
    origin, size_text, root_text = lines[:3]
    if not size_text.isdigit() or (size_text != "0" and size_text[0] == "0"):
        raise ExtractError("the checkpoint's tree size is not a decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except (binascii.Error, ValueError):
        raise ExtractError("the checkpoint's root hash is not base64") from None
    if len(root) != HASH_BYTES:
        raise ExtractError("the checkpoint's root hash is not 32 bytes")
    signatures = []
    for line in signature_block.rstrip("\n").split("\n"):
        if not line.startswith("\u2014 "):
            raise ExtractError("a checkpoint signature line is malformed")
        name, _, encoded = line[2:].rpartition(" ")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ExtractError("a checkpoint signature is not base64") from None
        signatures.append((name, blob))
    return Checkpoint(origin, int(size_text), root, body + "\n", tuple(signatures))


def sign_checkpoint(
    private_key: Ed25519PrivateKey, name: str, body: str, at: dt.datetime
) -> str:
    """Signs a checkpoint body: an Ed25519 note signature and a timestamped
    cosignature (C2SP tlog-cosignature) by the same key, which dates it."""
    key = NoteKey(name, private_key.public_key())
    seconds = int(at.timestamp())
    signature = private_key.sign(body.encode())
    cosigned = f"{COSIGNATURE_HEADER}\ntime {seconds}\n{body}".encode()
    cosignature = struct.pack(">Q", seconds) + private_key.sign(cosigned)
    lines = [
        (key.key_id(), signature),
        (key.key_id(SIGNATURE_TYPE_COSIGNATURE), cosignature),
    ]
    signed = "".join(
        f"\u2014 {name} {base64.b64encode(key_id + blob).decode()}\n"
        for key_id, blob in lines
    )
    return f"{body}\n{signed}"


# The extract


@dataclass
class ExtractReport:
    origin: str = ""
    tree_size: int = 0
    selected: int = 0
    redacted: int = 0
    purged: int = 0
    checkpoints: int = 0
    signed_at: dt.datetime | None = None
    request: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"OK: {self.origin} tree size {self.tree_size}, signed "
            f"{self.signed_at:%Y-%m-%d %H:%M:%SZ}; {self.selected} entries shown, "
            f"{self.redacted} outside the request (hashes only), {self.purged} "
            f"purged by retention (hashes only); {self.checkpoints} checkpoints "
            "verified"
        )


def verify_extract(
    path: str | Path, key: NoteKey, *, now: dt.datetime | None = None
) -> ExtractReport:
    """Checks an extract end to end; raises ExtractError at the first break."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise ExtractError(f"cannot open the extract: {error}") from None
    with archive:
        files = _read_files(archive)
    manifest = _manifest(files)
    report = ExtractReport(
        origin=manifest["origin"],
        tree_size=manifest["tree_size"],
        request=manifest["request"],
    )
    checkpoint = _verified_checkpoint(files["checkpoint.txt"], key, manifest)
    report.signed_at = checkpoint.signed_time(key)
    if report.signed_at is None:
        raise ExtractError("the checkpoint carries no valid signed time")
    if report.signed_at > now + ALLOWED_CLOCK_SKEW:
        raise ExtractError(
            f"the checkpoint is dated {report.signed_at:%Y-%m-%d %H:%M:%SZ}, in the "
            "future: the signing clock jumped ahead"
        )
    hashes = _leaf_hashes(files["leaf-hashes.bin"], checkpoint.size)
    statuses = _statuses(files["ranges.json"], checkpoint.size, report)
    selected = _check_entries(files["entries.jsonl"], hashes, statuses, manifest)
    levels = tree_levels(hashes) if hashes else [[]]
    root = levels[-1][0] if hashes else root_from_leaf_hashes([])
    if root != checkpoint.root:
        raise ExtractError(
            "the leaf hashes do not rebuild the signed root: an entry was altered, "
            "removed, added or reordered"
        )
    _check_proofs(files["proofs.bin"], levels, selected, checkpoint.size)
    report.checkpoints = 1 + _check_earlier(
        files.get("earlier-checkpoints.jsonl", b""), key, checkpoint, report.signed_at
    )
    return report


def _read_files(archive: zipfile.ZipFile) -> dict[str, bytes]:
    try:
        files = {info.filename: archive.read(info) for info in archive.infolist()}
    except (OSError, zipfile.BadZipFile) as error:
        raise ExtractError(f"cannot read the extract: {error}") from None
    required = ("manifest.json", "checkpoint.txt", "leaf-hashes.bin", "ranges.json")
    for name in (*required, "entries.jsonl", "proofs.bin"):
        if name not in files:
            raise ExtractError(f"the extract has no {name}")
    return files


def _manifest(files: dict[str, bytes]) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(files["manifest.json"])
    except ValueError:
        raise ExtractError("manifest.json is not JSON") from None
    if manifest.get("format") != FORMAT:
        raise ExtractError(f"manifest.json is not a {FORMAT} manifest")
    if manifest.get("hash") != HASH_ALGORITHM:
        raise ExtractError(f"unknown hash {manifest.get('hash')!r}")
    if manifest.get("leaf_format") != LEAF_FORMAT:
        raise ExtractError(f"unknown leaf format {manifest.get('leaf_format')!r}")
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        raise ExtractError("manifest.json lists no files")
    for name, digest in listed.items():
        if name not in files:
            raise ExtractError(f"{name} is listed in the manifest but missing")
        if hashlib.sha256(files[name]).hexdigest() != digest:
            raise ExtractError(f"{name} does not have the SHA-256 in the manifest")
    unlisted = set(files) - set(listed) - {"manifest.json"}
    if unlisted:
        raise ExtractError(f"files not in the manifest: {', '.join(sorted(unlisted))}")
    return manifest


def _verified_checkpoint(
    text: bytes, key: NoteKey, manifest: dict[str, Any]
) -> Checkpoint:
    try:
        checkpoint = parse_checkpoint(text.decode("utf-8"))
    except UnicodeDecodeError:
        raise ExtractError("checkpoint.txt is not UTF-8") from None
    if not checkpoint.is_signed_by(key):
        raise ExtractError(
            "the checkpoint has no valid signature by the given public key: a "
            "forged tree head, or the wrong key"
        )
    if checkpoint.origin != manifest.get("origin"):
        raise ExtractError("the checkpoint is for another log than the manifest")
    if checkpoint.size != manifest.get("tree_size"):
        raise ExtractError("the checkpoint's tree size differs from the manifest's")
    return checkpoint


def _leaf_hashes(blob: bytes, size: int) -> list[bytes]:
    if len(blob) != size * HASH_BYTES:
        raise ExtractError(
            f"leaf-hashes.bin holds {len(blob) // HASH_BYTES} hashes, the signed "
            f"tree {size}: entries were removed or added",
            min(size, len(blob) // HASH_BYTES),
        )
    return [blob[i : i + HASH_BYTES] for i in range(0, len(blob), HASH_BYTES)]


def _statuses(blob: bytes, size: int, report: ExtractReport) -> list[str]:
    try:
        ranges = json.loads(blob)
    except ValueError:
        raise ExtractError("ranges.json is not JSON") from None
    statuses: list[str] = []
    for item in ranges:
        first, last, status = item.get("first"), item.get("last"), item.get("status")
        if first != len(statuses) or not isinstance(last, int) or last < first:
            raise ExtractError("the ranges leave a gap or overlap", len(statuses))
        if status not in STATUSES:
            raise ExtractError(f"unknown range status {status!r}", first)
        statuses.extend([status] * (last - first + 1))
        setattr(report, status, getattr(report, status) + last - first + 1)
    if len(statuses) != size:
        raise ExtractError("the ranges do not cover the signed tree", len(statuses))
    return statuses


def _check_entries(
    blob: bytes,
    hashes: list[bytes],
    statuses: list[str],
    manifest: dict[str, Any],
) -> list[int]:
    request = manifest["request"]
    since, until = request.get("since"), request.get("until")
    for bound in (since, until):
        if bound is not None and not _is_leaf_time(bound):
            raise ExtractError("the request's time range is malformed")
    wanted = [(name, request[name]) for name in REQUEST_FIELDS if request.get(name)]
    workspace = manifest.get("workspace_id")
    indexes: list[int] = []
    for line in blob.splitlines():
        try:
            leaf = json.loads(line)
            index = leaf["index"]
            occurred = leaf["occurred_at"]
        except (ValueError, KeyError, TypeError):
            raise ExtractError("entries.jsonl holds a malformed line") from None
        if not isinstance(index, int) or not 0 <= index < len(hashes):
            raise ExtractError("an entry lies outside the signed tree", index)
        if indexes and index <= indexes[-1]:
            raise ExtractError("the entries are out of order (reordered)", index)
        # The leaf hash covers these exact bytes, index included: an entry cannot
        # be altered or moved to another position without failing here.
        if leaf_hash(line) != hashes[index]:
            raise ExtractError("the entry does not match its leaf hash: altered", index)
        if statuses[index] != "selected":
            raise ExtractError("an entry is shown in a range marked hidden", index)
        if leaf.get("workspace_id") != workspace:
            raise ExtractError("the entry belongs to another workspace", index)
        if not _is_leaf_time(occurred):
            raise ExtractError("the entry has no valid occurred_at", index)
        # Fixed-width UTC times compare as strings exactly as instants do.
        outside = (since and occurred < since) or (until and occurred >= until)
        if outside or any(leaf.get(name) != value for name, value in wanted):
            raise ExtractError("the entry does not match the request", index)
        indexes.append(index)
    shown = set(indexes)
    for index, status in enumerate(statuses):
        if status == "selected" and index not in shown:
            raise ExtractError("a selected leaf has no entry: removed", index)
    return indexes


def _is_leaf_time(value: Any) -> bool:
    return isinstance(value, str) and LEAF_TIME.fullmatch(value) is not None


def _check_proofs(
    blob: bytes, levels: list[list[bytes]], selected: list[int], size: int
) -> None:
    """proofs.bin: per entry, uint64 index, uint8 path length, the path."""
    offset = 0
    for index in selected:
        if offset + 9 > len(blob):
            raise ExtractError("an inclusion proof is missing", index)
        (proven, length) = struct.unpack_from(">QB", blob, offset)
        offset += 9
        path = blob[offset : offset + length * HASH_BYTES]
        offset += length * HASH_BYTES
        if proven != index:
            raise ExtractError("the inclusion proofs do not match the entries", index)
        # Equal to the rebuilt tree's audit path is exactly what RFC 9162's
        # algorithm accepts against the rebuilt root, without hashing again.
        if path != b"".join(audit_path(levels, index)):
            raise ExtractError("the inclusion proof does not verify", index)
    if offset != len(blob):
        raise ExtractError("proofs.bin holds proofs for entries not shown")


def _check_earlier(
    blob: bytes, key: NoteKey, latest: Checkpoint, latest_time: dt.datetime
) -> int:
    checked = 0
    previous_time: dt.datetime | None = None
    for line in blob.splitlines():
        try:
            record = json.loads(line)
            earlier = parse_checkpoint(record["checkpoint"])
            proof = [bytes.fromhex(h) for h in record["consistency"]]
        except (ValueError, KeyError, TypeError):
            raise ExtractError("earlier-checkpoints.jsonl is malformed") from None
        if not earlier.is_signed_by(key) or earlier.origin != latest.origin:
            raise ExtractError(
                f"the earlier checkpoint of size {earlier.size} is not signed by "
                "this log's key"
            )
        signed = earlier.signed_time(key)
        if signed is None:
            raise ExtractError(f"the checkpoint of size {earlier.size} is undated")
        if signed > latest_time or (previous_time and signed < previous_time):
            raise ExtractError(
                f"the checkpoint of size {earlier.size} is dated "
                f"{signed:%Y-%m-%d %H:%M:%SZ}, out of order with the others: the "
                "signing clock jumped",
                earlier.size,
            )
        if not verify_consistency(
            earlier.size, latest.size, proof, earlier.root, latest.root
        ):
            raise ExtractError(
                f"the checkpoint of size {earlier.size} is not a prefix of the "
                "current one: the log was rewritten",
                earlier.size,
            )
        previous_time = signed
        checked += 1
    return checked


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def load_key(argument: str, name: str | None = None) -> NoteKey:
    """A key given as a vkey string, or a file holding a vkey or a PEM key."""
    path = Path(argument)
    text = argument
    if "+" not in argument or path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ExtractError(f"cannot read the public key: {error}") from None
    return NoteKey.parse(text, name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a gdprkit audit extract.")
    parser.add_argument("extract", help="the extract's .zip file")
    parser.add_argument(
        "--public-key", required=True, help="vkey string, or a vkey or PEM file"
    )
    parser.add_argument("--key-name", help="key name, when the key is a PEM file")
    arguments = parser.parse_args(argv)
    try:
        key = load_key(arguments.public_key, arguments.key_name)
        report = verify_extract(arguments.extract, key)
    except ExtractError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
