"""The agents' queue of access requests, and the status and file endpoint other
systems use (issue 9.4). Every download of a file is recorded like any touch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, cast
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from application import access_requests as ar
from domain.access_requests import AccessRequest
from domain.model import Role
from infrastructure.access_requests.wiring import EXTRAS_KEY
from infrastructure.bootstrap import Container
from interface.api.deps import (
    MAX_POSITION,
    STAFF,
    Ctx,
    User,
    get_container,
    in_workspace,
)
from interface.api.governance import request_client
from interface.api.schemas import Strict

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/access-requests")
StateName = Annotated[
    str | None,
    Query(
        pattern="^(submitted|verifying|ready_for_review|approved|delivered|rejected)$"
    ),
]


def services_of(container: Container) -> ar.AccessRequestServices:
    return cast(ar.AccessRequestServices, container.extras[EXTRAS_KEY])


def _svc(request: Request) -> ar.AccessRequestServices:
    return services_of(get_container(request))


class ExportOut(BaseModel):
    export_id: UUID
    status: str  # live, revoked, expired
    expires_at: dt.datetime
    size: int
    content_sha256: str


class AccessRequestOut(BaseModel):
    request_id: UUID
    state: str
    language: str
    submitted_at: dt.datetime
    due_at: dt.datetime
    deadline_extended: bool
    overdue: bool
    assignee_id: UUID | None
    group_id: UUID = Field(
        description="Requests of the same person (a shared proven identity) "
        "carry the id of the earliest one"
    )
    identities_total: int
    identities_proven: int
    channels: list[str]
    exports: list[ExportOut] = []


class AssignIn(Strict):
    assignee_id: UUID


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class DeadlineOut(BaseModel):
    due_at: dt.datetime


class ApprovalOut(BaseModel):
    export_id: UUID
    password: str = Field(
        description="Shown only in this answer and stored nowhere: give it to the "
        "person another way than the link (phone, letter, in person)"
    )
    expires_at: dt.datetime
    content_sha256: str
    size: int
    cases: int
    messages_per_channel: dict[str, int]
    attachments: int


class ExpiredOut(BaseModel):
    expired: int


def _out(item: ar.QueueItem, request: AccessRequest | None = None) -> AccessRequestOut:
    exports = [] if request is None else _exports(request)
    return AccessRequestOut(
        request_id=item.request_id,
        state=item.state,
        language=item.language,
        submitted_at=item.submitted_at,
        due_at=item.due_at,
        deadline_extended=item.extended,
        overdue=item.overdue,
        assignee_id=item.assignee_id,
        group_id=item.group_id,
        identities_total=item.identities_total,
        identities_proven=item.identities_proven,
        channels=list(item.kinds),
        exports=exports,
    )


def _exports(request: AccessRequest) -> list[ExportOut]:
    return [
        ExportOut(
            export_id=export_id,
            status=export["status"],
            expires_at=export["expires_at"],
            size=export["size"],
            content_sha256=export["content_sha256"],
        )
        for export_id, export in request.exports.items()
    ]


@router.get("", response_model=list[AccessRequestOut])
def list_requests(
    workspace_id: UUID,
    user: User,
    ctx: Ctx,
    request: Request,
    state: StateName = None,
    assignee_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
) -> list[AccessRequestOut]:
    """The queue, earliest deadline first; `overdue` marks requests past their
    art. 12 deadline that are neither delivered nor rejected."""
    in_workspace(user, workspace_id, *STAFF)
    items = ar.queue(
        ctx,
        _svc(request),
        workspace_id,
        state=state,
        assignee_id=assignee_id,
        limit=limit,
        offset=offset,
    )
    return [_out(item) for item in items]


@router.get("/{request_id}", response_model=AccessRequestOut)
def request_status(
    workspace_id: UUID, request_id: UUID, user: User, ctx: Ctx, request: Request
) -> AccessRequestOut:
    """A request's state, deadline and files, without any personal data: the
    status endpoint for other systems."""
    in_workspace(user, workspace_id, *STAFF)
    item = ar.queue_item(ctx, _svc(request), workspace_id, request_id)
    return _out(item, ar.load_request(ctx, workspace_id, request_id))


@router.post("/{request_id}/claim", status_code=204)
def claim(workspace_id: UUID, request_id: UUID, user: User, ctx: Ctx) -> None:
    """Takes the request (409 if another agent has it: assign it instead)."""
    in_workspace(user, workspace_id, *STAFF)
    ar.claim(ctx, user, request_id)


@router.post("/{request_id}/assign", status_code=204)
def assign(
    workspace_id: UUID, request_id: UUID, body: AssignIn, user: User, ctx: Ctx
) -> None:
    """Gives the request to an agent or administrator of the workspace."""
    in_workspace(user, workspace_id, *STAFF)
    ar.assign(ctx, user, request_id, body.assignee_id)


@router.post("/{request_id}/extend", response_model=DeadlineOut)
def extend(
    workspace_id: UUID, request_id: UUID, body: ReasonIn, user: User, ctx: Ctx
) -> DeadlineOut:
    """Extends the deadline by one month with a recorded reason (twice at most,
    art. 12(3)); the person must be told within the first month."""
    in_workspace(user, workspace_id, *STAFF)
    return DeadlineOut(due_at=ar.extend_deadline(ctx, user, request_id, body.reason))


@router.post("/{request_id}/approve", response_model=ApprovalOut)
def approve(
    workspace_id: UUID, request_id: UUID, user: User, ctx: Ctx, request: Request
) -> ApprovalOut:
    """Gathers the person's data and writes the encrypted file. The password is
    in this answer only."""
    in_workspace(user, workspace_id, *STAFF)
    approval = ar.approve(ctx, _svc(request), user, request_id)
    return ApprovalOut(
        export_id=approval.export_id,
        password=approval.password,
        expires_at=approval.expires_at,
        content_sha256=approval.content_sha256,
        size=approval.size,
        cases=approval.totals.cases,
        messages_per_channel=approval.totals.messages_per_channel,
        attachments=approval.totals.attachments,
    )


@router.post("/{request_id}/reject", status_code=204)
def reject(
    workspace_id: UUID, request_id: UUID, body: ReasonIn, user: User, ctx: Ctx
) -> None:
    """Rejects the request with a reason the person sees on their status page."""
    in_workspace(user, workspace_id, *STAFF)
    ar.reject(ctx, user, request_id, body.reason)


@router.post("/{request_id}/exports/{export_id}/revoke", status_code=204)
def revoke(
    workspace_id: UUID,
    request_id: UUID,
    export_id: UUID,
    body: ReasonIn,
    user: User,
    ctx: Ctx,
    request: Request,
) -> None:
    """Revokes the download link at once and deletes the stored file."""
    in_workspace(user, workspace_id, *STAFF)
    ar.revoke_link(ctx, _svc(request), user, request_id, export_id, body.reason)


@router.get("/{request_id}/exports/{export_id}/file")
def download_file(
    workspace_id: UUID,
    request_id: UUID,
    export_id: UUID,
    user: User,
    ctx: Ctx,
    request: Request,
) -> StreamingResponse:
    """The encrypted archive, for an authorised system; recorded in the access
    log with the caller, address and country before the first byte leaves."""
    in_workspace(user, workspace_id, *STAFF)
    client = request_client(request)
    chunks = ar.download(
        ctx,
        _svc(request),
        ar.load_request(ctx, workspace_id, request_id),
        export_id,
        actor_id=user.user_id,
        client_address=client.address,
        country=client.country,
    )
    return _zip_response(chunks, f"access-request-{request_id}.zip")


@router.post("/expire-links", response_model=ExpiredOut)
def expire_links(
    workspace_id: UUID, user: User, ctx: Ctx, request: Request
) -> ExpiredOut:
    """Expires links past their date and deletes their files (all workspaces;
    also `gdprkit access-requests expire-links` for a scheduler)."""
    in_workspace(user, workspace_id, Role.ADMINISTRATOR)
    return ExpiredOut(expired=ar.expire_links(ctx, _svc(request)))


def _zip_response(chunks: Iterator[bytes], filename: str) -> StreamingResponse:
    return StreamingResponse(
        chunks,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
