"""What every use case needs, wired once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from application.group_commit import GroupCommitter
from application.ports import (
    AnonymisationViews,
    Clock,
    ErasureLedger,
    IdentifierHasher,
    KeyShredder,
    ReadModels,
    Redactor,
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
    redactor: Redactor | None = None  # anonymisation (issue 5)
    anonymisation_views: AnonymisationViews | None = None  # issue 5
    # Stores outside the event store that hold copies of a subject's data (files
    # of access requests): each deletes them and says how many went.
    subject_copies: list[Callable[[UUID], int]] = field(default_factory=list)

    def save(self, *aggregates: Any) -> None:
        """Saves in one transaction, then brings the read models up to date."""
        self.store.save(*aggregates)
        self.views.catch_up()
