"""Routes of the integrations (issue 9): channel webhooks in, ServiceNow out,
external data sources, and the status API for other systems.

Webhook routes are public: each platform proves itself with its own signature,
checked before the body is parsed. Everything else needs an administrator,
except the status API, which takes an integration client's token.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, cast
from uuid import UUID

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from application import archive_pushes as pushes
from application import external_sources as sources
from application import integrations as integ
from application.errors import UnauthenticatedError
from application.integration_ports import (
    ClientRecord,
    ConnectionRecord,
    Delivery,
    EndpointRecord,
    PayloadTooLargeError,
    PushRecord,
    TargetRecord,
    WebhookRejectedError,
)
from domain.model import Role
from infrastructure.integrations.wiring import EXTRAS_KEY
from interface.api.deps import Credentials, Ctx, User, get_container, in_workspace

log = structlog.get_logger(__name__)

router = APIRouter(tags=["integrations"])

ADMIN = (Role.ADMINISTRATOR,)
Platform = Literal["messenger", "instagram", "x", "youtube", "generic", "email"]


def _services(request: Request) -> integ.IntegrationServices:
    return cast(integ.IntegrationServices, get_container(request).extras[EXTRAS_KEY])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConnectionIn(_Strict):
    platform: Platform
    account_id: str = Field(
        default="",
        max_length=128,
        description="Page id (Messenger), Instagram account id, X user id "
        "(for_user_id), YouTube channel id; optional for generic and e-mail.",
    )
    app_secret: str = Field(
        min_length=16,
        max_length=512,
        description="App secret, consumer secret or shared signing secret. "
        "Sealed; never returned.",
    )
    verify_token: str | None = Field(
        default=None,
        max_length=256,
        description="Meta's subscription verify token. Sealed; never returned.",
    )


class ConnectionOut(BaseModel):
    inbox_id: UUID
    platform: str
    account_id: str
    configured_at: dt.datetime
    webhook_path: str


class WebhookOut(BaseModel):
    case_ids: list[UUID]
    messages_added: int
    ignored: int


class ServiceNowIn(_Strict):
    instance_url: str = Field(min_length=8, max_length=300)
    table: str = Field(min_length=1, max_length=80)
    auth_mode: Literal["basic", "oauth"]
    username: str = Field(default="", max_length=200)
    secret: str = Field(
        min_length=1,
        max_length=512,
        description="Password (basic) or client secret (oauth). Sealed; never "
        "returned.",
    )
    client_id: str = Field(default="", max_length=200)


class ServiceNowOut(BaseModel):
    instance_url: str
    table: str
    auth_mode: str
    configured_at: dt.datetime


class PushOut(BaseModel):
    push_id: UUID
    request_id: UUID
    export_id: UUID
    target: str
    status: str
    attempts: int
    record_id: str | None
    last_error: str | None
    queued_at: dt.datetime
    next_attempt_at: dt.datetime | None
    pushed_at: dt.datetime | None


class SourceIn(_Strict):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=8, max_length=500)
    secret: str = Field(
        min_length=16,
        max_length=512,
        description="Bearer token sent to the source, and the key of its "
        "identifier digests. Sealed; never returned.",
    )
    identifiers: Literal["digest", "clear"] = "digest"
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)


class SourceOut(BaseModel):
    endpoint_id: UUID
    name: str
    url: str
    identifiers: str
    timeout_seconds: float
    registered_at: dt.datetime


class SourceCallOut(BaseModel):
    endpoint_id: UUID
    name: str
    outcome: str
    records: int
    reason: str | None
    called_at: dt.datetime


class ClientIn(_Strict):
    name: str = Field(min_length=1, max_length=100)
    may_download: bool = False


class ClientOut(BaseModel):
    client_id: UUID
    token: str = Field(description="Shown once; stored only as its hash.")


class FileStatusOut(BaseModel):
    export_id: UUID
    status: str
    expires_at: dt.datetime | None
    size: int | None
    content_sha256: str | None


class RequestStatusOut(BaseModel):
    request_id: UUID
    state: str
    submitted_at: dt.datetime | None
    files: list[FileStatusOut]


# Channel webhooks


@router.put(
    "/v1/workspaces/{workspace_id}/inboxes/{inbox_id}/webhook-connection",
    response_model=ConnectionOut,
)
def configure_connection(
    workspace_id: UUID,
    inbox_id: UUID,
    body: ConnectionIn,
    user: User,
    ctx: Ctx,
    request: Request,
) -> ConnectionOut:
    """Connects an inbox to a platform's webhooks. The answer shows the path to
    give the platform; secrets are sealed and never shown again."""
    in_workspace(user, workspace_id, *ADMIN)
    record = integ.configure_channel(
        ctx,
        _services(request),
        user,
        inbox_id,
        platform=body.platform,
        account_id=body.account_id,
        app_secret=body.app_secret,
        verify_token=body.verify_token,
    )
    return _connection_out(record)


@router.get(
    "/v1/workspaces/{workspace_id}/webhook-connections",
    response_model=list[ConnectionOut],
)
def list_connections(
    workspace_id: UUID, user: User, ctx: Ctx, request: Request
) -> list[ConnectionOut]:
    """The workspace's webhook connections, without their secrets."""
    in_workspace(user, workspace_id, *ADMIN)
    return [
        _connection_out(r) for r in integ.connections(ctx, _services(request), user)
    ]


