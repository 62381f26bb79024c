"""The Merkle access log in our own tables: one tree per workspace.

Each access-log row becomes a leaf in the same transaction that writes the row
(a listener on the views), so the log and the access log never disagree about
what happened. Leaves hold pseudonymous ids only; the client address is
committed to as the SHA-256 of its sealed form in the event store, which stays
the same after its period key is shredded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import struct
import zipfile
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from application.audit import (
    AuditExtract,
    AuditLog,
    ExtractRequest,
    LogBreak,
    LogVerification,
    SignedCheckpoint,
)
from infrastructure.audit import verify_extract as v
from infrastructure.audit.merkle import CheckpointSigner, MerkleTree, encode_leaf
from infrastructure.audit.merkle import leaf_time as _leaf_time
from infrastructure.db import access_log, audit_checkpoints, audit_leaves
from infrastructure.views import ProjectedEvent

GENERATOR = "gdprkit 0.1.0"
EARLIER_CHECKPOINTS = 8
LEAF_FIELDS = (
    "workspace_id",
    "notification_id",
    "action",
    "occurred_at",
    "actor_id",
    "case_id",
    "subject_id",
    "purpose",
    "country",
)
VERIFY_GUIDE = """# Verifying this extract

This file is an extract of a gdprkit access log (format gdprkit-audit-extract/1).
It shows the entries that match the request in manifest.json, and every other
entry of the log only as its SHA-256 leaf hash, so you can rebuild the signed
Merkle root and see that nothing was added, removed, altered or reordered.

1. Get the log's public key from the operator through a channel other than this
   file (public-key.txt inside is for comparison only).
2. Run the verifier shipped with gdprkit, which needs Python 3.11+ and the
   `cryptography` package only:

       python verify_extract.py THIS.zip --public-key 'NAME+KEYID+KEY'

3. Or write your own from docs/audit-extracts.md: leaf hash SHA-256(0x00 || leaf),
   node hash SHA-256(0x01 || left || right) as in RFC 9162, checkpoint as a C2SP
   tlog-checkpoint signed note with an Ed25519 signature.
