"""Routes of anonymisation (issue 5): one case, closed cases in bulk, the
workspace's always-remove list, and the statistics anonymisation leaves."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from application import anonymisation as anon
from application.errors import NotFoundError
from domain.model import Role
from interface.api.deps import MAX_POSITION, STAFF, Ctx, User, in_workspace

router = APIRouter(tags=["anonymisation"])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AnonymiseIn(_Strict):
    reason: str = Field(min_length=1, max_length=200)
    confirm_open: bool = Field(
        default=False, description="Needed to anonymise a case that is still open."
    )


class AnonymisationOut(BaseModel):
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


class BulkIn(_Strict):
    reason: str = Field(min_length=1, max_length=200)
    inbox_id: UUID | None = None
    closed_before: dt.datetime | None = None
    tag: str | None = Field(default=None, min_length=1, max_length=100)
    job_id: UUID | None = Field(
        default=None,
        description="Resume this job, or start a new job with this id.",
    )


class BulkOut(BaseModel):
    job_id: UUID
    total: int
    anonymised: int
    skipped: int
    remaining: int
    finished: bool


class AlwaysRemoveIn(_Strict):
    fields: list[str] = Field(max_length=200)


class AlwaysRemoveOut(BaseModel):
    fields: list[str]


class AnonymisationRecordOut(BaseModel):
    case_id: UUID
    mode: str
    reason: str
    actor_id: UUID | None
    job_id: UUID | None
    anonymised_at: dt.datetime
    messages: int
    characters_before: int
    characters_after: int
    redactions: int
    attachments_removed: int
    fields_removed: int
    personal_tags_removed: int


@router.post(
    "/v1/workspaces/{workspace_id}/cases/{case_id}/anonymise",
    response_model=AnonymisationOut,
)
def anonymise_case(
    workspace_id: UUID, case_id: UUID, body: AnonymiseIn, user: User, ctx: Ctx
) -> AnonymisationOut:
    """Anonymises a case for good. A case flagged sensitive has every message
    redacted and its attachments and personal tags removed; any other case loses
    the customer's profile and subject link. Sensitive and always-remove form
    fields go in both modes. 409 when already anonymised, open without
    `confirm_open`, or under legal hold."""
    in_workspace(user, workspace_id, *STAFF)
    outcome = anon.anonymise_case(
        ctx,
        workspace_id,
        case_id,
        reason=body.reason,
        actor_id=user.user_id,
        allow_open=body.confirm_open,
    )
    return AnonymisationOut(**vars(outcome))


@router.post("/v1/workspaces/{workspace_id}/anonymisation-jobs", response_model=BulkOut)
def anonymise_closed_cases(
    workspace_id: UUID, body: BulkIn, user: User, ctx: Ctx
) -> BulkOut:
    """Anonymises every closed case matching all filters given (administrators).
    Runs to the end before answering; send the same `job_id` again to resume a
    job that was interrupted: no case is anonymised twice."""
    in_workspace(user, workspace_id, Role.ADMINISTRATOR)
    outcome = anon.anonymise_closed_cases(
        ctx,
        workspace_id,
        inbox_id=body.inbox_id,
        closed_before=_aware(body.closed_before),
        tag=body.tag,
        reason=body.reason,
        actor_id=user.user_id,
        job_id=body.job_id,
    )
    return BulkOut(**vars(outcome))


@router.get(
    "/v1/workspaces/{workspace_id}/anonymisation-jobs/{job_id}",
    response_model=BulkOut,
)
def job_progress(workspace_id: UUID, job_id: UUID, user: User, ctx: Ctx) -> BulkOut:
    """A bulk job's progress."""
    in_workspace(user, workspace_id, Role.ADMINISTRATOR)
    return BulkOut(**vars(anon.job_outcome(ctx, workspace_id, job_id)))


@router.get(
    "/v1/workspaces/{workspace_id}/anonymisation/always-remove",
    response_model=AlwaysRemoveOut,
)
def always_remove(workspace_id: UUID, user: User, ctx: Ctx) -> AlwaysRemoveOut:
    """Form-field names removed from every case anonymised in this workspace."""
    in_workspace(user, workspace_id, *STAFF)
    return AlwaysRemoveOut(fields=anon.always_removed_fields(ctx, workspace_id))


@router.put(
    "/v1/workspaces/{workspace_id}/anonymisation/always-remove",
    response_model=AlwaysRemoveOut,
)
def set_always_remove(
    workspace_id: UUID, body: AlwaysRemoveIn, user: User, ctx: Ctx
) -> AlwaysRemoveOut:
    """Replaces the always-remove list (administrators; recorded as an event)."""
    in_workspace(user, workspace_id, Role.ADMINISTRATOR)
    fields = anon.set_always_removed_fields(
        ctx, workspace_id, body.fields, user.user_id
    )
    return AlwaysRemoveOut(fields=fields)


@router.get(
    "/v1/workspaces/{workspace_id}/anonymisations",
    response_model=list[AnonymisationRecordOut],
)
def anonymisations(
    workspace_id: UUID,
    user: User,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
) -> list[AnonymisationRecordOut]:
    """Anonymised cases with what statistics keep of them: counts and lengths,
    never content. Channel, inbox, tags, times and categories stay on the case
    list."""
    in_workspace(user, workspace_id, *STAFF, Role.AUDITOR)
    if ctx.anonymisation_views is None:
        raise NotFoundError("anonymisation view", workspace_id)
    records = ctx.anonymisation_views.anonymisations(
        workspace_id, limit=limit, offset=offset
    )
    return [
        AnonymisationRecordOut(
            **{k: v for k, v in vars(r).items() if k != "workspace_id"}
        )
        for r in records
    ]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)
