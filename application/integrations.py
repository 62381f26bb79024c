"""Integrations (issue 9): channel connections and their webhooks, and the
systems allowed to read access-request status.

A webhook delivery is checked against the inbox's sealed secrets before a byte of
it is parsed; a verified body becomes dialogs that go through `ingest_dialog`,
which threads them, skips messages already received and flags sensitive ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application import access_requests as ar
from application.cases import ingest_dialog
from application.context import Context
from application.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UnauthenticatedError,
)
from application.integration_ports import (
    ChannelSecrets,
    ChannelWebhook,
    ClientRecord,
    ConnectionRecord,
    Delivery,
    IntegrationViews,
    PayloadTooLargeError,
    ReplayedDeliveryError,
    ReplayGuard,
    SourceClient,
    TicketingTarget,
)
from application.ports import UserRecord
from application.workspaces import require_inbox, require_role
from domain.integrations import (
    ChannelConnection,
    IntegrationClient,
    IntegrationError,
    Platform,
    SystemRead,
    connection_id,
    secrets_owner,
)
from domain.model import Role
from domain.personal_data import PersonalData

CLIENT_TOKEN_PREFIX = "gki_"  # noqa: S105 (a prefix, not a secret)
MIN_SECRET_LENGTH = 16
_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9_.:@+\-]{1,128}$")
# Platforms that name the page or account in every payload, so a delivery for
# another one can be refused.
NEEDS_ACCOUNT = frozenset(
    {Platform.MESSENGER, Platform.INSTAGRAM, Platform.X, Platform.YOUTUBE}
)
NEEDS_VERIFY_TOKEN = frozenset({Platform.MESSENGER, Platform.INSTAGRAM})
_T = TypeVar("_T")


@dataclass
class IntegrationServices:
    views: IntegrationViews
    webhooks: dict[str, ChannelWebhook]
    replay: ReplayGuard
    ticketing: TicketingTarget
    sources: SourceClient
    access: ar.AccessRequestServices | None = None
    webhook_max_bytes: int = 1024 * 1024
    email_max_bytes: int = 10 * 1024 * 1024
    allow_plain_http_loopback: bool = False
    push_backoff_seconds: float = 60.0
    push_backoff_max_seconds: float = 24 * 3600.0
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookResult:
    case_ids: tuple[UUID, ...]
    messages_added: int
    ignored: int


# Channel connections


def configure_channel(
    ctx: Context,
    svc: IntegrationServices,
    actor: UserRecord,
    inbox_id: UUID,
    *,
    platform: str,
    account_id: str,
    app_secret: str,
    verify_token: str | None,
) -> ConnectionRecord:
    """Connects an inbox to a platform's webhooks (administrators only). The
    secrets are sealed and never returned. InvalidInputError for a platform that
    does not fit the inbox's channel or a missing or weak secret."""
    require_role(actor, Role.ADMINISTRATOR)
    inbox = require_inbox(ctx, actor.workspace_id, inbox_id)
    chosen = _platform(platform)
    adapter = svc.webhooks.get(chosen)
    if adapter is None:
        raise InvalidInputError(f"no webhook adapter for {chosen} is installed")
    if chosen != Platform.GENERIC and adapter.channel != inbox.channel:
        raise InvalidInputError(
            f"{chosen} webhooks deliver {adapter.channel} messages; this inbox "
            f"is a {inbox.channel} inbox"
        )
    _check_connection_values(chosen, account_id, app_secret, verify_token)
    owner = secrets_owner(inbox_id)
    sealed_secret = PersonalData(owner, "app_secret", app_secret)
    sealed_token = (
        PersonalData(owner, "verify_token", verify_token) if verify_token else None
    )
    aggregate_id = connection_id(inbox_id)
    existing = _load(ctx, aggregate_id, ChannelConnection)
    if existing is None:
        connection = ChannelConnection(
            aggregate_id=aggregate_id,
            workspace_id=actor.workspace_id,
            inbox_id=inbox_id,
            platform=chosen.value,
            account_id=account_id,
            app_secret=sealed_secret,
            verify_token=sealed_token,
            actor_id=actor.user_id,
        )
    else:
        connection = existing
        connection.reconfigure(
            workspace_id=actor.workspace_id,
            inbox_id=inbox_id,
            platform=chosen.value,
            account_id=account_id,
            app_secret=sealed_secret,
            verify_token=sealed_token,
            actor_id=actor.user_id,
        )
    ctx.save(connection)
    record = svc.views.connection(inbox_id)
    if record is None:  # pragma: no cover - the save above projects it
        raise NotFoundError("webhook connection", inbox_id)
    return record