"""


class SqlAuditLog(AuditLog):
    def __init__(
        self, engine: Engine, signing_key: Callable[[], bytes], public_url: str
    ) -> None:
        # The key is read only when first needed: the log can grow without it.
        self._engine = engine
        self._signing_key = signing_key
        self._signer: CheckpointSigner | None = None
        self._host = urlsplit(public_url).netloc or "gdprkit.invalid"

    # Writing

    def origin(self, workspace_id: UUID | str) -> str:
        return f"{self._host}/gdprkit/audit/{workspace_id}"

    def append(self, c: Connection, e: ProjectedEvent, entry: dict[str, Any]) -> None:
        """Adds the access-log row as the workspace's next leaf."""
        workspace = entry["workspace_id"]
        last = c.execute(
            sa.select(sa.func.max(audit_leaves.c.leaf_index)).where(
                audit_leaves.c.workspace_id == workspace
            )
        ).scalar()
        index = 0 if last is None else int(last) + 1
        sealed = e.stored("client_address")
        leaf = encode_leaf(index, _leaf_fields(entry, sealed))
        c.execute(
            sa.insert(audit_leaves).values(
                workspace_id=workspace,
                leaf_index=index,
                notification_id=entry["notification_id"],
                leaf_hash=v.leaf_hash(leaf),
                leaf=leaf,
                period=entry["period"],
            )
        )

    def sign_checkpoint(self, workspace_id: UUID, at: dt.datetime) -> SignedCheckpoint:
        workspace = str(workspace_id)
        with self._engine.begin() as c:
            hashes = self._hashes(c, workspace)
            latest = self._latest(c, workspace)
            if latest is not None and latest.tree_size == len(hashes):
                return latest  # one size is signed once: no two heads per size
            root = MerkleTree(hashes).root()
            note = self.signer().sign(self.origin(workspace), len(hashes), root, at)
            c.execute(
                sa.insert(audit_checkpoints).values(
                    workspace_id=workspace,
                    tree_size=len(hashes),
                    root_hash=root,
                    note=note,
                    signed_at=at,
                )
            )
        return SignedCheckpoint(workspace_id, len(hashes), root.hex(), note, at)

    def sign_all(self, at: dt.datetime) -> list[SignedCheckpoint]:
        with self._engine.connect() as c:
            workspaces = c.execute(
                sa.select(audit_leaves.c.workspace_id).distinct()
            ).scalars()
            ids = [UUID(w) for w in workspaces]
        return [self.sign_checkpoint(workspace_id, at) for workspace_id in ids]

    def signer(self) -> CheckpointSigner:
        if self._signer is None:
            self._signer = CheckpointSigner(
                self._signing_key(), f"{self._host}/gdprkit/audit"
            )
        return self._signer

    def public_key(self) -> str:
        return self.signer().key.vkey()

    # Reading

    def latest_checkpoint(self, workspace_id: UUID) -> SignedCheckpoint | None:
        with self._engine.connect() as c:
            return self._latest(c, str(workspace_id))

    def log_periods(self, workspace_id: UUID) -> list[str]:
        with self._engine.connect() as c:
            periods = c.execute(
                sa.select(access_log.c.period)
                .where(access_log.c.workspace_id == str(workspace_id))
                .distinct()
                .order_by(access_log.c.period)
            ).scalars()
            return list(periods)

    def _hashes(self, c: Connection, workspace: str) -> list[bytes]:
        return list(
            c.execute(
                sa.select(audit_leaves.c.leaf_hash)
                .where(audit_leaves.c.workspace_id == workspace)
                .order_by(audit_leaves.c.leaf_index)
            ).scalars()
        )

    def _latest(self, c: Connection, workspace: str) -> SignedCheckpoint | None:
        row = c.execute(
            sa.select(audit_checkpoints)
            .where(audit_checkpoints.c.workspace_id == workspace)
            .order_by(audit_checkpoints.c.tree_size.desc())
            .limit(1)
        ).first()
        return None if row is None else _checkpoint(row)

    # Verifying

    def verify(self, workspace_id: UUID, now: dt.datetime) -> LogVerification:
        workspace = str(workspace_id)
        with self._engine.connect() as c:
            leaves = c.execute(
                sa.select(audit_leaves)
                .where(audit_leaves.c.workspace_id == workspace)
                .order_by(audit_leaves.c.leaf_index)
            ).all()
            rows = {
                row.notification_id: row
                for row in c.execute(
                    sa.select(access_log).where(access_log.c.workspace_id == workspace)
                )
            }
            checkpoints = c.execute(
                sa.select(audit_checkpoints)
                .where(audit_checkpoints.c.workspace_id == workspace)
                .order_by(audit_checkpoints.c.tree_size)
            ).all()
        breaks = _check_leaves(leaves, rows)
        tree = MerkleTree([leaf.leaf_hash for leaf in leaves])
        signed_size, checked = self._check_checkpoints(
            workspace, checkpoints, tree, now, breaks
        )
        breaks.sort(key=lambda b: (b.index is None, b.index or 0))
        return LogVerification(
            workspace_id=workspace_id,
            tree_size=len(leaves),
            purged=sum(1 for leaf in leaves if leaf.leaf is None),
            checkpoints=checked,
            signed_size=signed_size,
            breaks=tuple(breaks),
        )

    def _check_checkpoints(
        self,
        workspace: str,
        checkpoints: Iterable[Any],
        tree: MerkleTree,
        now: dt.datetime,
        breaks: list[LogBreak],
    ) -> tuple[int, int]:
        key = self.signer().key
        verified_size = 0
        previous: dt.datetime | None = None
        checked = 0
        for row in checkpoints:
            size = int(row.tree_size)
            try:
                parsed = v.parse_checkpoint(row.note)
            except v.ExtractError as error:
                breaks.append(LogBreak(None, f"checkpoint of size {size}: {error}"))
                continue
            genuine = (
                parsed.is_signed_by(key)
                and parsed.origin == self.origin(workspace)
                and parsed.size == size
                and parsed.root == bytes(row.root_hash)
            )
            if not genuine:
                breaks.append(
                    LogBreak(
                        None,
                        f"checkpoint of size {size} has no valid signature by this "
                        "log's key: a forged tree head",
                    )
                )
                continue
            checked += 1
            signed = parsed.signed_time(key)
            if signed is None or (previous is not None and signed < previous):
                breaks.append(
                    LogBreak(
                        None,
                        f"checkpoint of size {size} is dated before the checkpoint "
                        "of a smaller tree: the signing clock jumped back",
                    )
                )
            elif signed > now + v.ALLOWED_CLOCK_SKEW:
                breaks.append(
                    LogBreak(
                        None,
                        f"checkpoint of size {size} is dated in the future: the "
                        "signing clock jumped ahead",
                    )
                )
            previous = signed or previous
            if size > tree.size:
                breaks.append(
                    LogBreak(
                        tree.size,
                        f"the checkpoint of size {size} covers leaves the log no "
                        "longer has: entries were removed",
                    )
                )
            elif tree.root_at(size) != parsed.root:
                breaks.append(
                    LogBreak(
                        verified_size,
                        f"leaves {verified_size} to {size - 1} do not rebuild the "
                        f"root signed at size {size}: altered, removed or reordered",
                    )
                )
            else:
                verified_size = size
        return verified_size, checked

    # Extracts

    def extract(
        self, workspace_id: UUID, request: ExtractRequest, at: dt.datetime
    ) -> AuditExtract:
        checkpoint = self.sign_checkpoint(workspace_id, at)
        size = checkpoint.tree_size
        workspace = str(workspace_id)
        with self._engine.connect() as c:
            leaves = c.execute(
                sa.select(
                    audit_leaves.c.leaf_index,
                    audit_leaves.c.leaf_hash,
                    audit_leaves.c.leaf,
                    audit_leaves.c.period,
                )
                .where(
                    (audit_leaves.c.workspace_id == workspace)
                    & (audit_leaves.c.leaf_index < size)
                )
                .order_by(audit_leaves.c.leaf_index)
            ).all()
            earlier = c.execute(
                sa.select(audit_checkpoints)
                .where(
                    (audit_checkpoints.c.workspace_id == workspace)
                    & (audit_checkpoints.c.tree_size < size)
                )
                .order_by(audit_checkpoints.c.tree_size.desc())
                .limit(EARLIER_CHECKPOINTS)
            ).all()
        hashes = [bytes(leaf.leaf_hash) for leaf in leaves]
        tree = MerkleTree(hashes)
        wanted = _Selection(request)
        statuses: list[tuple[str, str | None]] = []
        entry_lines: list[bytes] = []
        proof_lines: list[bytes] = []
        for leaf in leaves:
            index = int(leaf.leaf_index)
            if leaf.leaf is None:
                statuses.append(("purged", leaf.period))
                continue
            text = bytes(leaf.leaf).decode("ascii")
            if not wanted.matches(json.loads(text)):
                statuses.append(("redacted", None))
                continue
            statuses.append(("selected", None))
            entry_lines.append(bytes(leaf.leaf) + b"\n")
            path = tree.inclusion_proof(index)
            proof_lines.append(struct.pack(">QB", index, len(path)) + b"".join(path))
        earlier_lines = [
            _line(
                {
                    "checkpoint": row.note,
                    "consistency": [
                        h.hex() for h in tree.consistency_proof(int(row.tree_size))
                    ],
                }
            )
            for row in reversed(earlier)
        ]
        files = {
            "entries.jsonl": b"".join(entry_lines),
            "proofs.bin": b"".join(proof_lines),
            "leaf-hashes.bin": b"".join(hashes),
            "ranges.json": json.dumps(_ranges(statuses), indent=1).encode(),
            "checkpoint.txt": checkpoint.note.encode(),
            "earlier-checkpoints.jsonl": b"".join(earlier_lines),
            "public-key.txt": (self.public_key() + "\n").encode(),
            "VERIFY.md": VERIFY_GUIDE.encode(),
        }
        extract_id = uuid4()
        selected = len(entry_lines)
        manifest = {
            "format": v.FORMAT,
            "extract_id": str(extract_id),
            "origin": self.origin(workspace),
            "workspace_id": workspace,
            "tree_size": size,
            "hash": v.HASH_ALGORITHM,
            "leaf_format": v.LEAF_FORMAT,
            "generated_at": _leaf_time(at),
            "generator": GENERATOR,
            "request": request_json(request),
            "counts": {
                status: sum(1 for s, _ in statuses if s == status)
                for status in v.STATUSES
            },
            "files": {
                name: hashlib.sha256(content).hexdigest()
                for name, content in files.items()
            },
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", json.dumps(manifest, indent=2))
            for name, content in files.items():
                archive.writestr(name, content)
        content = buffer.getvalue()
        return AuditExtract(
            extract_id, content, hashlib.sha256(content).hexdigest(), size, selected
        )


class _Selection:
    def __init__(self, request: ExtractRequest) -> None:
        self._ids = {
            name: str(value)
            for name, value in (
                ("subject_id", request.subject_id),
                ("case_id", request.case_id),
                ("actor_id", request.actor_id),
            )
            if value is not None
        }
        self._since = None if request.since is None else _leaf_time(request.since)
        self._until = None if request.until is None else _leaf_time(request.until)

    def matches(self, leaf: dict[str, Any]) -> bool:
        if any(leaf.get(name) != value for name, value in self._ids.items()):
            return False
        # One fixed-width UTC spelling: strings compare as instants do.
        at = leaf["occurred_at"]
        if self._since is not None and at < self._since:
            return False
        return self._until is None or at < self._until


def request_json(request: ExtractRequest) -> dict[str, str | None]:
    return {
        "subject_id": None if request.subject_id is None else str(request.subject_id),
        "case_id": None if request.case_id is None else str(request.case_id),
        "actor_id": None if request.actor_id is None else str(request.actor_id),
        "since": None if request.since is None else _leaf_time(request.since),
        "until": None if request.until is None else _leaf_time(request.until),
    }


def _line(value: dict[str, Any]) -> bytes:
    return (json.dumps(value, separators=(",", ":")) + "\n").encode()


def _ranges(statuses: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
    ranges: list[dict[str, Any]] = []
    for index, (status, period) in enumerate(statuses):
        last = ranges[-1] if ranges else None
        if last and last["status"] == status and last.get("period") == period:
            last["last"] = index
            continue
        item: dict[str, Any] = {"first": index, "last": index, "status": status}
        if period is not None:
            item["period"] = period
        ranges.append(item)
    return ranges


def _leaf_fields(entry: dict[str, Any], sealed_address: Any) -> dict[str, Any]:
    fields = {name: entry[name] for name in LEAF_FIELDS}
    fields["occurred_at"] = _leaf_time(entry["occurred_at"])
    fields["sealed_address_sha256"] = (
        None
        if sealed_address is None
        else hashlib.sha256(v.canonical_json(sealed_address).encode()).hexdigest()
    )
    return fields


def _check_leaves(leaves: Sequence[Any], rows: dict[int, Any]) -> list[LogBreak]:
    breaks: list[LogBreak] = []
    expected = 0
    for leaf in leaves:
        index = int(leaf.leaf_index)
        if index != expected:
            breaks.append(
                LogBreak(expected, f"leaves {expected} to {index - 1} are missing")
            )
        expected = index + 1
        row = rows.pop(leaf.notification_id, None)
        if leaf.leaf is None:
            continue  # purged by retention: only the hash remains, by design
        content = bytes(leaf.leaf)
        if v.leaf_hash(content) != bytes(leaf.leaf_hash):
            breaks.append(LogBreak(index, "the entry does not match its leaf hash"))
            continue
        fields = json.loads(content)
        if fields.get("index") != index:
            breaks.append(
                LogBreak(index, f"the entry says it is leaf {fields.get('index')}")
            )
        if row is None:
            breaks.append(
                LogBreak(index, "the access log no longer has this entry's row")
            )
            continue
        differing = [
            name
            for name, value in _leaf_fields(row._asdict(), None).items()
            if name in LEAF_FIELDS and fields.get(name) != value
        ]
        if differing:
            breaks.append(
                LogBreak(
                    index,
                    "the access-log row differs from the signed entry in "
                    + ", ".join(differing),
                )
            )
    breaks.extend(
        LogBreak(None, f"access-log row {notification_id} has no entry in the log")
        for notification_id in sorted(rows)
    )
    return breaks


def _checkpoint(row: Any) -> SignedCheckpoint:
    signed_at = row.signed_at
    if signed_at.tzinfo is None:
        signed_at = signed_at.replace(tzinfo=dt.UTC)
    return SignedCheckpoint(
        UUID(row.workspace_id),
        int(row.tree_size),
        bytes(row.root_hash).hex(),
        row.note,
        signed_at,
    )
