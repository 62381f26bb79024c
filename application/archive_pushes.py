"""Pushing finished access-request files to ServiceNow (issue 9.2).

A workspace configures one ServiceNow target. Every file generated after that is
queued (the queue is projected from the access request's FileGenerated event);
`run_pushes` sends what is due. Each attempt is an event on the push's own
stream: a failed one stays in the queue with its reason and the time of the next
attempt, so nothing is dropped and `gdprkit integrations retry` can force it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import structlog

from application.context import Context
from application.errors import InvalidInputError, NotFoundError
from application.integration_ports import (
    ArchiveUpload,
    PushError,
    PushRecord,
    TargetRecord,
    TicketingCredentials,
)
from application.integrations import IntegrationServices, _load
from application.ports import UserRecord
from application.workspaces import require_role
from domain.integrations import (
    ArchivePush,
    AuthMode,
    PushStatus,
    ServiceNowTarget,
    push_id,
    secrets_owner,
    target_id,
)
from domain.model import Role
from domain.personal_data import PersonalData

log = structlog.get_logger(__name__)

TARGET_NAME = "servicenow"
ARCHIVE_CONTENT_TYPE = "application/zip"
_TABLE = re.compile(r"^[a-z][a-z0-9_]{0,79}$")


def configure_servicenow(
    ctx: Context,
    svc: IntegrationServices,
    actor: UserRecord,
    *,
    instance_url: str,
    table: str,
    auth_mode: str,
    username: str,
    secret: str,
    client_id: str = "",
) -> TargetRecord:
    """Sets the workspace's ServiceNow instance, table and credentials
    (administrators only). The password or client secret is sealed and never
    returned. InvalidInputError for a non-HTTPS URL, a malformed table name or
    missing credentials."""
    require_role(actor, Role.ADMINISTRATOR)
    url = instance_url.rstrip("/")
    require_https(url, svc.allow_plain_http_loopback, "instance_url")
    if not _TABLE.match(table):
        raise InvalidInputError(
            "table must be a ServiceNow table name: lower-case letters, digits, _"
        )
    try:
        mode = AuthMode(auth_mode)
    except ValueError:
        raise InvalidInputError("auth_mode is basic or oauth") from None
    if not secret or (mode == AuthMode.BASIC and not username):
        raise InvalidInputError("basic authentication needs username and password")
    if mode == AuthMode.OAUTH and not client_id:
        raise InvalidInputError("OAuth client credentials need a client_id")
    sealed = PersonalData(secrets_owner(actor.workspace_id), "servicenow", secret)
    values: dict[str, Any] = {
        "instance_url": url,
        "table": table,
        "auth_mode": mode.value,
        "username": username,
        "secret": sealed,
        "client_id": client_id,
        "actor_id": actor.user_id,
    }
    aggregate_id = target_id(actor.workspace_id)
    target = _load(ctx, aggregate_id, ServiceNowTarget)
    if target is None:
        target = ServiceNowTarget(
            aggregate_id=aggregate_id, workspace_id=actor.workspace_id, **values
        )
    else:
        target.reconfigure(workspace_id=actor.workspace_id, **values)
    ctx.save(target)
    record = svc.views.target(actor.workspace_id)
    if record is None:  # pragma: no cover - the save above projects it
        raise NotFoundError("ServiceNow target", actor.workspace_id)
    return record


def require_https(url: str, allow_loopback_http: bool, name: str) -> None:
    """Production talks TLS only; plain HTTP is for loopback fakes in tests."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise InvalidInputError(f"{name} must be an absolute https:// URL")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and allow_loopback_http and _loopback(parts.hostname):
        return
    raise InvalidInputError(f"{name} must use https://")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class PushOutcome:
    push_id: UUID
    export_id: UUID
    status: str
    record_id: str | None
    reason: str | None


