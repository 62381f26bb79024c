"""Routes of issue 10: workspace settings and their history, no-login links for
external recipients, the notification outbox, and incoming HTML mail shown
without remote content."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, cast
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from application import external_links as links
from application import mail_view, notifications, privacy_settings
from application.outbound_ports import OutboundServices
from domain.model import Role
from infrastructure.bootstrap import Container
from infrastructure.outbound.wiring import EXTRAS_KEY
from interface.api.deps import STAFF, Ctx, User, in_workspace, read_context

router = APIRouter(tags=["links, notifications and settings"])


def _svc(request: Request) -> OutboundServices:
    container = cast(Container, request.app.state.container)
    return cast(OutboundServices, container.extras[EXTRAS_KEY])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SettingIn(_Strict):
    value: Any


class SettingChangeOut(BaseModel):
    key: str
    value: Any
    actor_id: UUID | None
    changed_at: dt.datetime


class SettingsOut(BaseModel):
    settings: dict[str, Any]
    changes: list[SettingChangeOut]


class ExternalLinkIn(_Strict):
    recipient_address: str = Field(min_length=3, max_length=320)
    message_id: UUID | None = Field(
        default=None, description="Share this one message instead of the case."
    )


class ExternalLinkOut(BaseModel):
    link_id: UUID
    url: str = Field(description="Holds the token: shown only in this answer.")
    expires_at: dt.datetime
    delivered: bool = Field(description="False: the e-mail is queued for retry.")


class LinkRecordOut(BaseModel):
    link_id: UUID
    message_id: UUID | None
    issued_by: UUID
    issued_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    opened: int
    refused: int


class RevokeIn(_Strict):
    reason: str = Field(min_length=1, max_length=200)


class NotificationOut(BaseModel):
    notification_id: UUID
    case_id: UUID
    kind: str
    channel: str
    recipient_user_id: UUID | None
    content_hidden: bool
    status: str
    attempts: int
    last_error: str | None
    queued_at: dt.datetime
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None


class MessageHtmlOut(BaseModel):
    message_id: UUID
    html: str
    remote_blocked: int
    note: str | None


@router.get("/v1/workspaces/{workspace_id}/settings", response_model=SettingsOut)
def get_settings(
    workspace_id: UUID, user: User, ctx: Ctx, request: Request
) -> SettingsOut:
    """Every setting as it stands, and who changed which one to what, when."""
    in_workspace(user, workspace_id, Role.ADMINISTRATOR, Role.AUDITOR)
    current = privacy_settings.workspace_settings(ctx, workspace_id)
    history = privacy_settings.setting_history(ctx, _svc(request), workspace_id)
    return SettingsOut(
        settings=current,
        changes=[
            SettingChangeOut(
                key=c.key, value=c.value, actor_id=c.actor_id, changed_at=c.changed_at
            )
            for c in history
        ],
    )


@router.put("/v1/workspaces/{workspace_id}/settings/{key}", response_model=SettingIn)
def put_setting(
    workspace_id: UUID, key: str, body: SettingIn, user: User, ctx: Ctx
) -> SettingIn:
    """Changes one setting of links, notifications, forms and trackers
    (administrators); recorded as an event naming who. 422 for an unknown key or
    a bad value."""
    in_workspace(user, workspace_id, Role.ADMINISTRATOR)
    value = privacy_settings.change_privacy_setting(
        ctx, workspace_id, key, body.value, user.user_id
    )
    return SettingIn(value=value)


@router.post(
    "/v1/workspaces/{workspace_id}/cases/{case_id}/external-links",
    status_code=201,
    response_model=ExternalLinkOut,
)
def forward_externally(
    workspace_id: UUID,
    case_id: UUID,
    body: ExternalLinkIn,
    user: User,
    ctx: Ctx,
    request: Request,
) -> ExternalLinkOut:
    """Forwards the case (or one message) to an e-mail address outside the
    platform: the address gets a no-login link that expires after the
    workspace's `external_link_days`."""
    in_workspace(user, workspace_id, *STAFF)
    issued = links.forward_to_address(
        ctx,
        _svc(request),
        user,
        case_id,
        body.recipient_address,
        message_id=body.message_id,
    )
    return ExternalLinkOut(
        link_id=issued.link_id,
        url=issued.url,
        expires_at=issued.expires_at,
        delivered=issued.delivered,
    )


@router.get(
    "/v1/workspaces/{workspace_id}/cases/{case_id}/external-links",
    response_model=list[LinkRecordOut],
)
def list_links(
    workspace_id: UUID, case_id: UUID, user: User, ctx: Ctx, request: Request
) -> list[LinkRecordOut]:
    """The case's links: when issued, until when, revoked, opened, refused."""
    in_workspace(user, workspace_id, *STAFF, Role.AUDITOR)
    return [
        LinkRecordOut(
            link_id=r.link_id,
            message_id=r.message_id,
            issued_by=r.issued_by,
            issued_at=r.issued_at,
            expires_at=r.expires_at,
            revoked_at=r.revoked_at,
            opened=r.opened,
            refused=r.refused,
        )
        for r in links.case_links(ctx, _svc(request), user, case_id)
    ]


@router.post(
    "/v1/workspaces/{workspace_id}/external-links/{link_id}/revoke",
    status_code=204,
)
def revoke(
    workspace_id: UUID, link_id: UUID, body: RevokeIn, user: User, ctx: Ctx
) -> None:
    """Revokes a link at once; opening it afterwards answers 410 (409 twice)."""
    in_workspace(user, workspace_id, *STAFF)
    links.revoke_link(ctx, user, link_id, body.reason)


@router.get(
    "/v1/workspaces/{workspace_id}/notifications",
    response_model=list[NotificationOut],
)
def outbox(
    workspace_id: UUID,
    user: User,
    ctx: Ctx,
    request: Request,
    status: Literal["queued", "failing", "delivered"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[NotificationOut]:
    """The notification outbox: what is queued, failing (with the error and the
    next attempt) or delivered. Never the content."""
    in_workspace(user, workspace_id, Role.ADMINISTRATOR, Role.AUDITOR)
    found = notifications.outbox(
        ctx, _svc(request), workspace_id, status=status, limit=limit
    )
    return [
        NotificationOut(
            notification_id=n.notification_id,
            case_id=n.case_id,
            kind=n.kind,
            channel=n.channel,
            recipient_user_id=n.recipient_user_id,
            content_hidden=n.content_hidden,
            status=n.status,
            attempts=n.attempts,
            last_error=n.last_error,
            queued_at=n.queued_at,
            next_attempt_at=n.next_attempt_at,
            delivered_at=n.delivered_at,
        )
        for n in found
    ]


@router.get(
    "/v1/workspaces/{workspace_id}/cases/{case_id}/messages/{message_id}/html",
    response_model=MessageHtmlOut,
)
def message_html(
    workspace_id: UUID,
    case_id: UUID,
    message_id: UUID,
    user: User,
    ctx: Ctx,
    request: Request,
) -> MessageHtmlOut:
    """One message as HTML safe to show: no scripts, no styles, and no image
    that would load from elsewhere (a note says how many were held back). An
    audited read of the case."""
    in_workspace(user, workspace_id, *STAFF)
    rendered = mail_view.message_html(
        ctx,
        _svc(request),
        case_id,
        message_id,
        read_context(user, request, "GET message html"),
    )
    return MessageHtmlOut(
        message_id=rendered.message_id,
        html=rendered.html,
        remote_blocked=rendered.remote_blocked,
        note=rendered.note,
    )
