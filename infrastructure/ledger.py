"""The erasure ledger: an append-only JSON-lines file kept outside the database.

Database backups do not contain it, so after a restore the ledger still knows
whom to erase again. It holds ids only, never personal data.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import orjson

from application.ports import ErasureLedger, ErasureRecord


class FileErasureLedger(ErasureLedger):
    def __init__(self, path: Path) -> None:
        self._path = path

    def append(self, record: ErasureRecord) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        line = orjson.dumps(
            {
                "erased_at": record.erased_at.isoformat(),
                "workspace_id": str(record.workspace_id),
                "subject_id": str(record.subject_id),
                "owner_ids": [str(owner) for owner in record.owner_ids],
                "reason": record.reason,
                "request_ref": record.request_ref,
            }
        )
        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)

    def records(self) -> Iterator[ErasureRecord]:
        if not self._path.exists():
            return
        with self._path.open("rb") as handle:
            for line in handle:
                if not line.strip():
                    continue
                data = orjson.loads(line)
                yield ErasureRecord(
                    erased_at=dt.datetime.fromisoformat(data["erased_at"]),
                    workspace_id=UUID(data["workspace_id"]),
                    subject_id=UUID(data["subject_id"]),
                    owner_ids=tuple(UUID(owner) for owner in data["owner_ids"]),
                    reason=data["reason"],
                    request_ref=data["request_ref"],
                )
