"""The agents' queue: claims between agents, deadlines, grouping, erasure."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from application import access_requests as ar
from application import erasure
from application import workspaces as ws
from application.errors import ConflictError, NotFoundError
from domain.model import case_profile_owner
from infrastructure.audit.wiring import scheduler_of
from infrastructure.bootstrap import Container
from infrastructure.identifiers import FixedClock
from tests.access_requests.fakes import LoopbackConnector, RecordingEmailSender
from tests.access_requests.scenario import (
    download_all,
    person,
    proven_request,
    unpack,
)
from tests.builders import unique


def test_second_agent_cannot_claim_a_claimed_request_but_can_be_assigned(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    other = ws.create_user(
        ctx,
        p.world.workspace_id,
        name="Agent Two",
        email=unique("two") + "@example.test",
        role="agent",
        created_by=None,
    )
    request = proven_request(ctx, svc, email, twitter, p)
    ar.claim(ctx, p.world.agent, request.id)
    second = ctx.views.user(other.user_id)
    assert second is not None

    with pytest.raises(ConflictError):
        ar.claim(ctx, second, request.id)
    ar.assign(ctx, p.world.agent, request.id, other.user_id)

    mine = ar.queue(ctx, svc, p.world.workspace_id, assignee_id=other.user_id)
    assert [(i.request_id, i.state) for i in mine] == [(request.id, "ready_for_review")]


def test_auditor_cannot_be_assigned(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    request = proven_request(ctx, svc, email, twitter, p)

    with pytest.raises(ConflictError):
        ar.assign(ctx, p.world.admin, request.id, p.world.auditor.user_id)


def test_deadline_is_one_month_extendable_twice_with_a_reason(
    container: Container,
    clock: FixedClock,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    request = proven_request(ctx, svc, email, twitter, p)
    item = ar.queue_item(ctx, svc, p.world.workspace_id, request.id)
    assert item.due_at == dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)

    with pytest.raises(ConflictError):
        ar.extend_deadline(ctx, p.world.agent, request.id, "  ")
    first = ar.extend_deadline(ctx, p.world.agent, request.id, "many systems")
    second = ar.extend_deadline(ctx, p.world.agent, request.id, "still many")
    with pytest.raises(ConflictError):
        ar.extend_deadline(ctx, p.world.agent, request.id, "once more")

    assert (first.month, second.month) == (1, 2)
    assert ar.queue_item(ctx, svc, p.world.workspace_id, request.id).extended


def test_overdue_requests_are_flagged(
    container: Container,
    clock: FixedClock,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    request = proven_request(ctx, svc, email, twitter, p)
    clock.advance(dt.timedelta(days=31))

    item = ar.queue_item(ctx, svc, p.world.workspace_id, request.id)

    assert item.overdue


def test_repeated_requests_of_one_person_share_a_group(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    first = proven_request(ctx, svc, email, twitter, p)
    ctx.clock.advance(dt.timedelta(hours=2))  # type: ignore[attr-defined]
    second = proven_request(ctx, svc, email, twitter, p)

    items = {i.request_id: i for i in ar.queue(ctx, svc, p.world.workspace_id)}

    assert items[second.id].group_id == items[first.id].group_id == first.id


def test_request_of_another_workspace_is_not_found(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p, other = person(ctx), person(ctx)
    request = proven_request(ctx, svc, email, twitter, p)

    with pytest.raises(NotFoundError):
        ar.approve(ctx, svc, other.world.agent, request.id)
    with pytest.raises(NotFoundError):
        ar.queue_item(ctx, svc, other.world.workspace_id, request.id)


def test_rejected_request_cannot_be_approved(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    request = proven_request(ctx, svc, email, twitter, p)
    ar.reject(ctx, p.world.agent, request.id, "identity doubtful")

    with pytest.raises(ConflictError):
        ar.approve(ctx, svc, p.world.agent, request.id)


def test_erased_subject_leaves_nothing_in_a_later_file(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    request = proven_request(ctx, svc, email, twitter, p)
    subject = ctx.views.subject_by_digest(
        p.world.workspace_id, ctx.hasher.digest("twitter", p.handle)
    )
    assert subject is not None
    # Erasure unlinks the cases and drops the blind index: nothing leads back.
    cases_before = ctx.views.cases(p.world.workspace_id, subject_id=subject)
    erasure.erase_subject(
        ctx,
        p.world.workspace_id,
        subject,
        reason="art. 17",
        request_ref="R-1",
        actor_id=p.world.admin.user_id,
    )

    approval = ar.approve(ctx, svc, p.world.agent, request.id)
    data = orjson.loads(
        unpack(
            download_all(ctx, svc, p, request.id, approval.export_id),
            approval.password,
        )["data.json"]
    )

    assert len(cases_before) == 1
    assert "Tweet body" not in str(data)
    assert len(data["cases"]) == 2  # the e-mail cases; the erased one is gone


def test_erasing_the_subject_shreds_our_stored_file(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    request = proven_request(ctx, svc, email, twitter, p)
    approval = ar.approve(ctx, svc, p.world.agent, request.id)
    subject = ctx.views.subject_by_digest(
        p.world.workspace_id, ctx.hasher.digest("email", p.home)
    )
    assert subject is not None

    receipt = erasure.erase_subject(
        ctx,
        p.world.workspace_id,
        subject,
        reason="art. 17",
        request_ref="R-2",
        actor_id=p.world.admin.user_id,
    )

    with pytest.raises(NotFoundError):
        download_all(ctx, svc, p, request.id, approval.export_id)
    held = {touched.store: touched.count for touched in receipt.stores}
    assert held["exports held"] == 1


def test_shredded_profile_reads_as_erased_in_the_file(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    request = proven_request(ctx, svc, email, twitter, p)
    subject = ctx.views.subject_by_digest(
        p.world.workspace_id, ctx.hasher.digest("twitter", p.handle)
    )
    case = ctx.views.cases(p.world.workspace_id, subject_id=subject)[0]
    ctx.shredder.shred([case_profile_owner(case.case_id)])

    approval = ar.approve(ctx, svc, p.world.agent, request.id)
    data = orjson.loads(
        unpack(
            download_all(ctx, svc, p, request.id, approval.export_id),
            approval.password,
        )["data.json"]
    )

    shredded = next(c for c in data["cases"] if c["case_id"] == str(case.case_id))
    assert shredded["profile"] == {"identity": "[erased]", "name": "[erased]"}
    assert [m["author"] for m in shredded["messages"]] == ["[erased]"]
    assert [m["body"] for m in shredded["messages"]] == ["Tweet body"]


def test_scheduled_purge_deletes_files_whose_link_expired(
    container: Container,
    clock: FixedClock,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    request = proven_request(ctx, svc, email, twitter, p)
    approval = ar.approve(ctx, svc, p.world.agent, request.id)
    scheduler = scheduler_of(container)
    clock.advance(dt.timedelta(days=8))

    scheduler.purge()

    with pytest.raises(NotFoundError):
        svc.exports.open(approval.export_id)
    assert svc.exports.delete(approval.export_id) is False  # the file is gone
    assert ar.expire_links(ctx, svc) == 0  # nothing was left for a second sweep
