"""Finished archives on disk, sealed chunk by chunk under a per-export data key.

Each chunk is sealed with associated data naming the export and the chunk's
position, and a sealed end record carries the count: chunks cannot be reordered,
dropped or cut off unnoticed. Destroying the export's key makes the file noise
even before it is deleted.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from uuid import UUID

from application.access_requests import ExportStore
from application.errors import NotFoundError
from infrastructure.vault import KeyVault, TamperedCiphertextError

CHUNK_BYTES = 1024 * 1024
_RECORD = struct.Struct(">cI")  # b"D" data or b"E" end, then the sealed length
_FIELD = "access_export"


class SealedFileExportStore(ExportStore):
    def __init__(self, vault: KeyVault, directory: Path) -> None:
        self._vault = vault
        self._directory = directory

    def _path(self, export_id: UUID) -> Path:
        return self._directory / f"{export_id}.sealed"

    def put(self, export_id: UUID, source_path: str) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        target = self._path(export_id)
        partial = target.with_suffix(".partial")
        count = 0
        try:
            with open(source_path, "rb") as source, open(partial, "wb") as out:
                while chunk := source.read(CHUNK_BYTES):
                    self._write(out, b"D", export_id, chunk, f"{export_id}/{count}")
                    count += 1
                end = str(count).encode()
                self._write(out, b"E", export_id, end, f"{export_id}/end")
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
            Path(source_path).unlink(missing_ok=True)

    def _write(
        self, out: BinaryIO, kind: bytes, export_id: UUID, data: bytes, context: str
    ) -> None:
        sealed = self._vault.seal(export_id, _FIELD, data, context)
        out.write(_RECORD.pack(kind, len(sealed)) + sealed)

    def open(self, export_id: UUID) -> Iterator[bytes]:
        path = self._path(export_id)
        if not path.exists() or not self._vault.has_key(export_id):
            raise NotFoundError("access export", export_id)
        return self._chunks(path, export_id)

    def _chunks(self, path: Path, export_id: UUID) -> Iterator[bytes]:
        with open(path, "rb") as handle:
            index = 0
            while len(header := handle.read(_RECORD.size)) == _RECORD.size:
                kind, length = _RECORD.unpack(header)
                sealed = handle.read(length)
                context = f"{export_id}/end" if kind == b"E" else f"{export_id}/{index}"
                try:
                    data = self._vault.open(export_id, _FIELD, sealed, context)
                except TamperedCiphertextError:
                    data = None
                if data is None:
                    break
                if kind == b"E":
                    if int(data) != index:
                        break
                    return
                yield data
                index += 1
        raise NotFoundError("access export (shredded, damaged or cut off)", export_id)

    def delete(self, export_id: UUID) -> bool:
        path = self._path(export_id)
        existed = path.exists()
        path.unlink(missing_ok=True)
        self._vault.shred([export_id])
        return existed