def _connection_out(record: ConnectionRecord) -> ConnectionOut:
    return ConnectionOut(
        inbox_id=record.inbox_id,
        platform=record.platform,
        account_id=record.account_id,
        configured_at=record.configured_at,
        webhook_path=f"/v1/webhooks/{record.platform}/{record.inbox_id}",
    )


@router.get("/v1/webhooks/{platform}/{inbox_id}")
def webhook_handshake(
    platform: Platform, inbox_id: UUID, ctx: Ctx, request: Request
) -> Response:
    """Answers the platform's subscription check: Meta's hub.challenge echo
    (hub.mode, hub.verify_token, hub.challenge) or X's CRC (crc_token)."""
    svc = _services(request)
    answer = integ.answer_handshake(
        ctx, svc, inbox_id, platform, dict(request.query_params)
    )
    return Response(answer, media_type=svc.webhooks[platform].handshake_media_type)


@router.post("/v1/webhooks/{platform}/{inbox_id}", response_model=WebhookOut)
async def webhook_delivery(
    platform: Platform, inbox_id: UUID, ctx: Ctx, request: Request
) -> WebhookOut:
    """Receives one signed delivery. 401 when unsigned, wrongly signed, changed
    after signing or stale; 409 when replayed; 413 when too large; 422 when
    malformed or for a page or account the inbox is not connected to. Nothing is
    written in any of these cases; a redelivered message adds nothing."""
    svc = _services(request)
    limit = max(svc.webhook_max_bytes, svc.email_max_bytes)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(limit)
    body = await request.body()
    delivery = Delivery(
        headers={k.lower(): v for k, v in request.headers.items()}, body=body
    )
    try:
        result = integ.receive_webhook(ctx, svc, inbox_id, platform, delivery)
    except WebhookRejectedError as error:
        log.warning(
            "integrations.webhook_rejected",
            inbox_id=str(inbox_id),
            platform=platform,
            reason=error.reason,
        )
        raise
    return WebhookOut(
        case_ids=list(result.case_ids),
        messages_added=result.messages_added,
        ignored=result.ignored,
    )


# ServiceNow


@router.put(
    "/v1/workspaces/{workspace_id}/integrations/servicenow",
    response_model=ServiceNowOut,
)
def configure_servicenow(
    workspace_id: UUID, body: ServiceNowIn, user: User, ctx: Ctx, request: Request
) -> ServiceNowOut:
    """Sets where finished access-request files are pushed. Files generated from
    now on are queued for it; the secret is sealed and never shown again."""
    in_workspace(user, workspace_id, *ADMIN)
    record = pushes.configure_servicenow(
        ctx,
        _services(request),
        user,
        instance_url=body.instance_url,
        table=body.table,
        auth_mode=body.auth_mode,
        username=body.username,
        secret=body.secret,
        client_id=body.client_id,
    )
    return _target_out(record)


def _target_out(record: TargetRecord) -> ServiceNowOut:
    return ServiceNowOut(
        instance_url=record.instance_url,
        table=record.table,
        auth_mode=record.auth_mode,
        configured_at=record.configured_at,
    )


@router.get(
    "/v1/workspaces/{workspace_id}/integrations/pushes",
    response_model=list[PushOut],
)
def list_pushes(
    workspace_id: UUID, user: User, ctx: Ctx, request: Request
) -> list[PushOut]:
    """Every push of a finished file: queued, failed (with the reason and the
    next attempt) and pushed (with the ServiceNow record id)."""
    in_workspace(user, workspace_id, *ADMIN)
    return [_push_out(p) for p in pushes.pushes(ctx, _services(request), user)]


@router.post(
    "/v1/workspaces/{workspace_id}/integrations/pushes/run",
    response_model=list[PushOut],
)
def run_pushes(
    workspace_id: UUID, user: User, ctx: Ctx, request: Request, force: bool = False
) -> list[PushOut]:
    """Sends the workspace's due pushes now (all failed ones with force=true)
    and returns the queue afterwards."""
    in_workspace(user, workspace_id, *ADMIN)
    svc = _services(request)
    pushes.run_pushes(ctx, svc, force=force, workspace_id=workspace_id)
    return [_push_out(p) for p in pushes.pushes(ctx, svc, user)]


def _push_out(record: PushRecord) -> PushOut:
    return PushOut(
        push_id=record.push_id,
        request_id=record.request_id,
        export_id=record.export_id,
        target=record.target,
        status=record.status,
        attempts=record.attempts,
        record_id=record.record_id,
        last_error=record.last_error,
        queued_at=record.queued_at,
        next_attempt_at=record.next_attempt_at,
        pushed_at=record.pushed_at,
    )


# External data sources


