"""One person known under two e-mail addresses and one X/Twitter handle, across
two inboxes, plus the portal steps that prove them."""

from __future__ import annotations

import io
from dataclasses import dataclass
from uuid import UUID

import pyzipper
from pypdf import PdfReader

from application import access_requests as ar
from application import cases
from application import workspaces as ws
from application.context import Context
from application.ports import (
    ImportedAttachment,
    ImportedDialog,
    ImportedMessage,
    ImportedSubject,
)
from domain.access_requests import AccessRequest
from tests.access_requests.fakes import LoopbackConnector, RecordingEmailSender
from tests.builders import World, dialog, unique, world

STATUS_URL = "http://127.0.0.1/portal/status"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe"
    b"\x02\xfe\xa75\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass(frozen=True)
class Person:
    world: World
    social_inbox: UUID
    home: str
    work: str
    handle: str


def person(ctx: Context) -> Person:
    w = world(ctx)
    social_inbox = ws.create_inbox(ctx, w.workspace_id, unique("X "), "twitter")
    home, work = unique("kari") + "@example.no", unique("kari.work") + "@example.no"
    handle = unique("kari_n")
    cases.ingest_dialog(
        ctx,
        w.workspace_id,
        w.inbox_id,
        dialog(
            email=home,
            body="Hei! Pakken med blåbærsyltetøy har ikke kommet, æøå ÆØÅ.",
            attachments=(ImportedAttachment("kvittering.png", "image/png", PNG),),
        ),
    )
    cases.ingest_dialog(
        ctx, w.workspace_id, w.inbox_id, dialog(email=work, body="From work address")
    )
    cases.ingest_dialog(ctx, w.workspace_id, social_inbox, tweet(handle, "Tweet body"))
    return Person(w, social_inbox, home, work, handle)


def tweet(handle: str, body: str) -> ImportedDialog:
    return ImportedDialog(
        thread_key=unique("dm-"),
        channel="twitter",
        subject=ImportedSubject(identities=(("twitter", handle),), name="Kari N"),
        messages=(
            ImportedMessage(
                external_id=unique("tw-"),
                direction="inbound",
                author="Kari N",
                author_address=handle,
                body=body,
            ),
        ),
    )


def proven_request(
    ctx: Context,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
    p: Person,
    *,
    language: str = "en",
) -> AccessRequest:
    started = ar.start_request(ctx, p.world.workspace_id, language)
    request = ar.request_for_token(ctx, svc, p.world.workspace_id, started.token)
    for kind, value in (("email", p.home), ("email", p.work), ("twitter", p.handle)):
        identity_id = ar.add_identity(
            ctx, svc, request, kind, value, status_url=STATUS_URL
        )
        sent = email.last_to(value) if kind == "email" else twitter.last_to(value)
        ar.prove_identity(ctx, request, identity_id, sent.code)
    ar.send_for_review(ctx, request)
    return request


def unpack(chunks: list[bytes], password: str) -> dict[str, bytes]:
    with pyzipper.AESZipFile(io.BytesIO(b"".join(chunks))) as archive:
        archive.setpassword(password.encode())
        return {name: archive.read(name) for name in archive.namelist()}


def pdf_text(pdf: bytes, password: str) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    reader.decrypt(password)
    return "\n".join(page.extract_text() for page in reader.pages)


def download_all(
    ctx: Context,
    svc: ar.AccessRequestServices,
    p: Person,
    request_id: UUID,
    export_id: UUID,
    *,
    client_address: str | None = None,
    country: str | None = None,
) -> list[bytes]:
    request = ar.load_request(ctx, p.world.workspace_id, request_id)
    return list(
        ar.download(
            ctx,
            svc,
            request,
            export_id,
            actor_id=None,
            client_address=client_address,
            country=country,
        )
    )
