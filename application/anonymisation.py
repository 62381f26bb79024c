"""Anonymisation of cases (issue 5): one case on request, or closed cases in bulk.

The order is what makes it safe. The `Case.Anonymised` event, carrying the
redacted copy sealed under a new owner and naming every key to destroy, is stored
first; the projection of that event deletes those keys inside the same catch-up
transaction, and the shredder then reclaims their space. A crash before the event
leaves the case untouched; a crash after it is finished by the next catch-up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.casework import legal_hold_on, require_case
from application.context import Context
from application.errors import (
    ApplicationError,
    ConflictError,
    InvalidInputError,
    LegalHoldError,
    NotFoundError,
)
from application.ports import ErasureRecord
from application.workspaces import require_inbox, require_workspace
from domain.anonymisation import (
    AGENT_PLACEHOLDER,
    ALWAYS_REMOVE_SETTING,
    CUSTOMER_PLACEHOLDER,
    AnonymisationJob,
    AnonymisationMode,
    anonymised_owner,
    form_field_owner,
)
from domain.forms import FIELD_NAME
from domain.model import Case, DataSubject, Direction, Workspace, case_profile_owner
from domain.personal_data import PersonalData

MAX_REASON = 200
# Identity kinds and subject details, as the placeholder a redaction shows.
_KNOWN_CATEGORY = {
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "address": "STREET_ADDRESS",
    "name": "PERSON",
}


class AlreadyAnonymisedError(ConflictError):
    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        super().__init__(f"case {case_id} is anonymised already")


class OpenCaseError(ConflictError):
    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        super().__init__(
            f"case {case_id} is open; close it first or confirm anonymising an "
            "open case"
        )


class RedactorUnavailableError(ApplicationError):
    status = 503
    title = "Redaction unavailable"


@dataclass(frozen=True)
class AnonymisationOutcome:
    """What one anonymisation did, in counts; never a value."""

    case_id: UUID
    mode: str
    anonymised_at: dt.datetime
    keys_destroyed: int
    messages: int
    redactions: int
    attachments_removed: int
    personal_tags_removed: int
    fields_removed: int
    subject_erased: bool


@dataclass(frozen=True)
class BulkOutcome:
    job_id: UUID
    total: int
    anonymised: int
    skipped: int
    remaining: int
    finished: bool


@dataclass(frozen=True)
class JobProgress:
    """Reported after each case of a bulk job."""

    job_id: UUID
    done: int
    total: int
    case_id: UUID
    outcome: str  # "anonymised" or the reason it was skipped


@dataclass(frozen=True)
class _Plan:
    mode: str
    messages: list[dict[str, Any]]
    removed_fields: list[dict[str, Any]]
    counts: dict[str, int]
    owners: list[UUID]
    subject: DataSubject | None


# One case


def anonymise_case(
    ctx: Context,
    workspace_id: UUID,
    case_id: UUID,
    *,
    reason: str,
    actor_id: UUID | None,
    allow_open: bool = False,
) -> AnonymisationOutcome:
    """Anonymises one case, in the mode its sensitive flag decides.

    Raises NotFoundError (unknown case or another workspace's),
    AlreadyAnonymisedError, OpenCaseError (open and not confirmed), LegalHoldError
    and InvalidInputError (no reason).
    """
    reason = _checked_reason(reason)
    require_case(ctx, workspace_id, case_id)
    case: Case = ctx.store.get(case_id)
    if case.is_anonymised:
        finish_shredding(ctx, case)
        raise AlreadyAnonymisedError(case_id)
    hold = legal_hold_on(ctx, case)
    if hold:
        raise LegalHoldError(case_id, hold)
    if case.is_open and not allow_open:
        raise OpenCaseError(case_id)
    return _anonymise(ctx, case, reason, actor_id)


def finish_shredding(ctx: Context, case: Case) -> int:
    """Destroys again the keys an anonymisation named: a no-op unless the process
    that recorded it died before its keys were gone."""
    owners = list(case.anonymisation_shredded)
    if not ctx.shredder.count_keys(owners):
        return 0
    return ctx.shredder.shred(owners)


def _anonymise(
    ctx: Context,
    case: Case,
    reason: str,
    actor_id: UUID | None,
    job: AnonymisationJob | None = None,
) -> AnonymisationOutcome:
    plan = _plan(ctx, case)
    keys = ctx.shredder.count_keys(plan.owners)
    now = ctx.clock.now()
    ref = f"anonymisation/{case.id}"

    # The ledger outlives database restores: a restored backup that predates
    # this anonymisation has its keys destroyed again (see erasure.reapply_ledger).
    ctx.ledger.append(
        ErasureRecord(now, case.workspace_id, case.id, tuple(plan.owners), reason, ref)
    )
    case.anonymise(
        mode=plan.mode,
        reason=reason,
        actor_id=actor_id,
        at=now,
        messages=plan.messages,
        removed_fields=plan.removed_fields,
        counts=plan.counts,
        shredded_owner_ids=plan.owners,
    )
    pending: list[Any] = [case]
    if plan.subject is not None:
        plan.subject.erase(
            workspace_id=case.workspace_id,
            reason=f"last case anonymised: {reason}"[:MAX_REASON],
            request_ref=ref,
            shredded_owner_ids=[plan.subject.id],
            actor_id=actor_id,
        )
        pending.append(plan.subject)
    if job is not None:
        job.record_anonymised(case.id)
        pending.append(job)
    _save(ctx, *pending)
    # Catching up deleted the keys already; shredding again also reclaims the
    # space their rows held (the WAL in SQLite, the table file in PostgreSQL).
    ctx.shredder.shred(plan.owners)
    return AnonymisationOutcome(
        case_id=case.id,
        mode=plan.mode,
        anonymised_at=now,
        keys_destroyed=keys,
        messages=plan.counts["messages"],
        redactions=plan.counts["redactions"],
        attachments_removed=plan.counts["attachments_removed"],
        personal_tags_removed=plan.counts["personal_tags_removed"],
        fields_removed=plan.counts["fields_removed"],
        subject_erased=plan.subject is not None,
    )


def _plan(ctx: Context, case: Case) -> _Plan:
    mode = AnonymisationMode.SENSITIVE if case.sensitive else AnonymisationMode.PROFILE
    always = set(always_removed_fields(ctx, case.workspace_id))
    removed_fields = [
        {"message_id": message_id, "name": field["name"]}
        for message_id, fields in case.form_fields.items()
        for field in fields
        if field["sensitive"] or field["name"] in always
    ]
    removed = {(r["message_id"], r["name"]) for r in removed_fields}
    subject = _subject_left_without_cases(ctx, case)
    owners = [case_profile_owner(case.id)]
    counts = {
        "messages": len(case.messages),
        "characters_before": sum(_length(m["body"]) for m in case.messages),
        "attachments_removed": 0,
        "personal_tags_removed": 0,
        "fields_removed": len(removed_fields),
        "redactions": 0,
    }
    messages: list[dict[str, Any]] = []
    if mode == AnonymisationMode.SENSITIVE:
        messages, replaced = _redacted_copy(ctx, case, removed, subject)
        owners.append(case.content_owner)
        owners.extend(
            form_field_owner(case.id, message_id, field["name"])
            for message_id, fields in case.form_fields.items()
            for field in fields
        )
        counts["attachments_removed"] = sum(
            len(m["attachments"]) for m in case.messages
        )
        counts["personal_tags_removed"] = len(case.personal_tags)
        counts["redactions"] = sum(replaced.values())
        counts.update({f"redacted.{k}": v for k, v in sorted(replaced.items())})
        counts["characters_after"] = sum(_length(m["body"]) for m in messages)
    else:
        owners.extend(
            form_field_owner(case.id, r["message_id"], r["name"])
            for r in removed_fields
        )
        counts["characters_after"] = counts["characters_before"]
    if subject is not None:
        owners.append(subject.id)
    return _Plan(mode.value, messages, removed_fields, counts, owners, subject)


def _redacted_copy(
    ctx: Context,
    case: Case,
    removed: set[tuple[UUID, str]],
    subject: DataSubject | None,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    if ctx.redactor is None:
        raise RedactorUnavailableError("no redactor is configured")
    owner = anonymised_owner(case.id)
    known = _known_values(ctx, case, subject)
    replaced: dict[str, int] = {}

    def redact(value: PersonalData | None, field: str) -> PersonalData | None:
        if value is None:
            return None
        if value.is_erased:
            return PersonalData.erased(owner, field)
        redaction = ctx.redactor.redact(value.text(), known)  # type: ignore[union-attr]
        for category, count in redaction.replaced.items():
            replaced[category] = replaced.get(category, 0) + count
        return PersonalData(owner, field, redaction.text)

    messages = []
    for message in case.messages:
        message_id = message["message_id"]
        inbound = message["direction"] == Direction.INBOUND
        placeholder = CUSTOMER_PLACEHOLDER if inbound else AGENT_PLACEHOLDER
        fields = [
            {**field, "value": redact(field["value"], "form_value")}
            for field in case.form_fields.get(message_id, [])
            if (message_id, field["name"]) not in removed
        ]
        messages.append(
            {
                "message_id": message_id,
                "author": PersonalData(owner, "author", placeholder),
                "subject_line": redact(message["subject_line"], "subject_line"),
                "body": redact(message["body"], "body"),
                "fields": fields,
            }
        )
    return messages, replaced


def _known_values(
    ctx: Context, case: Case, subject: DataSubject | None
) -> dict[str, str]:
    """Values the case itself says are personal: they are replaced even where
    the detector would not recognise them."""
    known: dict[str, str] = {}

    def add(value: PersonalData | None, category: str) -> None:
        if value is None or value.is_erased:
            return
        text = value.text()
        kind, _, rest = text.partition(":")
        if category == "identity" and rest:
            category, text = _KNOWN_CATEGORY.get(kind, "IDENTITY"), rest
        known[text] = category
        if category == "PERSON":
            for part in text.replace("<", " ").replace(">", " ").split():
                known.setdefault(part, "EMAIL_ADDRESS" if "@" in part else "PERSON")

    for key, value in case.profile.items():
        add(value, "identity" if key == "identity" else "PERSON")
    for message in case.messages:
        if message["direction"] == Direction.INBOUND:
            add(message["author"], "PERSON")
    for tag in case.personal_tags:
        add(tag, "PERSON")
    if subject is None and case.subject_id is not None:
        subject = ctx.store.get(case.subject_id)
    if subject is not None:
        for identity in subject.identities:
            add(identity, "identity")
        add(subject.name, "PERSON")
        for key, value in subject.details.items():
            add(value, _KNOWN_CATEGORY.get(key, "PERSONAL_DATA"))
    return known


def _subject_left_without_cases(ctx: Context, case: Case) -> DataSubject | None:
    """The case's subject when this is their last case: a person record with no
    case left serves no purpose, so it goes too (unless held)."""
    if case.subject_id is None:
        return None
    others = [
        summary
        for summary in ctx.views.cases(
            case.workspace_id, subject_id=case.subject_id, limit=2
        )
        if summary.case_id != case.id
    ]
    if others:
        return None
    subject = ctx.store.get(case.subject_id)
    if not isinstance(subject, DataSubject) or subject.erased or subject.legal_hold:
        return None
    return subject


def _length(value: PersonalData | None) -> int:
    return 0 if value is None or value.is_erased else len(value.text())


def _checked_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInputError("anonymising needs a reason")
    if len(reason) > MAX_REASON:
        raise InvalidInputError(f"the reason is longer than {MAX_REASON} characters")
    return reason


def _save(ctx: Context, *aggregates: Any) -> None:
    try:
        ctx.save(*aggregates)
    except IntegrityError as error:
        raise ConflictError(
            "the case changed while it was being anonymised; try again"
        ) from error


# Workspace setting


def always_removed_fields(ctx: Context, workspace_id: UUID) -> list[str]:
    require_workspace(ctx, workspace_id)
    workspace: Workspace = ctx.store.get(workspace_id)
    return list(workspace.settings.get(ALWAYS_REMOVE_SETTING, []))


def set_always_removed_fields(
    ctx: Context, workspace_id: UUID, names: list[str], actor_id: UUID | None
) -> list[str]:
    """Sets the form-field names anonymisation removes in every mode."""
    bad = sorted(name for name in names if not FIELD_NAME.match(name))
    if bad:
        raise InvalidInputError(f"not form-field names: {', '.join(bad)}")
    require_workspace(ctx, workspace_id)
    workspace: Workspace = ctx.store.get(workspace_id)
    value = sorted(set(names))
    workspace.change_setting(key=ALWAYS_REMOVE_SETTING, value=value, actor_id=actor_id)
    ctx.save(workspace)
    return value


# Bulk


def anonymise_closed_cases(
    ctx: Context,
    workspace_id: UUID,
    *,
    inbox_id: UUID | None = None,
    closed_before: dt.datetime | None = None,
    tag: str | None = None,
    reason: str,
    actor_id: UUID | None,
    job_id: UUID | None = None,
    on_progress: Callable[[JobProgress], None] | None = None,
) -> BulkOutcome:
    """Anonymises every closed case matching all the filters given, as a job.

    The matching cases are fixed when the job starts. Called again with the id of
    an unfinished job, it resumes that job (its own filters stand) and never acts
    on a case twice: each case's anonymisation and the job's record of it are
    stored in one transaction. Cases under legal hold, reopened or anonymised
    meanwhile are skipped and recorded as such.
    """
    reason = _checked_reason(reason)
    require_workspace(ctx, workspace_id)
    if inbox_id is not None:
        require_inbox(ctx, workspace_id, inbox_id)
    job = _existing_job(ctx, workspace_id, job_id)
    if job is None:
        job = AnonymisationJob(
            aggregate_id=job_id or uuid4(),
            workspace_id=workspace_id,
            inbox_id=inbox_id,
            closed_before=closed_before,
            tag=tag,
            reason=reason,
            actor_id=actor_id,
            case_ids=matching_cases(
                ctx,
                workspace_id,
                inbox_id=inbox_id,
                closed_before=closed_before,
                tag=tag,
            ),
            started_at=ctx.clock.now(),
        )
        _save(ctx, job)
    for case_id in job.remaining:
        case: Case = ctx.store.get(case_id)
        why = _skip_reason(ctx, case)
        if why is None:
            _anonymise(ctx, case, job.reason, job.actor_id, job)
        else:
            job.record_skipped(case_id=case_id, why=why)
            _save(ctx, job)
        if on_progress is not None:
            done = len(job.case_ids) - len(job.remaining)
            on_progress(
                JobProgress(
                    job.id, done, len(job.case_ids), case_id, why or "anonymised"
                )
            )
    if not job.is_finished:
        job.finish(at=ctx.clock.now())
        _save(ctx, job)
    return _bulk_outcome(job)


def matching_cases(
    ctx: Context,
    workspace_id: UUID,
    *,
    inbox_id: UUID | None = None,
    closed_before: dt.datetime | None = None,
    tag: str | None = None,
) -> list[UUID]:
    """Closed, not yet anonymised cases matching every filter given."""
    summaries = ctx.views.cases(
        workspace_id, inbox_id=inbox_id, status="closed", limit=10_000_000
    )
    return sorted(
        (
            summary.case_id
            for summary in summaries
            if summary.anonymised_mode is None
            and (
                closed_before is None
                or (summary.closed_at is not None and summary.closed_at < closed_before)
            )
            and (tag is None or tag in summary.tags)
        ),
        key=str,
    )


def job_outcome(ctx: Context, workspace_id: UUID, job_id: UUID) -> BulkOutcome:
    job = _existing_job(ctx, workspace_id, job_id)
    if job is None:
        raise NotFoundError("anonymisation job", job_id)
    return _bulk_outcome(job)


def _existing_job(
    ctx: Context, workspace_id: UUID, job_id: UUID | None
) -> AnonymisationJob | None:
    if job_id is None:
        return None
    try:
        job = ctx.store.get(job_id)
    except AggregateNotFoundError:
        return None  # a new job that takes the id the caller chose
    if not isinstance(job, AnonymisationJob) or job.workspace_id != workspace_id:
        raise NotFoundError("anonymisation job", job_id)
    return job


def _skip_reason(ctx: Context, case: Case) -> str | None:
    if case.is_anonymised:
        return "anonymised already"
    if legal_hold_on(ctx, case):
        return "under legal hold"
    if case.is_open:
        return "reopened since the job started"
    return None


def _bulk_outcome(job: AnonymisationJob) -> BulkOutcome:
    return BulkOutcome(
        job_id=job.id,
        total=len(job.case_ids),
        anonymised=len(job.anonymised),
        skipped=len(job.skipped),
        remaining=len(job.remaining),
        finished=job.is_finished,
    )