def _platform(value: str) -> Platform:
    try:
        return Platform(value)
    except ValueError:
        known = ", ".join(p.value for p in Platform)
        raise InvalidInputError(f"unknown platform {value!r}; known: {known}") from None


def _check_connection_values(
    platform: Platform, account_id: str, app_secret: str, verify_token: str | None
) -> None:
    if len(app_secret) < MIN_SECRET_LENGTH:
        raise InvalidInputError(
            f"the app secret must be at least {MIN_SECRET_LENGTH} characters"
        )
    if platform in NEEDS_ACCOUNT and not _ACCOUNT_ID.match(account_id):
        raise InvalidInputError(
            f"{platform} needs the page, account or channel id it delivers for"
        )
    if account_id and not _ACCOUNT_ID.match(account_id):
        raise InvalidInputError("an account id holds letters, digits and _.:@+- only")
    if platform in NEEDS_VERIFY_TOKEN and not verify_token:
        raise InvalidInputError(f"{platform} needs a verify token for its handshake")


def connections(
    ctx: Context, svc: IntegrationServices, actor: UserRecord
) -> list[ConnectionRecord]:
    require_role(actor, Role.ADMINISTRATOR)
    return svc.views.connections(actor.workspace_id)


def _secrets(ctx: Context, inbox_id: UUID, platform: str) -> ChannelSecrets:
    """The inbox's secrets; a missing inbox, a missing connection and one for
    another platform all look the same from outside."""
    connection = _load(ctx, connection_id(inbox_id), ChannelConnection)
    if connection is None or connection.platform != platform:
        raise NotFoundError("webhook connection", inbox_id)
    if connection.app_secret.is_erased:
        raise NotFoundError("webhook connection", inbox_id)
    token = connection.verify_token
    return ChannelSecrets(
        inbox_id=inbox_id,
        platform=connection.platform,
        account_id=connection.account_id,
        app_secret=connection.app_secret.text(),
        verify_token=None if token is None or token.is_erased else token.text(),
    )


def answer_handshake(
    ctx: Context,
    svc: IntegrationServices,
    inbox_id: UUID,
    platform: str,
    query: Mapping[str, str],
) -> str:
    """The body a platform expects back when it checks the subscription."""
    adapter = _adapter(svc, inbox_id, platform)
    return adapter.handshake(_secrets(ctx, inbox_id, platform), query)


def receive_webhook(
    ctx: Context,
    svc: IntegrationServices,
    inbox_id: UUID,
    platform: str,
    delivery: Delivery,
) -> WebhookResult:
    """Verifies a delivery and ingests the messages in it.

    Raises NotFoundError (no such connection), PayloadTooLargeError,
    WebhookRejectedError (unsigned, wrong signature, stale), ReplayedDeliveryError,
    InvalidInputError and UnknownAccountError; none of them writes anything.
    """
    limit = svc.email_max_bytes if platform == Platform.EMAIL else svc.webhook_max_bytes
    if len(delivery.body) > limit:
        raise PayloadTooLargeError(limit)
    adapter = _adapter(svc, inbox_id, platform)
    found = _secrets(ctx, inbox_id, platform)
    now = ctx.clock.now()
    replay_key = adapter.verify(found, delivery, now)
    batch = adapter.parse(found, delivery.body)
    if replay_key is not None and not svc.replay.remember(inbox_id, replay_key, now):
        raise ReplayedDeliveryError(inbox_id)
    connection = ctx.views.inbox(inbox_id)
    if connection is None:
        raise NotFoundError("inbox", inbox_id)
    case_ids: list[UUID] = []
    added = 0
    try:
        for dialog in batch.dialogs:
            result = ingest_dialog(ctx, connection.workspace_id, inbox_id, dialog)
            case_ids.append(result.case_id)
            added += result.messages_added
    except Exception:
        # The platform will send it again; let that copy through the guard.
        if replay_key is not None:
            svc.replay.forget(inbox_id, replay_key)
        raise
    return WebhookResult(tuple(dict.fromkeys(case_ids)), added, batch.ignored)


