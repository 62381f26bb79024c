"""Refusals: unknown workspace, foreign, replayed and expired codes, limits,
empty files, oversized and forged attachments, markup inside messages."""

from __future__ import annotations

import datetime as dt
from uuid import UUID, uuid4

import orjson
import pytest

from application import access_requests as ar
from application import cases
from application.context import Context
from application.errors import ConflictError, InvalidInputError, NotFoundError
from application.ports import ImportedAttachment
from domain.access_requests import AccessRequest
from infrastructure.access_requests.writer import ArchiveExportWriter
from infrastructure.bootstrap import Container
from infrastructure.identifiers import FixedClock
from tests.access_requests.fakes import LoopbackConnector, RecordingEmailSender
from tests.access_requests.scenario import (
    STATUS_URL,
    download_all,
    pdf_text,
    person,
    proven_request,
    unpack,
)
from tests.builders import dialog, unique, world


def _started(
    ctx: Context, svc: ar.AccessRequestServices, workspace_id: UUID
) -> AccessRequest:
    started = ar.start_request(ctx, workspace_id, "en")
    return ar.request_for_token(ctx, svc, workspace_id, started.token)


def test_unknown_workspace_cannot_take_requests(container: Container) -> None:
    with pytest.raises(NotFoundError):
        ar.start_request(container.context, uuid4(), "en")


def test_link_of_another_workspace_is_not_found(
    container: Container, svc: ar.AccessRequestServices
) -> None:
    ctx = container.context
    mine, theirs = world(ctx), world(ctx)
    started = ar.start_request(ctx, theirs.workspace_id, "en")

    with pytest.raises(NotFoundError):
        ar.request_for_token(ctx, svc, mine.workspace_id, started.token)


def test_code_of_another_request_is_rejected_and_recorded(
    container: Container, svc: ar.AccessRequestServices, email: RecordingEmailSender
) -> None:
    ctx = container.context
    w = world(ctx)
    address = unique("kari") + "@example.no"
    mine, theirs = (
        _started(ctx, svc, w.workspace_id),
        _started(ctx, svc, w.workspace_id),
    )
    my_identity = ar.add_identity(
        ctx, svc, mine, "email", address, status_url=STATUS_URL
    )
    ar.add_identity(ctx, svc, theirs, "email", address, status_url=STATUS_URL)
    their_code = email.last_to(address).code

    with pytest.raises(ar.CodeRejectedError) as refused:
        ar.prove_identity(ctx, mine, my_identity, their_code)

    assert refused.value.reason == "wrong code"
    stored = ar.load_request(ctx, w.workspace_id, mine.id)
    assert stored.proven_identities == []
    kinds = [type(e).__qualname__ for e in ctx.store.events.get(mine.id)]
    assert kinds.count("AccessRequest.ProofFailed") == 1


def test_replayed_code_is_rejected(
    container: Container, svc: ar.AccessRequestServices, email: RecordingEmailSender
) -> None:
    ctx = container.context
    w = world(ctx)
    address = unique("kari") + "@example.no"
    request = _started(ctx, svc, w.workspace_id)
    identity = ar.add_identity(
        ctx, svc, request, "email", address, status_url=STATUS_URL
    )
    code = email.last_to(address).code
    ar.prove_identity(ctx, request, identity, code)

    with pytest.raises(ar.CodeRejectedError) as refused:
        ar.prove_identity(ctx, request, identity, code)

    assert refused.value.reason == "code already used"


def test_expired_code_is_rejected(
    container: Container,
    clock: FixedClock,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
) -> None:
    ctx = container.context
    w = world(ctx)
    address = unique("kari") + "@example.no"
    request = _started(ctx, svc, w.workspace_id)
    identity = ar.add_identity(
        ctx, svc, request, "email", address, status_url=STATUS_URL
    )
    clock.advance(dt.timedelta(minutes=15))

    with pytest.raises(ar.CodeRejectedError) as refused:
        ar.prove_identity(ctx, request, identity, email.last_to(address).code)

    assert refused.value.reason == "code expired"


def test_code_locks_after_five_wrong_attempts(
    container: Container, svc: ar.AccessRequestServices, email: RecordingEmailSender
) -> None:
    ctx = container.context
    w = world(ctx)
    address = unique("kari") + "@example.no"
    request = _started(ctx, svc, w.workspace_id)
    identity = ar.add_identity(
        ctx, svc, request, "email", address, status_url=STATUS_URL
    )
    for _ in range(5):
        with pytest.raises(ar.CodeRejectedError):
            ar.prove_identity(ctx, request, identity, "00000000")

    with pytest.raises(ar.CodeRejectedError) as refused:
        ar.prove_identity(ctx, request, identity, email.last_to(address).code)

    assert refused.value.reason == "too many wrong attempts"


