"""Issue 10.2: notifications of new cases, assignments, forwards and replies go
out by real SMTP and through the push port; with content hidden neither carries a
subject, a body, the customer's name or an attachment; an SMTP server that is down
leaves them queued, visible and retried until delivered."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from aiosmtpd.controller import Controller

from application import cases, notifications
from application.outbound_ports import OutboundServices
from application.ports import ImportedAttachment
from application.privacy_settings import change_privacy_setting
from infrastructure.bootstrap import Container
from infrastructure.identifiers import FixedClock
from tests.builders import NEEDED, World, dialog, world
from tests.outbound.fakes import Mailbox, RecordingPushSender

SECRET_SUBJECT = "Parcel"
SECRET_BODY = "My diagnosis came back and the parcel is late"
SECRET_NAME = "Ingrid Kvalsund"
SECRET_FILE = "lab-results.pdf"


def _workspace(container: Container, *, hidden: bool) -> World:
    ctx = container.context
    w = world(ctx)
    change_privacy_setting(
        ctx, w.workspace_id, "notification_channels", ["email", "push"], w.admin.user_id
    )
    change_privacy_setting(
        ctx, w.workspace_id, "hide_notification_content", hidden, w.admin.user_id
    )
    return w


def _new_case(
    container: Container, w: World, thread: str | None = None
) -> cases.IngestResult:
    return cases.ingest_dialog(
        container.context,
        w.workspace_id,
        w.inbox_id,
        dialog(
            email="ingrid@example.test",
            thread=thread,
            name=SECRET_NAME,
            body=SECRET_BODY,
            attachments=(
                ImportedAttachment(SECRET_FILE, "application/pdf", b"%PDF-1.4 x"),
            ),
        ),
    )


def _secrets_in(text: str) -> list[str]:
    return [s for s in (SECRET_BODY, SECRET_NAME, SECRET_FILE) if s in text]


def test_hidden_content_mail_and_push_carry_reference_inbox_and_link_only(
    container: Container,
    outbound: OutboundServices,
    mailbox: Mailbox,
    push: RecordingPushSender,
) -> None:
    ctx = container.context
    w = _workspace(container, hidden=True)
    result = _new_case(container, w)

    report = notifications.dispatch_due(ctx, outbound)

    reference = notifications.case_reference(result.case_id)
    raw = b"\n".join(mailbox.raw)
    decoded = "\n".join(m.get_content() + str(m["Subject"]) for m in mailbox.parsed())
    pushed = "\n".join(f"{p.title}\n{p.body}\n{p.data}" for p in push.sent)
    assert report.delivered == 4  # administrator and agent, e-mail and push
    assert _secrets_in(decoded) == []
    assert _secrets_in(pushed) == []
    assert SECRET_SUBJECT not in decoded and SECRET_SUBJECT not in pushed
    assert base64.b64encode(SECRET_BODY.encode()[:24]) not in raw
    assert reference in decoded and reference in pushed
    assert f"/cases/{result.case_id}" in decoded
    assert all(m.get_content_type() == "text/plain" for m in mailbox.parsed())
    assert b"<img" not in raw.lower()


def test_visible_content_mail_carries_the_message_but_never_the_attachment(
    container: Container,
    outbound: OutboundServices,
    mailbox: Mailbox,
) -> None:
    ctx = container.context
    w = _workspace(container, hidden=False)
    _new_case(container, w)

    notifications.dispatch_due(ctx, outbound)

    mail = mailbox.parsed()[0]
    assert SECRET_BODY in mail.get_content()
    assert not list(mail.iter_attachments())
    assert b"<img" not in mailbox.raw[0].lower()


def test_assignment_reply_and_forward_to_a_user_notify_that_user(
    container: Container,
    outbound: OutboundServices,
    push: RecordingPushSender,
) -> None:
    ctx = container.context
    w = _workspace(container, hidden=True)
    result = _new_case(container, w, thread="t-reply")
    notifications.dispatch_due(ctx, outbound)
    push.sent.clear()

    cases.assign_case(ctx, w.admin, result.case_id, w.agent.user_id, NEEDED)
    cases.ingest_dialog(
        ctx,
        w.workspace_id,
        w.inbox_id,
        dialog(email="ingrid@example.test", thread="t-reply", body="Any news?"),
    )
    cases.forward_case(
        ctx, w.agent, result.case_id, recipient_id=w.admin.user_id, legal_basis=NEEDED
    )
    notifications.dispatch_due(ctx, outbound)

    assert [(p.user_id, p.data["kind"]) for p in push.sent] == [
        (w.agent.user_id, "assigned"),
        (w.agent.user_id, "reply"),
        (w.admin.user_id, "forwarded"),
    ]


def test_smtp_down_queues_retries_and_delivers_once_it_is_back(
    container: Container,
    outbound: OutboundServices,
    smtp_port: int,
    clock: FixedClock,
) -> None:
    ctx = container.context
    w = _workspace(container, hidden=True)
    change_privacy_setting(
        ctx, w.workspace_id, "notification_channels", ["email"], w.admin.user_id
    )
    _new_case(container, w)

    down = notifications.dispatch_due(ctx, outbound)
    failing = notifications.outbox(ctx, outbound, w.workspace_id)
    box = Mailbox()
    server = Controller(box, hostname="127.0.0.1", port=smtp_port)
    server.start()
    try:
        too_early = notifications.dispatch_due(ctx, outbound)
        clock.advance(dt.timedelta(minutes=1))
        back = notifications.dispatch_due(ctx, outbound)
    finally:
        server.stop()

    assert (down.queued, down.delivered, down.failed) == (2, 0, 2)
    assert {(n.status, n.attempts) for n in failing} == {("failing", 1)}
    assert all(n.last_error for n in failing)
    assert too_early.delivered == 0
    assert back.delivered == 2
    assert len(box.raw) == 2
    delivered = notifications.outbox(ctx, outbound, w.workspace_id)
    assert {(n.status, n.attempts) for n in delivered} == {("delivered", 2)}


def test_delivered_notification_keeps_no_readable_copy(
    container: Container, outbound: OutboundServices, mailbox: Mailbox
) -> None:
    ctx = container.context
    w = _workspace(container, hidden=False)
    _new_case(container, w)
    notifications.dispatch_due(ctx, outbound)

    sent = notifications.outbox(ctx, outbound, w.workspace_id)[0]
    stored = ctx.store.get(sent.notification_id)

    assert stored.body.is_erased and stored.recipient.is_erased


def test_workspace_without_channels_queues_nothing(
    container: Container, outbound: OutboundServices, mailbox: Mailbox
) -> None:
    ctx = container.context
    w = world(ctx)
    _new_case(container, w)

    report = notifications.dispatch_due(ctx, outbound)

    assert (report.queued, mailbox.raw) == (0, [])


@pytest.mark.parametrize("value", [["email", "fax"], "email", 7])
def test_bad_channel_setting_is_refused_and_not_recorded(
    container: Container, value: object
) -> None:
    from application.errors import InvalidInputError
    from application.privacy_settings import workspace_settings

    ctx = container.context
    w = world(ctx)

    with pytest.raises(InvalidInputError):
        change_privacy_setting(
            ctx, w.workspace_id, "notification_channels", value, w.admin.user_id
        )

    assert workspace_settings(ctx, w.workspace_id)["notification_channels"] == []