def _adapter(svc: IntegrationServices, inbox_id: UUID, platform: str) -> ChannelWebhook:
    adapter = svc.webhooks.get(platform)
    if adapter is None:
        raise NotFoundError("webhook connection", inbox_id)
    return adapter


# Systems that read request status (issue 9.4)


@dataclass(frozen=True)
class IssuedClient:
    client_id: UUID
    token: str  # shown once, stored only as its hash


@dataclass(frozen=True)
class FileStatus:
    export_id: UUID
    status: str
    expires_at: dt.datetime | None
    size: int | None
    content_sha256: str | None


@dataclass(frozen=True)
class RequestStatus:
    request_id: UUID
    state: str
    submitted_at: dt.datetime | None
    files: tuple[FileStatus, ...]


def hash_client_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register_client(
    ctx: Context, actor: UserRecord, name: str, *, may_download: bool
) -> IssuedClient:
    """Lets another system read request status (and fetch files when
    `may_download`); administrators only. The token is returned once."""
    require_role(actor, Role.ADMINISTRATOR)
    clean = name.strip()
    if not clean or len(clean) > 100:
        raise InvalidInputError("a client needs a name of 1 to 100 characters")
    token = CLIENT_TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = IntegrationClient(
        workspace_id=actor.workspace_id,
        name=clean,
        token_hash=hash_client_token(token),
        may_download=may_download,
        actor_id=actor.user_id,
    )
    ctx.save(client)
    return IssuedClient(client.id, token)


def revoke_client(ctx: Context, actor: UserRecord, client_id: UUID) -> None:
    require_role(actor, Role.ADMINISTRATOR)
    client = _load(ctx, client_id, IntegrationClient)
    if client is None or client.workspace_id != actor.workspace_id:
        raise NotFoundError("integration client", client_id)
    _domain(lambda: client.revoke(actor.user_id))
    ctx.save(client)


def authenticate_client(svc: IntegrationServices, token: str) -> ClientRecord:
    client = svc.views.client_by_token_hash(hash_client_token(token))
    if client is None or not client.active:
        raise UnauthenticatedError("unknown or revoked integration token")
    return client


def request_status(
    ctx: Context, client: ClientRecord, request_id: UUID
) -> RequestStatus:
    """A request's state and its files, after the read is recorded."""
    request = ar.load_request(ctx, client.workspace_id, request_id)
    ctx.save(
        SystemRead(
            workspace_id=client.workspace_id,
            client_id=client.client_id,
            request_id=request_id,
            read_at=ctx.clock.now(),
        )
    )
    files = tuple(
        FileStatus(
            export_id=export_id,
            status=str(export.get("status")),
            expires_at=export.get("expires_at"),
            size=export.get("size"),
            content_sha256=export.get("content_sha256"),
        )
        for export_id, export in request.exports.items()
    )
    return RequestStatus(
        request_id=request.id,
        state=str(request.state),
        submitted_at=getattr(request, "submitted_at", None),
        files=files,
    )


def fetch_file(
    ctx: Context,
    svc: IntegrationServices,
    client: ClientRecord,
    request_id: UUID,
    export_id: UUID,
    *,
    client_address: str | None,
) -> Iterator[bytes]:
    """The finished (encrypted) file, recorded as a download by the client.
    ForbiddenError for a client without the download grant, GoneError once the
    link has expired or was revoked."""
    if not client.may_download:
        raise ForbiddenError(
            f"integration client {client.client_id} may read status only"
        )
    if svc.access is None:
        raise NotFoundError("access-request file", export_id)
    request = ar.load_request(ctx, client.workspace_id, request_id)
    return ar.download(
        ctx,
        svc.access,
        request,
        export_id,
        actor_id=client.client_id,
        client_address=client_address,
        country=None,
    )


# Helpers


def _load(ctx: Context, aggregate_id: UUID, kind: type[_T]) -> _T | None:
    try:
        found = ctx.store.get(aggregate_id)
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, kind) else None


def _domain(step: Any) -> Any:
    try:
        return step()
    except IntegrationError as error:
        raise ConflictError(str(error)) from error
