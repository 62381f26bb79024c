"""The key vault: one AES-256-GCM data key per owner, wrapped by the master key.

Owners are data subjects, cases, case profiles and log periods. Erasure deletes an
owner's key rows; everything sealed under them is noise from then on, in the event
store and in every backup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import struct
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Engine

from infrastructure.db import data_keys

log = structlog.get_logger(__name__)

NONCE_BYTES = 12
ENVELOPE_VERSION = 1
_HEADER = struct.Struct(">BI")  # envelope version, key version
# Keys cached in process are dropped after this long, so a key shredded by
# another process stops decrypting here within the same bound.
KEY_CACHE_SECONDS = 30.0


class VaultError(Exception):
    """The vault could not do what was asked; never carries key material."""


class WrongMasterKeyError(VaultError):
    def __init__(self, kek_id: str) -> None:
        self.kek_id = kek_id
        super().__init__(
            f"data keys are wrapped by master key {kek_id}, which is not configured"
        )


class TamperedCiphertextError(VaultError):
    def __init__(self, owner_id: UUID, field: str) -> None:
        self.owner_id = owner_id
        self.field = field
        super().__init__(
            f"sealed {field!r} of owner {owner_id} failed authentication: "
            "tampered, moved from another record, or sealed under another key"
        )


def kek_id_of(master_key: bytes) -> str:
    return hashlib.sha256(b"gdprkit-kek-id|" + master_key).hexdigest()[:16]


@dataclass(frozen=True)
class _CachedKey:
    version: int
    cipher: AESGCM
    loaded_at: float


class KeyVault:
    """Seals and opens values under per-owner data keys; shreds owners."""

    def __init__(
        self,
        engine: Engine,
        master_key: bytes,
        *,
        previous_master_keys: Iterable[bytes] = (),
    ) -> None:
        self._engine = engine
        self._kek = AESGCM(master_key)
        self.kek_id = kek_id_of(master_key)
        self._keks = {self.kek_id: self._kek}
        for key in previous_master_keys:
            self._keks[kek_id_of(key)] = AESGCM(key)
        self._cache: dict[UUID, dict[int, _CachedKey]] = {}
        self._lock = threading.Lock()

    # Sealing

    def seal(self, owner_id: UUID, field: str, plaintext: bytes, context: str) -> bytes:
        key = self._current_key(owner_id, field)
        nonce = _random_nonce()
        aad = _aad(owner_id, key.version, field, context)
        ciphertext = key.cipher.encrypt(nonce, plaintext, aad)
        return _HEADER.pack(ENVELOPE_VERSION, key.version) + nonce + ciphertext

    def open(
        self, owner_id: UUID, field: str, envelope: bytes, context: str
    ) -> bytes | None:
        """The plaintext, or None once the owner's key is gone (erased).

        Raises TamperedCiphertextError when the key exists but the ciphertext does
        not authenticate: never returns a wrong plaintext.
        """
        if len(envelope) < _HEADER.size + NONCE_BYTES + 16:
            raise TamperedCiphertextError(owner_id, field)
        envelope_version, key_version = _HEADER.unpack_from(envelope)
        if envelope_version != ENVELOPE_VERSION:
            raise TamperedCiphertextError(owner_id, field)
        key = self._key(owner_id, key_version)
        if key is None:
            return None
        nonce = envelope[_HEADER.size : _HEADER.size + NONCE_BYTES]
        ciphertext = envelope[_HEADER.size + NONCE_BYTES :]
        try:
            return key.cipher.decrypt(
                nonce, ciphertext, _aad(owner_id, key_version, field, context)
            )
        except InvalidTag:
            raise TamperedCiphertextError(owner_id, field) from None

    # Shredding

    def shred(self, owner_ids: Iterable[UUID]) -> int:
        """Deletes every key version of the given owners; returns rows removed."""
        ids = [str(owner_id) for owner_id in owner_ids]
        if not ids:
            return 0
        removed = 0
        with self._engine.begin() as connection:
            for chunk in _chunks(ids, 500):
                result = connection.execute(
                    sa.delete(data_keys).where(data_keys.c.owner_id.in_(chunk))
                )
                removed += result.rowcount or 0
        with self._lock:
            for owner_id in owner_ids:
                self._cache.pop(owner_id, None)
        self.reclaim_space()
        log.info("vault.keys_shredded", owners=len(ids), rows=removed)
        return removed

    def reclaim_space(self) -> None:
        """Rewrites the key table so destroyed keys leave no bytes on disk.

        PostgreSQL keeps a deleted row while any transaction older than the delete
        is open, so one pass right after shredding may keep it; the scheduler runs
        this again with every purge.
        """
        if self._engine.dialect.name == "postgresql":
            # A plain VACUUM frees dead tuples but leaves their bytes, wrapped keys
            # included, in the page's free space; FULL rewrites the table into a
            # new file and drops the old one. The table is small and the lock short.
            with self._engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as connection:
                connection.execute(sa.text("VACUUM FULL data_keys"))
        else:
            # secure_delete zeroes the freed cells; a checkpoint moves the zeroed
            # pages out of the WAL into the main file.
            with self._engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def check_master_key(self) -> None:
        """Raises WrongMasterKeyError when a stored data key is wrapped by a
        master key this vault does not hold: start-up stops, reads never fail."""
        with self._engine.connect() as connection:
            kek_ids = connection.execute(
                sa.select(data_keys.c.kek_id).distinct()
            ).scalars()
            unknown = sorted(set(kek_ids) - set(self._keks))
        if unknown:
            raise WrongMasterKeyError(unknown[0])

    def has_key(self, owner_id: UUID) -> bool:
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(data_keys.c.version)
                .where(data_keys.c.owner_id == str(owner_id))
                .limit(1)
            ).first()
        return row is not None

    def count_keys(self, owner_ids: Iterable[UUID]) -> int:
        ids = [str(owner_id) for owner_id in owner_ids]
        total = 0
        with self._engine.connect() as connection:
            for chunk in _chunks(ids, 500):
                total += connection.execute(
                    sa.select(sa.func.count())
                    .select_from(data_keys)
                    .where(data_keys.c.owner_id.in_(chunk))
                ).scalar_one()
        return total

    def forget_cached(self) -> None:
        with self._lock:
            self._cache.clear()

    # Master-key rotation

    def rewrap_batch(self, limit: int = 500) -> int:
        """Rewraps up to `limit` keys not yet under the current master key.

        Each batch commits on its own, so an interrupted rotation resumes where it
        stopped: rows already carrying the current kek_id are skipped.
        """
        with self._engine.begin() as connection:
            rows = connection.execute(
                sa.select(data_keys)
                .where(data_keys.c.kek_id != self.kek_id)
                .limit(limit)
            ).all()
            for row in rows:
                owner_id = UUID(row.owner_id)
                raw = self._unwrap(owner_id, row.version, row.wrapped_key, row.kek_id)
                connection.execute(
                    sa.update(data_keys)
                    .where(
                        (data_keys.c.owner_id == row.owner_id)
                        & (data_keys.c.version == row.version)
                    )
                    .values(
                        wrapped_key=self._wrap(owner_id, row.version, raw),
                        kek_id=self.kek_id,
                    )
                )
        return len(rows)

    def count_not_current(self) -> int:
        with self._engine.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count())
                    .select_from(data_keys)
                    .where(data_keys.c.kek_id != self.kek_id)
                ).scalar_one()
            )

    # Keys

    def _current_key(self, owner_id: UUID, field: str) -> _CachedKey:
        cached = self._cached(owner_id)
        if cached:
            return cached[max(cached)]
        loaded = self._load(owner_id)
        if loaded:
            return loaded[max(loaded)]
        return self._create(owner_id, field)

    def _key(self, owner_id: UUID, version: int) -> _CachedKey | None:
        cached = self._cached(owner_id)
        if cached and version in cached:
            return cached[version]
        return self._load(owner_id).get(version)

    def _cached(self, owner_id: UUID) -> dict[int, _CachedKey] | None:
        with self._lock:
            versions = self._cache.get(owner_id)
        if not versions:
            return None
        if (
            time.monotonic() - next(iter(versions.values())).loaded_at
            > KEY_CACHE_SECONDS
        ):
            return None
        return versions

    def _load(self, owner_id: UUID) -> dict[int, _CachedKey]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(data_keys).where(data_keys.c.owner_id == str(owner_id))
            ).all()
        now = time.monotonic()
        versions = {
            row.version: _CachedKey(
                row.version,
                AESGCM(
                    self._unwrap(owner_id, row.version, row.wrapped_key, row.kek_id)
                ),
                now,
            )
            for row in rows
        }
        with self._lock:
            if versions:
                self._cache[owner_id] = versions
            else:
                self._cache.pop(owner_id, None)
        return versions

    def ensure_keys(self, owners: Mapping[UUID, str]) -> int:
        """Loads or creates the keys of many owners at once: one query for those
        that exist and one transaction for those that do not, instead of a
        round trip (and a commit) per owner. Returns how many keys it created."""
        missing = [owner for owner in owners if not self._cached(owner)]
        if not missing:
            return 0
        found: dict[UUID, dict[int, _CachedKey]] = {}
        now = time.monotonic()
        with self._engine.connect() as connection:
            for chunk in _chunks([str(owner) for owner in missing], 500):
                for row in connection.execute(
                    sa.select(data_keys).where(data_keys.c.owner_id.in_(chunk))
                ):
                    owner = UUID(row.owner_id)
                    raw = self._unwrap(owner, row.version, row.wrapped_key, row.kek_id)
                    found.setdefault(owner, {})[row.version] = _CachedKey(
                        row.version, AESGCM(raw), now
                    )
        created: dict[UUID, dict[int, _CachedKey]] = {}
        rows = []
        for owner in missing:
            if owner in found:
                continue
            raw = AESGCM.generate_key(bit_length=256)
            created[owner] = {1: _CachedKey(1, AESGCM(raw), now)}
            rows.append(
                {
                    "owner_id": str(owner),
                    "version": 1,
                    "purpose": owners[owner][:32],
                    "wrapped_key": self._wrap(owner, 1, raw),
                    "kek_id": self.kek_id,
                    "created_at": dt.datetime.now(dt.UTC),
                }
            )
        if rows:
            try:
                with self._engine.begin() as connection:
                    connection.execute(sa.insert(data_keys), rows)
            except sa.exc.IntegrityError:
                # Someone created one of them meanwhile: fall back to one at a
                # time, which adopts whichever key won.
                created = {}
        with self._lock:
            self._cache.update(found)
            self._cache.update(created)
        return len(created)

    def _create(self, owner_id: UUID, field: str) -> _CachedKey:
        raw = AESGCM.generate_key(bit_length=256)
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    sa.insert(data_keys).values(
                        owner_id=str(owner_id),
                        version=1,
                        purpose=field[:32],
                        wrapped_key=self._wrap(owner_id, 1, raw),
                        kek_id=self.kek_id,
                        created_at=dt.datetime.now(dt.UTC),
                    )
                )
        except sa.exc.IntegrityError:
            # Another thread or process created the owner's key first: use theirs.
            loaded = self._load(owner_id)
            if not loaded:
                raise VaultError(f"key of owner {owner_id} vanished") from None
            return loaded[max(loaded)]
        key = _CachedKey(1, AESGCM(raw), time.monotonic())
        with self._lock:
            self._cache[owner_id] = {1: key}
        return key

    def _wrap(self, owner_id: UUID, version: int, raw: bytes) -> bytes:
        nonce = _random_nonce()
        return nonce + self._kek.encrypt(nonce, raw, _wrap_aad(owner_id, version))

    def _unwrap(
        self, owner_id: UUID, version: int, wrapped: bytes, kek_id: str
    ) -> bytes:
        kek = self._keks.get(kek_id)
        if kek is None:
            raise WrongMasterKeyError(kek_id)
        try:
            return kek.decrypt(
                wrapped[:NONCE_BYTES],
                wrapped[NONCE_BYTES:],
                _wrap_aad(owner_id, version),
            )
        except InvalidTag:
            raise VaultError(
                f"wrapped key of owner {owner_id} failed authentication"
            ) from None


def _aad(owner_id: UUID, key_version: int, field: str, context: str) -> bytes:
    return b"|".join(
        (
            b"pii_v1",
            owner_id.bytes,
            str(key_version).encode(),
            field.encode(),
            context.encode(),
        )
    )


def _wrap_aad(owner_id: UUID, version: int) -> bytes:
    return b"dek_v1|" + owner_id.bytes + b"|" + str(version).encode()


def _random_nonce() -> bytes:
    return os.urandom(NONCE_BYTES)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
