"""No-login links for people outside the platform (issue 10.1).

Forwarding a case to an e-mail address issues a link to that case (or to one
message of it): a 256-bit random token kept only as its SHA-256, bound to the case,
expiring after the workspace's `external_link_days`, revocable. Opening it is an
audited read by the link (as the actor), with the client's address and country;
an expired or revoked link, or one aimed at another case, is refused and the
attempt recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from uuid import UUID, uuid4

import structlog
from eventsourcing.application import AggregateNotFoundError

from application.cases import MessageView, ReadContext, case_view, record_read
from application.casework import load_for_change, require_case, save_change
from application.context import Context
from application.errors import (
    ApplicationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from application.notifications import queue_external_forward, send_one
from application.outbound_ports import LinkRecord, OutboundServices
from application.ports import UserRecord
from domain.model import Case, Workspace, log_period_owner
from domain.outbound_privacy import (
    ExternalLink,
    ExternalLinkAttempt,
    LinkAlreadyRevokedError,
    LinkState,
    PrivacySetting,
    setting_of,
)
from domain.personal_data import PersonalData

log = structlog.get_logger(__name__)

EXTERNAL_ROLE = "external"
TOKEN_BYTES = 32
# token_urlsafe(32) gives 43 characters; anything else cannot be one of ours.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_ADDRESS = re.compile(r"^[^@\s<>\"]{1,64}@[^@\s<>\"]{1,255}\.[A-Za-z]{2,63}$")


class LinkGoneError(ApplicationError):
    """The link existed but no longer opens: expired, revoked or its case gone."""

    status = 410
    title = "Gone"

    def __init__(self, link_id: UUID, reason: str) -> None:
        self.link_id = link_id
        self.reason = reason
        super().__init__(f"this link no longer opens: {reason}")


@dataclass(frozen=True)
class IssuedLink:
    link_id: UUID
    url: str  # holds the token: shown once, never stored
    expires_at: dt.datetime
    notification_id: UUID
    delivered: bool


@dataclass(frozen=True)
class ExternalCaseView:
    case_id: UUID
    channel: str
    status: str
    expires_at: dt.datetime
    messages: tuple[MessageView, ...]


@dataclass(frozen=True)
class Visitor:
    """Who opens a link: the client address and its country, from the request."""

    address: str | None
    country: str | None


def hash_token(token: str) -> str:
    # 256-bit random tokens: a fast hash keeps a stolen table useless.
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(svc: OutboundServices, case_id: UUID, token: str) -> str:
    return f"{svc.public_url.rstrip('/')}/external/cases/{case_id}/{token}"


def forward_to_address(
    ctx: Context,
    svc: OutboundServices,
    actor: UserRecord,
    case_id: UUID,
    address: str,
    *,
    message_id: UUID | None = None,
) -> IssuedLink:
    """Forwards a case (or one message) to an e-mail address outside the
    platform: records `Case.Forwarded`, issues the link and queues the e-mail
    that carries it, in one transaction; then tries to send it once.

    Raises InvalidInputError (address), NotFoundError (case, message)."""
    address = address.strip()
    if not _ADDRESS.match(address):
        raise InvalidInputError("recipient_address is not an e-mail address")
    case = load_for_change(ctx, actor.workspace_id, case_id)
    if message_id is not None and all(
        m["message_id"] != message_id for m in case.messages
    ):
        raise NotFoundError("message", message_id)
    if case.content_shredded or case.is_anonymised:
        raise ConflictError("an erased or anonymised case cannot be forwarded")
    workspace: Workspace = ctx.store.get(actor.workspace_id)
    days = int(setting_of(workspace.settings, PrivacySetting.LINK_DAYS))
    now = ctx.clock.now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = ExternalLink(
        aggregate_id=uuid4(),
        workspace_id=actor.workspace_id,
        case_id=case_id,
        message_id=message_id,
        recipient=PersonalData(case.content_owner, "link_recipient", address),
        token_hash=hash_token(token),
        issued_at=now,
        expires_at=now + dt.timedelta(days=days),
        actor_id=actor.user_id,
    )
    case.forward(
        recipient_id=None,
        recipient=PersonalData(case.content_owner, "forward_recipient", address),
        actor_id=actor.user_id,
    )
    url = link_url(svc, case_id, token)
    notification = queue_external_forward(
        ctx, workspace, case, address, url, link.expires_at
    )
    save_change(ctx, case, link, notification)
    delivered = send_one(ctx, svc, notification.id)
    return IssuedLink(link.id, url, link.expires_at, notification.id, delivered)


def revoke_link(ctx: Context, actor: UserRecord, link_id: UUID, reason: str) -> None:
    """Revokes a link of the actor's workspace; 409 when revoked already."""
    link = _link(ctx, link_id)
    if link is None or link.workspace_id != actor.workspace_id:
        raise NotFoundError("external link", link_id)
    try:
        link.revoke(actor_id=actor.user_id, reason=reason, at=ctx.clock.now())
    except LinkAlreadyRevokedError as error:
        raise ConflictError(str(error)) from None
    ctx.save(link)


