"""What every use case needs, wired once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from application.group_commit import GroupCommitter
from application.ports import (
    Clock,
    ErasureLedger,
    IdentifierHasher,
    KeyShredder,
    ReadModels,
    SensitivityDetector,
)
from application.store import EventStore


@dataclass
class Context:
    store: EventStore
    views: ReadModels
    hasher: IdentifierHasher
    clock: Clock
    reads: GroupCommitter
    shredder: KeyShredder
    ledger: ErasureLedger
    detector: SensitivityDetector | None = None

    def save(self, *aggregates: Any) -> None:
        """Saves in one transaction, then brings the read models up to date."""
        self.store.save(*aggregates)
        self.views.catch_up()
