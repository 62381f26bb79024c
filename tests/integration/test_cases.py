"""Cases on both stores: ingest, threads, idempotency, audited reads, commands."""

from __future__ import annotations

import hashlib

import pytest

from application import cases, erasure
from application.errors import ConflictError, InvalidInputError, NotFoundError
from application.ports import AccessLogFilter, ImportedAttachment
from infrastructure.bootstrap import Container
from tests.builders import NEEDED, dialog, world


def test_ingest_opens_case_and_seals_message(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog(body="Hei!"))

    view = cases.open_case(ctx, result.case_id, cases.ReadContext(w.agent, "test"))

    assert result.opened
    assert [m.body for m in view.messages] == ["Hei!"]
    assert view.profile["name"] == "Kari Nordmann"


def test_second_message_of_thread_joins_the_open_case(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    first = cases.ingest_dialog(
        ctx, w.workspace_id, w.inbox_id, dialog(email="a@example.test", thread="t")
    )
    second = cases.ingest_dialog(
        ctx,
        w.workspace_id,
        w.inbox_id,
        dialog(email="A@Example.test", thread="t", body="Any news?"),
    )

    assert second.case_id == first.case_id
    assert not second.opened
    assert second.subject_id == first.subject_id
    assert ctx.views.case_summary(first.case_id).message_count == 2  # type: ignore[union-attr]


def test_redelivered_message_adds_nothing(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    message = dialog(external_id="same-id", thread="t1")
    cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, message)

    again = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, message)

    assert again.messages_added == 0
    assert ctx.views.case_summary(again.case_id).message_count == 1  # type: ignore[union-attr]


def test_closed_thread_gets_a_new_case(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    first = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog(thread="t2"))
    cases.close_case(ctx, w.agent, first.case_id)

    later = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog(thread="t2"))

    assert later.case_id != first.case_id


def test_opening_a_case_leaves_exactly_one_read_entry(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())
    cases.list_cases(ctx, w.workspace_id)

    cases.open_case(
        ctx, result.case_id, cases.ReadContext(w.agent, "GET case", "192.0.2.7", "NO")
    )
    ctx.views.catch_up()

    entries = ctx.views.access_log(
        AccessLogFilter(w.workspace_id, case_id=result.case_id)
    )
    assert [
        (e.action, e.actor_id, e.client_address, e.subject_id) for e in entries
    ] == [("case.read", w.agent.user_id, "192.0.2.7", result.subject_id)]


def test_case_of_another_workspace_is_not_found(container: Container) -> None:
    ctx = container.context
    mine, theirs = world(ctx), world(ctx)
    result = cases.ingest_dialog(ctx, theirs.workspace_id, theirs.inbox_id, dialog())

    with pytest.raises(NotFoundError):
        cases.open_case(ctx, result.case_id, cases.ReadContext(mine.agent, "test"))
    ctx.views.catch_up()
    assert ctx.views.access_log(AccessLogFilter(theirs.workspace_id)) == []


def test_attachment_keeps_name_type_size_and_hash(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    attachment = ImportedAttachment("kvittering.pdf", "application/pdf", b"%PDF-1.4 x")
    result = cases.ingest_dialog(
        ctx, w.workspace_id, w.inbox_id, dialog(attachments=(attachment,))
    )
    view = cases.open_case(ctx, result.case_id, cases.ReadContext(w.agent, "test"))
    message = view.messages[0]

    meta, content = cases.attachment_content(
        ctx, result.case_id, message.message_id, 0, cases.ReadContext(w.agent, "test")
    )

    assert (meta.filename, meta.content_type, meta.size) == (
        "kvittering.pdf",
        "application/pdf",
        10,
    )
    assert meta.sha256 == hashlib.sha256(b"%PDF-1.4 x").hexdigest()
    assert content == b"%PDF-1.4 x"


def test_commands_change_the_case_list(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())

    cases.assign_case(ctx, w.admin, result.case_id, w.agent.user_id, NEEDED)
    cases.tag_case(ctx, w.agent, result.case_id, ["delivery"], ["Kari"])
    cases.forward_case(
        ctx, w.agent, result.case_id, recipient_id=w.admin.user_id, legal_basis=NEEDED
    )
    cases.close_case(ctx, w.agent, result.case_id)

    summary = ctx.views.case_summary(result.case_id)
    assert summary is not None
    assert (summary.assignee_id, summary.tags, summary.status) == (
        w.agent.user_id,
        ("delivery",),
        "closed",
    )
    ctx.views.catch_up()
    actions = [e.action for e in ctx.views.access_log(AccessLogFilter(w.workspace_id))]
    assert actions == ["case.assigned", "case.forwarded"]


def test_closing_a_closed_case_is_a_conflict(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())
    cases.close_case(ctx, w.agent, result.case_id)

    with pytest.raises(ConflictError):
        cases.close_case(ctx, w.agent, result.case_id)


def test_nul_in_clear_text_never_stops_the_views(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    message = dialog(body="body with \x00 inside")
    tagged = type(message)(
        thread_key=message.thread_key,
        channel=message.channel,
        subject=message.subject,
        messages=message.messages,
        tags=("deliv\x00ery",),
    )

    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, tagged)
    later = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())

    assert ctx.views.case_summary(result.case_id).tags == ("delivery",)  # type: ignore[union-attr]
    assert ctx.views.case_summary(later.case_id) is not None


def test_assigning_a_case_to_an_auditor_is_refused(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())

    with pytest.raises(InvalidInputError):
        cases.assign_case(ctx, w.admin, result.case_id, w.auditor.user_id, NEEDED)


def test_erased_case_is_closed_with_a_time(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())

    erasure.erase_subject(
        ctx,
        w.workspace_id,
        result.subject_id,
        reason="art. 17",
        request_ref="R-1",
        actor_id=w.admin.user_id,
    )

    summary = ctx.views.case_summary(result.case_id)
    assert summary is not None
    assert (summary.status, summary.closed_at is not None) == ("closed", True)
