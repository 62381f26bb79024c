"""E-mail and push notifications (issue 10.2), through an outbox.

Case events of workspaces that chose notification channels leave a trigger (ids
only) in the projection; `process_triggers` turns each into one `Notification`
per recipient and channel, rendered at that moment and sealed under the
notification's own key. `dispatch_due` sends what is due; a failure is recorded
with the next attempt's time and retried until delivered, never dropped. On
delivery the notification's key is destroyed: the outbox keeps no copy of what it
sent. With `hide_notification_content` (the default) a notification carries the
case reference, the inbox and a link, and nothing a customer wrote.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4, uuid5

import structlog

from application.context import Context
from application.outbound_ports import NotificationRecord, OutboundServices, Trigger
from application.ports import DeliveryError
from application.workspaces import require_workspace
from domain.model import Case, Direction, User, Workspace
from domain.outbound_privacy import (
    Notification,
    NotificationKind,
    PrivacySetting,
    setting_of,
)
from domain.personal_data import PersonalData

log = structlog.get_logger(__name__)

_NOTIFICATION_NAMESPACE = UUID("8d3f6a52-1c7e-4b9a-a0d4-5e2f7c9b1a36")
EXCERPT_CHARS = 600
MAX_RETRY_SECONDS = 3600
_HEADINGS = {
    NotificationKind.NEW_CASE: "New case",
    NotificationKind.ASSIGNED: "Case assigned to you",
    NotificationKind.FORWARDED: "Case forwarded to you",
    NotificationKind.REPLY: "New reply on a case",
}


@dataclass(frozen=True)
class DispatchReport:
    queued: int
    delivered: int
    failed: int


def case_reference(case_id: UUID) -> str:
    """A short reference people can quote on the phone; the link has the id."""
    return str(case_id).split("-", 1)[0].upper()


def agent_link(public_url: str, workspace_id: UUID, case_id: UUID) -> str:
    return f"{public_url.rstrip('/')}/v1/workspaces/{workspace_id}/cases/{case_id}"


# Queuing


def queue_external_forward(
    ctx: Context,
    workspace: Workspace,
    case: Case,
    address: str,
    url: str,
    expires_at: dt.datetime,
) -> Notification:
    """The e-mail that carries an external link (saved by the caller)."""
    hidden = bool(
        setting_of(workspace.settings, PrivacySetting.HIDE_NOTIFICATION_CONTENT)
    )
    inbox = ctx.views.inbox(case.inbox_id)
    reference = case_reference(case.id)
    lines = [
        "A case has been shared with you.",
        "",
        f"Case reference: {reference}",
        f"Inbox: {inbox.name if inbox else '-'}",
    ]
    if not hidden:
        lines.append(f"Subject: {_first_subject(case) or '-'}")
    lines += [
        "",
        f"Open it here, without logging in, until {expires_at:%Y-%m-%d %H:%M} UTC:",
        url,
        "",
        "The link is for you alone; the organisation can revoke it at any time.",
        "Every opening is recorded.",
    ]
    notification_id = uuid4()
    return Notification(
        aggregate_id=notification_id,
        workspace_id=workspace.id,
        case_id=case.id,
        kind=NotificationKind.FORWARDED.value,
        channel="email",
        recipient_user_id=None,
        recipient=PersonalData(notification_id, "recipient", address),
        title=PersonalData(
            notification_id, "title", f"Case {reference} shared with you"
        ),
        body=PersonalData(notification_id, "body", "\n".join(lines)),
        content_hidden=hidden,
        queued_at=ctx.clock.now(),
    )


def process_triggers(ctx: Context, svc: OutboundServices, limit: int = 500) -> int:
    """Queues the notifications of pending case events; returns how many.

    Idempotent: a notification's id derives from its event, recipient and
    channel, so a trigger processed twice queues nothing twice."""
    queued = 0
    done: list[int] = []
    for trigger in svc.views.pending_triggers(limit):
        planned = _plan(ctx, svc, trigger)
        if planned:
            ctx.save(*planned)
            queued += len(planned)
        done.append(trigger.trigger_id)
    if done:
        svc.views.mark_triggers_done(done)
    return queued


def _plan(ctx: Context, svc: OutboundServices, trigger: Trigger) -> list[Notification]:
    workspace: Workspace = ctx.store.get(trigger.workspace_id)
    channels = list(
        setting_of(workspace.settings, PrivacySetting.NOTIFICATION_CHANNELS)
    )
    hidden = bool(
        setting_of(workspace.settings, PrivacySetting.HIDE_NOTIFICATION_CONTENT)
    )
    case: Case = ctx.store.get(trigger.case_id)
    kind = NotificationKind(trigger.kind)
    recipients = _recipients(svc, trigger, case)
    title, body = _render(ctx, svc, kind, case, trigger.message_id, hidden)
    planned = []
    for user_id in recipients:
        for channel in channels:
            notification_id = uuid5(
                _NOTIFICATION_NAMESPACE, f"{trigger.trigger_id}/{user_id}/{channel}"
            )
            if notification_id in ctx.store.repository:
                continue
            address = _address(ctx, user_id) if channel == "email" else str(user_id)
            if address is None:
                continue
            planned.append(
                Notification(
                    aggregate_id=notification_id,
                    workspace_id=trigger.workspace_id,
                    case_id=case.id,
                    kind=kind.value,
                    channel=channel,
                    recipient_user_id=user_id,
                    recipient=PersonalData(notification_id, "recipient", address),
                    title=PersonalData(notification_id, "title", title),
                    body=PersonalData(notification_id, "body", body),
                    content_hidden=hidden,
                    queued_at=ctx.clock.now(),
                )
            )
    return planned


def _recipients(svc: OutboundServices, trigger: Trigger, case: Case) -> list[UUID]:
    if trigger.user_id is not None:
        return [trigger.user_id]
    if trigger.kind == NotificationKind.REPLY and case.assignee_id is not None:
        return [case.assignee_id]
    return svc.views.staff_of(trigger.workspace_id)


def _address(ctx: Context, user_id: UUID) -> str | None:
    user: User = ctx.store.get(user_id)
    return None if user.email.is_erased or not user.active else user.email.text()


def _render(
    ctx: Context,
    svc: OutboundServices,
    kind: NotificationKind,
    case: Case,
    message_id: UUID | None,
    hidden: bool,
) -> tuple[str, str]:
    inbox = ctx.views.inbox(case.inbox_id)
    inbox_name = inbox.name if inbox else "-"
    reference = case_reference(case.id)
    link = agent_link(svc.public_url, case.workspace_id, case.id)
    heading = _HEADINGS[kind]
    if hidden:
        # Reference, inbox and link: nothing the customer wrote, not even who.
        return (
            f"{heading}: case {reference} in {inbox_name}",
            "\n".join(
                [
                    f"{heading}.",
                    "",
                    f"Case reference: {reference}",
                    f"Inbox: {inbox_name}",
                    f"Open: {link}",
                    "",
                    "This workspace keeps case content out of notifications.",
                ]
            ),
        )
    message = _message(case, message_id)
    subject = _first_subject(case) or "(no subject)"
    customer = case.profile.get("name")
    lines = [
        f"{heading}.",
        "",
        f"Case reference: {reference}",
        f"Inbox: {inbox_name}",
        f"Customer: {customer.text() if customer else '-'}",
        f"Subject: {subject}",
    ]
    if message is not None:
        lines += ["", _excerpt(message["body"])]
        names = [a["filename"].text() for a in message["attachments"]]
        if names:
            lines += ["", "Attachments (not included): " + ", ".join(names)]
    lines += ["", f"Open: {link}"]
    return f"{heading}: {subject} ({reference}, {inbox_name})", "\n".join(lines)


def _message(case: Case, message_id: UUID | None) -> dict[str, Any] | None:
    inbound = [m for m in case.messages if m["direction"] == Direction.INBOUND]
    chosen = [m for m in case.messages if m["message_id"] == message_id]
    found = chosen or inbound[-1:] or case.messages[-1:]
    return found[0] if found else None


def _first_subject(case: Case) -> str | None:
    for message in case.messages:
        subject: PersonalData | None = message["subject_line"]
        if subject is not None:
            return subject.text()
    return None


def _excerpt(body: PersonalData) -> str:
    text = body.text()
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + " …"


# Sending


def dispatch_due(
    ctx: Context, svc: OutboundServices, limit: int = 200
) -> DispatchReport:
    """Queues pending triggers, then sends every notification that is due."""
    queued = process_triggers(ctx, svc)
    delivered = failed = 0
    for notification_id in svc.views.due_notifications(ctx.clock.now(), limit):
        if send_one(ctx, svc, notification_id):
            delivered += 1
        else:
            failed += 1
    return DispatchReport(queued, delivered, failed)


def send_one(ctx: Context, svc: OutboundServices, notification_id: UUID) -> bool:
    """Sends one notification; records the delivery (and destroys the sealed
    copy) or the failure with its next attempt. True when delivered."""
    notification: Notification = ctx.store.get(notification_id)
    if notification.delivered_at is not None:
        return True
    now = ctx.clock.now()
    try:
        _send(svc, notification)
    except DeliveryError as error:
        wait = min(60 * 2**notification.attempts, MAX_RETRY_SECONDS)
        notification.fail_delivery(
            reason=error.reason[:200],
            at=now,
            retry_at=now + dt.timedelta(seconds=wait),
        )
        ctx.save(notification)
        log.warning(
            "notifications.delivery_failed",
            notification=str(notification_id),
            channel=notification.channel,
            attempts=notification.attempts,
        )
        return False
    notification.deliver(at=now)
    ctx.save(notification)
    ctx.shredder.shred([notification.content_owner])
    return True


def _send(svc: OutboundServices, notification: Notification) -> None:
    title = notification.title.text()
    body = notification.body.text()
    if notification.channel == "email":
        svc.email.send(notification.recipient.text(), title, body)
        return
    if notification.recipient_user_id is None:
        raise DeliveryError("push", "a push notification needs a user")
    svc.push.send(
        notification.recipient_user_id,
        title,
        # A lock screen shows the body: with content hidden it is the title only.
        title if notification.content_hidden else body,
        {
            "case_id": str(notification.case_id),
            "kind": notification.kind,
            "link": agent_link(
                svc.public_url, notification.workspace_id, notification.case_id
            ),
        },
    )


def outbox(
    ctx: Context,
    svc: OutboundServices,
    workspace_id: UUID,
    *,
    status: str | None = None,
    limit: int = 100,
) -> list[NotificationRecord]:
    """The workspace's notifications and their delivery state, without content."""
    require_workspace(ctx, workspace_id)
    return svc.views.notifications(workspace_id, status=status, limit=limit)