@router.post(
    "/v1/workspaces/{workspace_id}/integrations/sources",
    response_model=SourceOut,
    status_code=201,
)
def register_source(
    workspace_id: UUID, body: SourceIn, user: User, ctx: Ctx, request: Request
) -> SourceOut:
    """Registers an HTTPS endpoint asked for a person's records whenever an
    access request of this workspace is approved (docs/integrations.md)."""
    in_workspace(user, workspace_id, *ADMIN)
    svc = _services(request)
    endpoint_id = sources.register_source(
        ctx,
        svc,
        user,
        name=body.name,
        url=body.url,
        secret=body.secret,
        identifiers=body.identifiers,
        timeout_seconds=body.timeout_seconds,
    )
    registered = svc.views.endpoints(workspace_id)
    return _source_out(next(e for e in registered if e.endpoint_id == endpoint_id))


@router.get(
    "/v1/workspaces/{workspace_id}/integrations/sources",
    response_model=list[SourceOut],
)
def list_sources(
    workspace_id: UUID, user: User, ctx: Ctx, request: Request
) -> list[SourceOut]:
    in_workspace(user, workspace_id, *ADMIN)
    return [_source_out(e) for e in sources.sources(ctx, _services(request), user)]


@router.delete(
    "/v1/workspaces/{workspace_id}/integrations/sources/{endpoint_id}",
    status_code=204,
)
def remove_source(workspace_id: UUID, endpoint_id: UUID, user: User, ctx: Ctx) -> None:
    in_workspace(user, workspace_id, *ADMIN)
    sources.remove_source(ctx, user, endpoint_id)


@router.get(
    "/v1/workspaces/{workspace_id}/integrations/source-calls",
    response_model=list[SourceCallOut],
)
def list_source_calls(
    workspace_id: UUID, user: User, request: Request
) -> list[SourceCallOut]:
    """Every call made to an external source: outcome and count, never data."""
    in_workspace(user, workspace_id, *ADMIN)
    return [
        SourceCallOut(
            endpoint_id=c.endpoint_id,
            name=c.name,
            outcome=c.outcome,
            records=c.records,
            reason=c.reason,
            called_at=c.called_at,
        )
        for c in _services(request).views.source_calls(workspace_id)
    ]


def _source_out(record: EndpointRecord) -> SourceOut:
    return SourceOut(
        endpoint_id=record.endpoint_id,
        name=record.name,
        url=record.url,
        identifiers=record.identifiers,
        timeout_seconds=record.timeout_seconds,
        registered_at=record.registered_at,
    )


# Status API for other systems (issue 9.4)


@router.post(
    "/v1/workspaces/{workspace_id}/integrations/clients",
    response_model=ClientOut,
    status_code=201,
)
def register_client(
    workspace_id: UUID, body: ClientIn, user: User, ctx: Ctx
) -> ClientOut:
    """Issues a token another system uses on /v1/integrations/…; shown once."""
    in_workspace(user, workspace_id, *ADMIN)
    issued = integ.register_client(ctx, user, body.name, may_download=body.may_download)
    return ClientOut(client_id=issued.client_id, token=issued.token)


@router.delete(
    "/v1/workspaces/{workspace_id}/integrations/clients/{client_id}",
    status_code=204,
)
def revoke_client(workspace_id: UUID, client_id: UUID, user: User, ctx: Ctx) -> None:
    in_workspace(user, workspace_id, *ADMIN)
    integ.revoke_client(ctx, user, client_id)


def _client(request: Request, credentials: Credentials) -> ClientRecord:
    if credentials is None:
        raise UnauthenticatedError("send the integration token: Authorization: Bearer")
    return integ.authenticate_client(_services(request), credentials.credentials)


@router.get(
    "/v1/integrations/access-requests/{request_id}",
    response_model=RequestStatusOut,
)
def request_status(
    request_id: UUID, ctx: Ctx, request: Request, credentials: Credentials
) -> RequestStatusOut:
    """An access request's state and its files, for an integration client of
    the request's workspace. The read is recorded before the answer leaves."""
    client = _client(request, credentials)
    status = integ.request_status(ctx, client, request_id)
    return RequestStatusOut(
        request_id=status.request_id,
        state=status.state,
        submitted_at=status.submitted_at,
        files=[FileStatusOut(**vars(f)) for f in status.files],
    )


@router.get("/v1/integrations/access-requests/{request_id}/files/{export_id}")
def request_file(
    request_id: UUID,
    export_id: UUID,
    ctx: Ctx,
    request: Request,
    credentials: Credentials,
) -> StreamingResponse:
    """The finished, encrypted file, for a client granted downloads; recorded
    as a download by that client. 410 once the link expired or was revoked."""
    client = _client(request, credentials)
    address = request.client.host if request.client else None
    chunks = integ.fetch_file(
        ctx, _services(request), client, request_id, export_id, client_address=address
    )
    return StreamingResponse(
        chunks,
        media_type="application/zip",
        headers={
            "Content-Disposition": (
                f'attachment; filename="access-request-{request_id}.zip"'
            )
        },
    )
