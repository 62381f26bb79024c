"""The whole request on both stores: prove three identities, approve, download."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest
import pyzipper

from application import access_requests as ar
from application.ports import AccessLogFilter
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


def test_approved_file_holds_every_identity_in_html_json_and_pdf(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    request = proven_request(ctx, svc, email, twitter, p)

    approval = ar.approve(ctx, svc, p.world.agent, request.id)
    chunks = download_all(
        ctx,
        svc,
        p,
        request.id,
        approval.export_id,
        client_address="198.51.100.4",
        country="NO",
    )
    files = unpack(chunks, approval.password)

    html = files["access-request.html"].decode()
    data = orjson.loads(files["data.json"])
    text = pdf_text(files["access-request.pdf"], approval.password)
    bodies = ["blåbærsyltetøy", "From work address", "Tweet body"]
    assert [body in html for body in bodies] == [True, True, True]
    assert [body in text for body in bodies] == [True, True, True]
    assert sorted(m["body"] for c in data["cases"] for m in c["messages"]) == sorted(
        [
            "Hei! Pakken med blåbærsyltetøy har ikke kommet, æøå ÆØÅ.",
            "From work address",
            "Tweet body",
        ]
    )
    assert approval.totals.messages_per_channel == {"email": 2, "twitter": 1}
    assert any(name.endswith(".png") for name in files)
    assert 'src="data:image/png;base64,' in html


def test_archive_and_pdf_refuse_a_wrong_password(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    request = proven_request(ctx, svc, email, twitter, p)
    approval = ar.approve(ctx, svc, p.world.agent, request.id)
    chunks = download_all(
        ctx, svc, p, request.id, approval.export_id, client_address=None, country=None
    )

    with pytest.raises(RuntimeError):
        unpack(chunks, "not-the-password")
    pdf = unpack(chunks, approval.password)["access-request.pdf"]
    assert b"/AESV3" in pdf or b"/V 5" in pdf
    with pytest.raises(Exception):  # noqa: B017 - pypdf raises its own
        pdf_text(pdf, "wrong")


def test_zip_entries_use_aes_256(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    request = proven_request(ctx, svc, email, twitter, p)
    approval = ar.approve(ctx, svc, p.world.agent, request.id)
    raw = b"".join(download_all(ctx, svc, p, request.id, approval.export_id))

    import io

    with pyzipper.AESZipFile(io.BytesIO(raw)) as archive:
        infos = archive.infolist()
    # AE-x extra field 0x9901 with strength 3 = AES-256 on every entry.
    assert all(b"\x01\x99" in info.extra for info in infos)
    assert all(info.extra[info.extra.index(b"\x01\x99") + 8] == 3 for info in infos)


def test_every_step_is_in_the_access_log(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    request = proven_request(ctx, svc, email, twitter, p)
    approval = ar.approve(ctx, svc, p.world.agent, request.id)
    download_all(
        ctx,
        svc,
        p,
        request.id,
        approval.export_id,
        client_address="198.51.100.4",
        country="NO",
    )
    ctx.views.catch_up()

    entries = ctx.views.access_log(AccessLogFilter(p.world.workspace_id, limit=1000))
    reads = [e for e in entries if e.purpose == f"access request {request.id}"]
    downloads = [e for e in entries if e.action == "access_request.downloaded"]
    assert len(reads) == 3
    assert {e.actor_id for e in reads} == {p.world.agent.user_id}
    assert [e.action for e in entries].count("access_request.exported") == 1
    assert [(d.client_address, d.country, d.actor_id) for d in downloads] == [
        ("198.51.100.4", "NO", None)
    ]


def test_file_lists_its_own_reads_for_the_person(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    request = proven_request(ctx, svc, email, twitter, p)
    approval = ar.approve(ctx, svc, p.world.agent, request.id)
    files = unpack(
        download_all(
            ctx,
            svc,
            p,
            request.id,
            approval.export_id,
            client_address=None,
            country=None,
        ),
        approval.password,
    )

    log = orjson.loads(files["data.json"])["access_log"]
    assert [e["purpose"] for e in log].count(f"access request {request.id}") == 3


def test_only_proven_identities_are_searched(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
) -> None:
    ctx = container.context
    p = person(ctx)
    started = ar.start_request(ctx, p.world.workspace_id, "en")
    request = ar.request_for_token(ctx, svc, p.world.workspace_id, started.token)
    home = ar.add_identity(ctx, svc, request, "email", p.home, status_url=STATUS_URL)
    ar.add_identity(ctx, svc, request, "email", p.work, status_url=STATUS_URL)
    ar.prove_identity(ctx, request, home, email.last_to(p.home).code)
    ar.send_for_review(ctx, request)

    approval = ar.approve(ctx, svc, p.world.agent, request.id)

    assert approval.totals.messages_per_channel == {"email": 1}


def test_expired_link_is_refused_and_its_file_deleted(
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
    clock.advance(dt.timedelta(days=7, seconds=1))

    expired = ar.expire_links(ctx, svc)

    assert expired == 1
    with pytest.raises(ar.GoneError):
        ar.download(
            ctx,
            svc,
            ar.load_request(ctx, p.world.workspace_id, request.id),
            approval.export_id,
            actor_id=None,
            client_address=None,
            country=None,
        )
    assert not any(container.settings.data_dir.glob("exports/*.sealed"))


def test_revoked_link_is_refused_at_once(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    request = proven_request(ctx, svc, email, twitter, p)
    approval = ar.approve(ctx, svc, p.world.agent, request.id)

    ar.revoke_link(
        ctx, svc, p.world.agent, request.id, approval.export_id, "sent to wrong person"
    )

    with pytest.raises(ar.GoneError):
        ar.download(
            ctx,
            svc,
            ar.load_request(ctx, p.world.workspace_id, request.id),
            approval.export_id,
            actor_id=None,
            client_address=None,
            country=None,
        )


def test_link_lifetime_follows_the_workspace_setting(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    p = person(ctx)
    workspace = ctx.store.get(p.world.workspace_id)
    workspace.change_setting(ar.LINK_DAYS_SETTING, 2, None)
    ctx.save(workspace)
    request = proven_request(ctx, svc, email, twitter, p)

    approval = ar.approve(ctx, svc, p.world.agent, request.id)

    assert approval.expires_at - ctx.clock.now() == dt.timedelta(days=2)