def run_pushes(
    ctx: Context,
    svc: IntegrationServices,
    *,
    force: bool = False,
    workspace_id: UUID | None = None,
) -> list[PushOutcome]:
    """Sends every queued push and every failed one whose next attempt is due
    (all failed ones with `force`), of one workspace or all, recording each
    attempt."""
    now = ctx.clock.now()
    due = (
        svc.views.pushes(status=PushStatus.FAILED.value)
        + svc.views.pushes(status=PushStatus.QUEUED.value)
        if force
        else svc.views.pushes_due(now)
    )
    chosen = [p for p in due if workspace_id in (None, p.workspace_id)]
    return [push_one(ctx, svc, record) for record in chosen]


def push_one(ctx: Context, svc: IntegrationServices, record: PushRecord) -> PushOutcome:
    aggregate_id = push_id(record.export_id)
    push = _load(ctx, aggregate_id, ArchivePush) or ArchivePush(
        aggregate_id=aggregate_id,
        workspace_id=record.workspace_id,
        request_id=record.request_id,
        export_id=record.export_id,
        target=record.target,
        queued_at=record.queued_at,
    )
    try:
        credentials = _credentials(ctx, record.workspace_id)
        upload = _upload(svc, record)
        receipt = svc.ticketing.push(credentials, upload)
    except PushError as error:
        now = ctx.clock.now()
        delay = min(
            svc.push_backoff_seconds * 2**push.attempts, svc.push_backoff_max_seconds
        )
        push.record_attempt_failed(
            reason=error.reason,
            status_code=error.status_code,
            tries=error.tries,
            at=now,
            next_attempt_at=now + dt.timedelta(seconds=delay),
        )
        ctx.save(push)
        log.warning(
            "integrations.push_failed",
            push_id=str(push.id),
            status_code=error.status_code,
            attempts=push.attempts,
        )
        return PushOutcome(
            push.id, record.export_id, PushStatus.FAILED.value, None, error.reason
        )
    push.record_pushed(
        record_id=receipt.record_id,
        attachment_id=receipt.attachment_id,
        tries=receipt.tries,
        at=ctx.clock.now(),
    )
    ctx.save(push)
    return PushOutcome(
        push.id, record.export_id, PushStatus.PUSHED.value, receipt.record_id, None
    )


def _credentials(ctx: Context, workspace_id: UUID) -> TicketingCredentials:
    target = _load(ctx, target_id(workspace_id), ServiceNowTarget)
    if target is None or target.secret.is_erased:
        raise PushError(
            "no ServiceNow target is configured",
            status_code=None,
            tries=0,
            retryable=False,
        )
    return TicketingCredentials(
        instance_url=target.instance_url,
        table=target.table,
        auth_mode=target.auth_mode,
        username=target.username,
        secret=target.secret.text(),
        client_id=target.client_id,
    )


def _upload(svc: IntegrationServices, record: PushRecord) -> ArchiveUpload:
    if svc.access is None:
        raise PushError(
            "access requests are not installed",
            status_code=None,
            tries=0,
            retryable=False,
        )
    try:
        # TODO(push-streaming): the archive is held in memory for the push so a
        # retry can send it again; stream it from the export store instead.
        content = b"".join(svc.access.exports.open(record.export_id))
    except NotFoundError:
        raise PushError(
            "the file is no longer stored (expired, revoked or erased)",
            status_code=None,
            tries=0,
            retryable=False,
        ) from None
    return ArchiveUpload(
        correlation_id=str(record.request_id),
        fields={
            "short_description": f"Access request {record.request_id}",
            "description": (
                f"gdprkit access-request file {record.export_id} "
                f"({len(content)} bytes, encrypted; the password is given "
                "separately)"
            ),
            "correlation_display": "gdprkit",
        },
        file_name=f"access-request-{record.request_id}.zip",
        content_type=ARCHIVE_CONTENT_TYPE,
        content=content,
    )


def pushes(
    ctx: Context, svc: IntegrationServices, actor: UserRecord
) -> list[PushRecord]:
    require_role(actor, Role.ADMINISTRATOR)
    return svc.views.pushes(actor.workspace_id)