def case_links(
    ctx: Context, svc: OutboundServices, actor: UserRecord, case_id: UUID
) -> list[LinkRecord]:
    require_case(ctx, actor.workspace_id, case_id)
    return svc.views.links(actor.workspace_id, case_id)


def open_link(
    ctx: Context,
    svc: OutboundServices,
    case_id: UUID,
    token: str,
    visitor: Visitor,
) -> ExternalCaseView:
    """The case (or the one message) a link opens, after the read is recorded.

    NotFoundError for a token that is not ours or belongs to another case (the
    latter recorded as a refused attempt); LinkGoneError (410, recorded) once the
    link is expired or revoked, or its case erased or anonymised."""
    link_id = (
        svc.views.link_by_token_hash(hash_token(token))
        if _TOKEN_SHAPE.match(token)
        else None
    )
    link = None if link_id is None else _link(ctx, link_id)
    if link is None:
        log.info("external_link.unknown_token", case=str(case_id))
        raise NotFoundError("link", "with this token")
    if link.case_id != case_id:
        _refuse(ctx, link, "aimed at another case", visitor)
        raise NotFoundError("link", "with this token")
    state = link.state_at(ctx.clock.now())
    if state is not LinkState.LIVE:
        _refuse(ctx, link, state.value, visitor)
        raise LinkGoneError(link.id, state.value)
    case: Case = ctx.store.get(case_id)
    if case.content_shredded or case.is_anonymised:
        _refuse(ctx, link, "case erased or anonymised", visitor)
        raise LinkGoneError(link.id, "the case is no longer available")
    summary = require_case(ctx, link.workspace_id, case_id)
    reader = ReadContext(
        UserRecord(link.id, link.workspace_id, EXTERNAL_ROLE, True),
        "external link"
        + ("" if link.message_id is None else f" (message {link.message_id})"),
        visitor.address,
        visitor.country,
    )
    record_read(ctx, summary, reader)
    view = case_view(case)
    messages = tuple(
        m
        for m in view.messages
        if link.message_id is None or m.message_id == link.message_id
    )
    return ExternalCaseView(
        case_id, view.channel, view.status, link.expires_at, messages
    )


def _refuse(ctx: Context, link: ExternalLink, reason: str, visitor: Visitor) -> None:
    attempt_id = uuid4()
    now = ctx.clock.now()
    ctx.save(
        ExternalLinkAttempt(
            aggregate_id=attempt_id,
            workspace_id=link.workspace_id,
            link_id=link.id,
            case_id=link.case_id,
            reason=reason,
            # Sealed under the log period's key, like a read's address: the
            # access log's retention shreds both together.
            client_address=PersonalData(
                log_period_owner(link.workspace_id, now),
                "client_address",
                visitor.address,
            )
            if visitor.address
            else None,
            country=visitor.country,
            at=now,
        )
    )
    log.info("external_link.refused", link=str(link.id), reason=reason)


def _link(ctx: Context, link_id: UUID) -> ExternalLink | None:
    try:
        found = ctx.store.get(link_id)
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, ExternalLink) else None
