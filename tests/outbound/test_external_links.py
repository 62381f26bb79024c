"""Issue 10.1: forwarding a case to an address outside the platform sends a
no-login link over real SMTP; the link opens that case only, is audited with the
visitor's address and country, and is refused once expired or revoked."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from uuid import uuid4

import pytest

from application import cases
from application import external_links as links
from application.errors import ConflictError, InvalidInputError, NotFoundError
from application.outbound_ports import OutboundServices
from application.ports import AccessLogFilter
from application.privacy_settings import change_privacy_setting
from infrastructure.bootstrap import Container
from infrastructure.identifiers import FixedClock
from tests.builders import World, dialog, world
from tests.outbound.fakes import Mailbox

VISITOR = links.Visitor("192.0.2.44", "NO")
PARTNER = "lawyer@partner.example"


def _forward(
    container: Container, outbound: OutboundServices
) -> tuple[links.IssuedLink, World, cases.IngestResult]:
    ctx = container.context
    w = world(ctx)
    result = cases.ingest_dialog(
        ctx, w.workspace_id, w.inbox_id, dialog(name="Kari Nordmann")
    )
    issued = links.forward_to_address(
        ctx,
        outbound,
        w.agent,
        result.case_id,
        PARTNER,
    )
    return issued, w, result


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_forwarding_to_an_address_mails_a_link_that_opens_the_case_audited(
    container: Container, outbound: OutboundServices, mailbox: Mailbox
) -> None:
    ctx = container.context
    issued, w, result = _forward(container, outbound)

    mail = mailbox.to(PARTNER)[0]
    found = re.search(r"http\S+/external/cases/\S+", mail.get_content())
    url = found.group(0) if found else ""
    view = links.open_link(ctx, outbound, result.case_id, _token(url), VISITOR)

    assert issued.delivered
    assert url == issued.url
    assert view.messages[0].body == "Hello, my parcel has not arrived."
    ctx.views.catch_up()
    log = ctx.views.access_log(AccessLogFilter(w.workspace_id, actor_id=issued.link_id))
    read = [e for e in log if e.action == "case.read"]
    assert [(e.client_address, e.country) for e in read] == [("192.0.2.44", "NO")]


def test_link_token_is_stored_only_as_its_hash(
    container: Container, outbound: OutboundServices, mailbox: Mailbox
) -> None:
    issued, _, _ = _forward(container, outbound)
    token = _token(issued.url).encode()

    with container.engine.connect() as connection:
        tables = [
            row
            for table in ("external_links", "notification_outbox", "access_log")
            for row in connection.exec_driver_sql(f"SELECT * FROM {table}").all()
        ]
    stored = container.store.recorder.select_notifications(start=1, limit=10_000)

    assert all(token not in repr(row).encode() for row in tables)
    assert all(token not in n.state for n in stored)


def test_link_days_follow_the_workspace_setting_default_fourteen(
    container: Container, outbound: OutboundServices, clock: FixedClock
) -> None:
    issued, w, result = _forward(container, outbound)
    change_privacy_setting(
        container.context,
        w.workspace_id,
        "external_link_days",
        3,
        w.admin.user_id,
    )
    later = links.forward_to_address(
        container.context,
        outbound,
        w.agent,
        result.case_id,
        PARTNER,
    )

    assert issued.expires_at == clock.now() + dt.timedelta(days=14)
    assert later.expires_at == clock.now() + dt.timedelta(days=3)


def test_link_one_second_after_expiry_is_gone_and_the_attempt_recorded(
    container: Container, outbound: OutboundServices, clock: FixedClock
) -> None:
    ctx = container.context
    issued, w, result = _forward(container, outbound)
    clock.advance(issued.expires_at - clock.now() - dt.timedelta(seconds=1))
    links.open_link(ctx, outbound, result.case_id, _token(issued.url), VISITOR)
    clock.advance(dt.timedelta(seconds=2))

    with pytest.raises(links.LinkGoneError) as gone:
        links.open_link(ctx, outbound, result.case_id, _token(issued.url), VISITOR)

    assert gone.value.reason == "expired"
    ctx.views.catch_up()
    log = ctx.views.access_log(AccessLogFilter(w.workspace_id, actor_id=issued.link_id))
    refused = [e for e in log if e.action == "external_link.refused"]
    assert [(e.purpose, e.client_address, e.country) for e in refused] == [
        ("opening refused: expired", "192.0.2.44", "NO")
    ]


def test_revoked_link_is_gone_and_revoking_twice_conflicts(
    container: Container, outbound: OutboundServices
) -> None:
    ctx = container.context
    issued, w, result = _forward(container, outbound)
    links.revoke_link(ctx, w.agent, issued.link_id, "sent to the wrong person")

    with pytest.raises(links.LinkGoneError) as gone:
        links.open_link(ctx, outbound, result.case_id, _token(issued.url), VISITOR)
    with pytest.raises(ConflictError):
        links.revoke_link(ctx, w.agent, issued.link_id, "again")

    assert gone.value.reason == "revoked"
    assert links.case_links(ctx, outbound, w.agent, result.case_id)[0].refused == 1


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1],  # truncated
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character forged
        lambda t: "x" * 43,  # made up
        lambda t: "",
    ],
    ids=["truncated", "forged", "made-up", "empty"],
)
def test_forged_or_truncated_token_is_not_found(
    container: Container,
    outbound: OutboundServices,
    mangle: Callable[[str], str],
) -> None:
    issued, _, result = _forward(container, outbound)

    with pytest.raises(NotFoundError):
        links.open_link(
            container.context,
            outbound,
            result.case_id,
            mangle(_token(issued.url)),
            VISITOR,
        )


def test_token_used_for_another_case_is_not_found_and_recorded(
    container: Container, outbound: OutboundServices
) -> None:
    ctx = container.context
    issued, w, _ = _forward(container, outbound)
    other = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())

    with pytest.raises(NotFoundError):
        links.open_link(ctx, outbound, other.case_id, _token(issued.url), VISITOR)

    log = ctx.views.access_log(AccessLogFilter(w.workspace_id, case_id=other.case_id))
    assert [e.action for e in log if e.actor_id == issued.link_id] == []
    first_case = ctx.store.get(issued.link_id).case_id
    assert links.case_links(ctx, outbound, w.agent, first_case)[0].refused == 1


def test_link_to_one_message_shows_that_message_only(
    container: Container, outbound: OutboundServices
) -> None:
    ctx = container.context
    w = world(ctx)
    first = cases.ingest_dialog(
        ctx, w.workspace_id, w.inbox_id, dialog(thread="t-one", body="First")
    )
    cases.ingest_dialog(
        ctx,
        w.workspace_id,
        w.inbox_id,
        dialog(thread="t-one", body="Second", email=None),
    )
    case = ctx.store.get(first.case_id)
    message_id = case.messages[0]["message_id"]
    issued = links.forward_to_address(
        ctx, outbound, w.agent, first.case_id, PARTNER, message_id=message_id
    )

    view = links.open_link(ctx, outbound, first.case_id, _token(issued.url), VISITOR)

    assert [m.body for m in view.messages] == ["First"]


def test_forwarding_refuses_a_bad_address_and_other_workspaces_cases(
    container: Container, outbound: OutboundServices
) -> None:
    ctx = container.context
    _, w, result = _forward(container, outbound)
    stranger = world(ctx)

    with pytest.raises(InvalidInputError):
        links.forward_to_address(ctx, outbound, w.agent, result.case_id, "not mail")
    with pytest.raises(NotFoundError):
        links.forward_to_address(
            ctx,
            outbound,
            stranger.agent,
            result.case_id,
            PARTNER,
        )
    with pytest.raises(NotFoundError):
        links.forward_to_address(
            ctx,
            outbound,
            w.agent,
            result.case_id,
            PARTNER,
            message_id=uuid4(),
        )
