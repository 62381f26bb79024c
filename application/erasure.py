"""Erasure of a data subject (GDPR art. 17) by destroying keys, with a receipt."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from uuid import UUID

from application.context import Context
from application.errors import ConflictError, LegalHoldError, NotFoundError
from application.ports import AccessLogFilter, ErasureRecord
from domain.anonymisation import form_field_owner
from domain.model import Case, DataSubject, case_profile_owner


@dataclass(frozen=True)
class StoreTouched:
    store: str
    action: str
    count: int


@dataclass(frozen=True)
class ErasureReceipt:
    """What an erasure touched, store by store, with counts and never values."""

    subject_id: UUID
    request_ref: str
    erased_at: dt.datetime
    keys_destroyed: int
    cases_erased: tuple[UUID, ...]
    cases_kept_shared: tuple[UUID, ...]
    stores: tuple[StoreTouched, ...] = field(default=())


def load_subject(ctx: Context, workspace_id: UUID, subject_id: UUID) -> DataSubject:
    try:
        subject: DataSubject = ctx.store.get(subject_id)
    except Exception:
        raise NotFoundError("data subject", subject_id) from None
    if not isinstance(subject, DataSubject) or subject.workspace_id != workspace_id:
        raise NotFoundError("data subject", subject_id)
    return subject


def place_subject_hold(
    ctx: Context,
    workspace_id: UUID,
    subject_id: UUID,
    reason: str,
    actor_id: UUID | None,
) -> None:
    subject = load_subject(ctx, workspace_id, subject_id)
    subject.place_legal_hold(reason=reason, actor_id=actor_id)
    ctx.save(subject)


def release_subject_hold(
    ctx: Context, workspace_id: UUID, subject_id: UUID, actor_id: UUID | None
) -> None:
    subject = load_subject(ctx, workspace_id, subject_id)
    subject.release_legal_hold(actor_id=actor_id)
    ctx.save(subject)


def erase_subject(
    ctx: Context,
    workspace_id: UUID,
    subject_id: UUID,
    *,
    reason: str,
    request_ref: str,
    actor_id: UUID | None,
) -> ErasureReceipt:
    """Shreds the subject's keys and those of cases that hold only their data.

    Raises NotFoundError, ConflictError (already erased) or LegalHoldError (a hold
    on the subject or one of their cases; the refusal is recorded as an event).
    """
    subject = load_subject(ctx, workspace_id, subject_id)
    if subject.erased:
        raise ConflictError(f"data subject {subject_id} is already erased")
    summaries = ctx.views.cases(workspace_id, subject_id=subject_id, limit=1_000_000)
    cases: list[Case] = [ctx.store.get(summary.case_id) for summary in summaries]
    hold = subject.legal_hold or next(
        (c.legal_hold for c in cases if c.legal_hold), None
    )
    if hold:
        subject.refuse_erasure(reason=hold, request_ref=request_ref, actor_id=actor_id)
        ctx.save(subject)
        raise LegalHoldError(subject_id, hold)

    sole = [case for case in cases if not case.has_other_parties]
    shared = [case for case in cases if case.has_other_parties]
    owners = [subject_id]
    for case in sole:
        owners.extend(sole_case_owners(case))
    # In a case shared with other people only the subject's profile goes: the
    # dialog content is sealed under the case key the others still need.
    owners.extend(case_profile_owner(case.id) for case in shared)
    # Every event of the touched streams, not only those carrying messages.
    events = sum(case.version for case in cases) + subject.version
    index_rows = ctx.views.blind_index_rows(subject_id)
    log_entries = len(
        ctx.views.access_log(
            AccessLogFilter(workspace_id, subject_id=subject_id, limit=1_000_000)
        )
    )
    now = ctx.clock.now()

    ctx.ledger.append(
        ErasureRecord(now, workspace_id, subject_id, tuple(owners), reason, request_ref)
    )
    keys_destroyed = ctx.shredder.shred(owners)
    for case in cases:
        case_owners = (
            sole_case_owners(case) if case in sole else [case_profile_owner(case.id)]
        )
        case.erase(reason=reason, shredded_owner_ids=case_owners, actor_id=actor_id)
    subject.erase(
        workspace_id=workspace_id,
        reason=reason,
        request_ref=request_ref,
        shredded_owner_ids=owners,
        actor_id=actor_id,
    )
    ctx.save(subject, *cases)
    files_deleted = sum(delete(subject_id) for delete in ctx.subject_copies)
    return ErasureReceipt(
        subject_id=subject_id,
        request_ref=request_ref,
        erased_at=now,
        keys_destroyed=keys_destroyed,
        cases_erased=tuple(case.id for case in sole),
        cases_kept_shared=tuple(case.id for case in shared),
        stores=(
            StoreTouched("key vault", "data keys destroyed", keys_destroyed),
            StoreTouched(
                "event store", "events made unreadable (kept as noise)", events
            ),
            StoreTouched("blind index", "rows deleted", index_rows),
            StoreTouched("case list", "rows unlinked from the subject", len(cases)),
            StoreTouched(
                "access log", "entries kept, pseudonymous ids only", log_entries
            ),
            StoreTouched("erasure ledger", "records appended", 1),
            StoreTouched("exports held", "stored files deleted", files_deleted),
        ),
    )


def sole_case_owners(case: Case) -> list[UUID]:
    """Every key of a case only the subject wrote in: content, profile, and one
    per submitted form value."""
    return [
        case.content_owner,
        case_profile_owner(case.id),
        *(
            form_field_owner(case.id, message_id, field["name"])
            for message_id, fields in case.form_fields.items()
            for field in fields
        ),
    ]


def reapply_ledger(ctx: Context) -> tuple[int, int]:
    """After a restore: destroys again every key the ledger says was erased, and
    records the erasure again where the restored store does not know it.

    Returns (erasures re-applied, keys found and destroyed).
    """
    records = 0
    destroyed = 0
    for record in ctx.ledger.records():
        records += 1
        destroyed += ctx.shredder.shred(list(record.owner_ids))
        _record_again(ctx, record)
    return records, destroyed


def _record_again(ctx: Context, record: ErasureRecord) -> None:
    """A restored store may predate the erasure: records it once more, so the
    views drop the subject's blind-index rows and the subject reads as erased."""
    try:
        subject = load_subject(ctx, record.workspace_id, record.subject_id)
    except NotFoundError:
        return  # registered after the backup was taken: nothing was restored
    if subject.erased:
        return
    subject.erase(
        workspace_id=record.workspace_id,
        reason=record.reason,
        request_ref=record.request_ref,
        shredded_owner_ids=list(record.owner_ids),
        actor_id=None,
    )
    ctx.save(subject)
