"""Anonymisation of cases (issue 5): modes, derived key owners, the bulk job.

A case is anonymised in one of two modes. `sensitive` replaces the whole dialog
with redacted copies and destroys the original content's keys; `profile` removes
only the customer's profile and the link to the data subject. The redacted copies
are sealed under an owner derived from the case id, so they survive the shredding
of the original content owner.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError


class AnonymisationMode(enum.StrEnum):
    SENSITIVE = "sensitive"  # the whole dialog is redacted
    PROFILE = "profile"  # the customer's profile goes; message text stays


# The workspace setting that lists form-field names removed in every mode.
ALWAYS_REMOVE_SETTING = "anonymisation.always_remove"

# Placeholders for authors once the dialog itself is anonymised.
CUSTOMER_PLACEHOLDER = "<CUSTOMER>"
AGENT_PLACEHOLDER = "<AGENT>"

_ANONYMISED_NAMESPACE = UUID("8d3a4f0e-2b6c-4e1f-9a7d-5c0b3e8f1a62")
_FORM_FIELD_NAMESPACE = UUID("c41e7b2a-9f35-4d08-8b6e-0a2f7d9c3e15")


def anonymised_owner(case_id: UUID) -> UUID:
    """The key owner of a case's redacted copy: it outlives the original's key."""
    return uuid5(_ANONYMISED_NAMESPACE, f"{case_id}/anonymised")


def form_field_owner(case_id: UUID, message_id: UUID, field_name: str) -> UUID:
    """One key per submitted form-field value, so one field can go alone."""
    return uuid5(_FORM_FIELD_NAMESPACE, f"{case_id}/{message_id}/{field_name}")


class CaseAnonymisedError(DomainError):
    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        super().__init__(f"case {case_id} is anonymised; it cannot change any more")


class JobStatus(enum.StrEnum):
    RUNNING = "running"
    FINISHED = "finished"


class AnonymisationJob(Aggregate):
    """A bulk anonymisation: the matching cases are fixed when it starts, and
    each case's outcome is an event, so a resumed job never acts twice."""

    @staticmethod
    def create_id(aggregate_id: UUID, **_: Any) -> UUID:
        return aggregate_id

    @event("Started")
    def __init__(
        self,
        aggregate_id: UUID,
        workspace_id: UUID,
        inbox_id: UUID | None,
        closed_before: dt.datetime | None,
        tag: str | None,
        reason: str,
        actor_id: UUID | None,
        case_ids: list[UUID],
        started_at: dt.datetime,
    ) -> None:
        self.workspace_id = workspace_id
        self.inbox_id = inbox_id
        self.closed_before = closed_before
        self.tag = tag
        self.reason = reason
        self.actor_id = actor_id
        self.case_ids = list(case_ids)
        self.started_at = started_at
        self.anonymised: list[UUID] = []
        self.skipped: dict[UUID, str] = {}
        self.status = JobStatus.RUNNING.value
        self.finished_at: dt.datetime | None = None

    @property
    def remaining(self) -> list[UUID]:
        done = set(self.anonymised) | set(self.skipped)
        return [case_id for case_id in self.case_ids if case_id not in done]

    @property
    def is_finished(self) -> bool:
        return self.status == JobStatus.FINISHED.value

    @event("CaseAnonymised")
    def record_anonymised(self, case_id: UUID) -> None:
        self.anonymised.append(case_id)

    @event("CaseSkipped")
    def record_skipped(self, case_id: UUID, why: str) -> None:
        self.skipped[case_id] = why

    @event("Finished")
    def finish(self, at: dt.datetime) -> None:
        self.status = JobStatus.FINISHED.value
        self.finished_at = at