def test_codes_to_one_address_are_limited_across_requests(
    container: Container, svc: ar.AccessRequestServices
) -> None:
    ctx = container.context
    w = world(ctx)
    address = unique("kari") + "@example.no"
    for _ in range(3):
        request = _started(ctx, svc, w.workspace_id)
        ar.add_identity(ctx, svc, request, "email", address, status_url=STATUS_URL)

    with pytest.raises(ar.TooManyRequestsError):
        ar.add_identity(
            ctx,
            svc,
            _started(ctx, svc, w.workspace_id),
            "email",
            address,
            status_url=STATUS_URL,
        )


def test_failed_delivery_records_no_code(
    container: Container, svc: ar.AccessRequestServices, email: RecordingEmailSender
) -> None:
    ctx = container.context
    w = world(ctx)
    request = _started(ctx, svc, w.workspace_id)
    email.failing = True

    with pytest.raises(ConflictError):
        ar.add_identity(
            ctx, svc, request, "email", "kari@example.no", status_url=STATUS_URL
        )

    stored = ar.load_request(ctx, w.workspace_id, request.id)
    assert [bool(stored.codes), len(stored.identities)] == [False, 1]


@pytest.mark.parametrize(
    ("kind", "value"),
    [("email", "not-an-address"), ("twitter", "has space"), ("fax", "123")],
)
def test_malformed_identity_is_refused(
    container: Container, svc: ar.AccessRequestServices, kind: str, value: str
) -> None:
    ctx = container.context
    w = world(ctx)
    request = _started(ctx, svc, w.workspace_id)

    with pytest.raises(InvalidInputError):
        ar.add_identity(ctx, svc, request, kind, value, status_url=STATUS_URL)


def test_review_needs_a_proven_identity(
    container: Container, svc: ar.AccessRequestServices
) -> None:
    ctx = container.context
    w = world(ctx)
    request = _started(ctx, svc, w.workspace_id)
    ar.add_identity(ctx, svc, request, "email", "k@example.no", status_url=STATUS_URL)

    with pytest.raises(ConflictError):
        ar.send_for_review(ctx, request)


def test_person_with_no_data_gets_a_file_that_says_so(
    container: Container, svc: ar.AccessRequestServices, email: RecordingEmailSender
) -> None:
    ctx = container.context
    w = world(ctx)
    address = unique("nobody") + "@example.no"
    request = _started(ctx, svc, w.workspace_id)
    identity = ar.add_identity(
        ctx, svc, request, "email", address, status_url=STATUS_URL
    )
    ar.prove_identity(ctx, request, identity, email.last_to(address).code)
    ar.send_for_review(ctx, request)

    approval = ar.approve(ctx, svc, w.agent, request.id)
    files = unpack(
        list(
            ar.download(
                ctx,
                svc,
                ar.load_request(ctx, w.workspace_id, request.id),
                approval.export_id,
                actor_id=None,
                client_address=None,
                country=None,
            )
        ),
        approval.password,
    )

    assert "We found no cases or messages" in files["access-request.html"].decode()
    assert "We found no cases or messages" in pdf_text(
        files["access-request.pdf"], approval.password
    )
    assert orjson.loads(files["data.json"])["cases"] == []


def test_markup_in_messages_is_escaped_never_live(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    hostile = '<script>alert(1)</script><img src="https://tracker.example/p.gif">'
    cases.ingest_dialog(
        ctx, p.world.workspace_id, p.world.inbox_id, dialog(email=p.home, body=hostile)
    )
    request = proven_request(ctx, svc, email, twitter, p)

    approval = ar.approve(ctx, svc, p.world.agent, request.id)
    html = unpack(
        download_all(ctx, svc, p, request.id, approval.export_id), approval.password
    )["access-request.html"].decode()

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'src="https://' not in html
    assert "default-src 'none'" in html


def test_oversized_and_forged_attachments_are_listed_not_trusted(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
    tmp_path: object,
) -> None:
    ctx = container.context
    p = person(ctx)
    forged = ImportedAttachment("photo.png", "image/png", b"<html><script>x</script>")
    big = ImportedAttachment("scan.pdf", "application/pdf", b"%PDF-1.4" + b"0" * 4096)
    cases.ingest_dialog(
        ctx,
        p.world.workspace_id,
        p.world.inbox_id,
        dialog(email=p.home, attachments=(forged, big)),
    )
    svc.writer = ArchiveExportWriter(
        container.settings.data_dir / "small-work", max_attachment_bytes=1024
    )
    request = proven_request(ctx, svc, email, twitter, p)

    approval = ar.approve(ctx, svc, p.world.agent, request.id)
    files = unpack(
        download_all(ctx, svc, p, request.id, approval.export_id), approval.password
    )

    attachments = {
        a["filename"]: a
        for c in orjson.loads(files["data.json"])["cases"]
        for m in c["messages"]
        for a in m["attachments"]
    }
    assert attachments["photo.png"]["status"] == "type_mismatch"
    assert attachments["photo.png"]["archive_path"].endswith(".bin")
    assert attachments["scan.pdf"]["status"] == "too_large"
    assert attachments["scan.pdf"]["archive_path"] is None
    html = files["access-request.html"].decode()
    assert "looks like text/html" in html
    assert html.count('src="data:') == 1  # only the real PNG is shown inline
