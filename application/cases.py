"""Cases: ingesting dialogs, audited reads, and the agent's commands."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from application.casework import load_for_change, require_case, save_change
from application.context import Context
from application.errors import ConflictError, InvalidInputError, NotFoundError
from application.legal_basis import (
    AccessConfirmation,
    confirm,
    has_case_access_basis,
)
from application.ports import (
    CaseSummary,
    ImportedDialog,
    ImportedMessage,
    UserRecord,
)
from application.sensitivity import flag_new_messages
from application.text import plain_text, plain_texts
from application.workspaces import require_inbox, require_user
from domain.accounts import LegalBasis, LegalBasisScope
from domain.errors import DomainError
from domain.forms import sealed_form_value
from domain.model import (
    Case,
    CaseAccess,
    DataSubject,
    Direction,
    Role,
    case_profile_owner,
    identity_kind,
    log_period_owner,
)
from domain.personal_data import PersonalData


@dataclass(frozen=True)
class IngestResult:
    case_id: UUID
    subject_id: UUID
    opened: bool
    messages_added: int
    flagged: tuple[str, ...] = ()


@dataclass(frozen=True)
class AttachmentView:
    index: int
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class MessageView:
    message_id: UUID
    direction: str
    author: str
    subject_line: str | None
    body: str
    sent_at: dt.datetime
    attachments: tuple[AttachmentView, ...]


@dataclass(frozen=True)
class CaseView:
    case_id: UUID
    workspace_id: UUID
    inbox_id: UUID
    channel: str
    status: str
    subject_id: UUID | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    assignee_id: UUID | None
    profile: dict[str, str]
    tags: tuple[str, ...]
    sensitive: bool
    categories: tuple[str, ...]
    flag_source: str | None
    flag_rules: tuple[str, ...]
    flag_reason: str | None
    messages: tuple[MessageView, ...] = field(default=())


@dataclass(frozen=True)
class ReadContext:
    """Who reads, why, and from where: recorded before anything is shown."""

    actor: UserRecord
    purpose: str
    client_address: str | None = None
    country: str | None = None


# Ingest


def ingest_dialog(
    ctx: Context, workspace_id: UUID, inbox_id: UUID, dialog: ImportedDialog
) -> IngestResult:
    """Adds a dialog's messages to the open case of its subject and thread, or
    opens one. Everything is written in one transaction: never half a case.
    Messages already received (same external id) are skipped."""
    inbox = require_inbox(ctx, workspace_id, inbox_id)
    # A dialog whose sender is unknown (a mail without a readable From) still
    # imports: its customer becomes a subject of its own that no lookup finds.
    subject, subject_digests = _find_or_register_subject(ctx, workspace_id, dialog)
    thread_hash = ctx.hasher.digest("thread", f"{inbox_id}/{dialog.thread_key}")
    case_id = ctx.views.open_case_for_thread(workspace_id, inbox_id, thread_hash)
    opened = case_id is None
    if case_id is None:
        case = _open_case(ctx, workspace_id, inbox, dialog, subject, thread_hash)
    else:
        case = ctx.store.get(case_id)
    if case.subject_id != subject.id:
        # Another customer writes into this thread: none of it is the case
        # subject's, so erasing the subject must leave the case content.
        subject_digests = set()
    added_ids: list[UUID] = []
    scanned_texts: list[str] = []
    for message in dialog.messages:
        external_hash = ctx.hasher.digest(
            "message", f"{inbox_id}/{message.external_id}"
        )
        if case.has_external_id(external_hash):
            continue
        message_id = uuid4()
        _receive(ctx, case, message, message_id, external_hash, subject_digests)
        added_ids.append(message_id)
        scanned_texts.extend(filter(None, (message.subject, message.body)))
    if dialog.tags:
        case.tag(tags=plain_texts(dialog.tags), personal_tags=[], actor_id=None)
    flagged = flag_new_messages(ctx, case, scanned_texts, added_ids)
    pending = [subject] if subject.pending_events else []
    ctx.save(*pending, case)
    return IngestResult(case.id, subject.id, opened, len(added_ids), flagged)


def _find_or_register_subject(
    ctx: Context, workspace_id: UUID, dialog: ImportedDialog
) -> tuple[DataSubject, set[str]]:
    identities = [
        (kind, ctx.hasher.normalise(kind, value), ctx.hasher.digest(kind, value))
        for kind, value in dialog.subject.identities
    ]
    found: UUID | None = None
    for _, _, digest in identities:
        found = ctx.views.subject_by_digest(workspace_id, digest)
        if found is not None:
            break
    if found is None:
        subject_id = uuid4()
        subject = DataSubject(
            aggregate_id=subject_id,
            workspace_id=workspace_id,
            identities=[
                PersonalData(subject_id, "identity", f"{kind}:{normalised}")
                for kind, normalised, _ in identities
            ],
            identity_hashes=[
                PersonalData(subject_id, "identity_hash", digest)
                for _, _, digest in identities
            ],
            name=PersonalData(subject_id, "name", dialog.subject.name)
            if dialog.subject.name
            else None,
            details={
                key: PersonalData(subject_id, key, value)
                for key, value in dialog.subject.details.items()
                if value
            },
        )
        return subject, {digest for _, _, digest in identities}
    subject = ctx.store.get(found)
    known = {pd.text() for pd in subject.identity_hashes}
    for kind, normalised, digest in identities:
        if digest not in known:
            subject.add_identity(
                identity=PersonalData(found, "identity", f"{kind}:{normalised}"),
                identity_hash=PersonalData(found, "identity_hash", digest),
            )
            known.add(digest)
    return subject, known


def _open_case(
    ctx: Context,
    workspace_id: UUID,
    inbox: Any,
    dialog: ImportedDialog,
    subject: DataSubject,
    thread_hash: str,
) -> Case:
    case_id = uuid4()
    profile_owner = case_profile_owner(case_id)
    profile = {}
    if dialog.subject.identities:
        kind, value = dialog.subject.identities[0]
        profile["identity"] = PersonalData(profile_owner, "identity", f"{kind}:{value}")
    if dialog.subject.name:
        profile["name"] = PersonalData(profile_owner, "name", dialog.subject.name)
    first_sent = next((m.sent_at for m in dialog.messages if m.sent_at), None)
    return Case(
        aggregate_id=case_id,
        workspace_id=workspace_id,
        inbox_id=inbox.inbox_id,
        channel=dialog.channel if dialog.channel else inbox.channel,
        subject_id=subject.id,
        thread_hash=thread_hash,
        profile=profile,
        opened_at=first_sent or ctx.clock.now(),
    )


def _receive(
    ctx: Context,
    case: Case,
    message: ImportedMessage,
    message_id: UUID,
    external_hash: str,
    subject_digests: set[str],
) -> None:
    inbound = message.direction == Direction.INBOUND
    author_owner = case_profile_owner(case.id) if inbound else case.content_owner
    author = message.author
    if message.author_address:
        author = f"{message.author} <{message.author_address}>"
    from_subject = bool(subject_digests)
    if inbound and message.author_address:
        kind = identity_kind(message.author_address, case.channel)
        digest = ctx.hasher.digest(kind, message.author_address)
        from_subject = digest in subject_digests
    case.receive_message(
        message_id=message_id,
        direction=Direction.INBOUND.value if inbound else Direction.OUTBOUND.value,
        author=PersonalData(author_owner, "author", author),
        subject_line=PersonalData(case.content_owner, "subject_line", message.subject)
        if message.subject
        else None,
        body=PersonalData(case.content_owner, "body", message.body),
        attachments=[
            _attachment(
                case.content_owner,
                attachment.filename,
                attachment.content_type,
                attachment.content,
            )
            for attachment in message.attachments
        ],
        external_id_hash=external_hash,
        sent_at=message.sent_at or ctx.clock.now(),
        from_subject=from_subject,
    )
    if message.form is not None:
        # Issue 5: a web-form submission keeps its fields, each value under a key
        # of its own, in the same transaction as the message.
        case.record_form_fields(
            message_id=message_id,
            form_id=message.form.form_id,
            form_version=message.form.form_version,
            fields=[
                sealed_form_value(
                    case.id, message_id, v.name, v.label, v.sensitive, v.value
                )
                for v in message.form.values
            ],
        )


def _attachment(
    owner: UUID, filename: str, content_type: str, content: bytes
) -> dict[str, Any]:
    return {
        "filename": PersonalData(owner, "attachment_name", filename),
        "content_type": content_type,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "content": PersonalData(owner, "attachment", content),
    }


# Reads


def list_cases(
    ctx: Context,
    workspace_id: UUID,
    *,
    inbox_id: UUID | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[CaseSummary]:
    """Lists cases without their content: not a read of personal data."""
    if inbox_id is not None:
        require_inbox(ctx, workspace_id, inbox_id)
    return ctx.views.cases(
        workspace_id, inbox_id=inbox_id, status=status, limit=limit, offset=offset
    )


def open_case(ctx: Context, case_id: UUID, reader: ReadContext) -> CaseView:
    """Shows a case's content, after its `CaseRead` record is durable.

    Raises NotFoundError for unknown cases and cases of other workspaces, and
    AuditWriteError (nothing shown) when the read cannot be recorded.
    """
    summary = require_case(ctx, reader.actor.workspace_id, case_id)
    record_read(ctx, summary, reader)
    return case_view(ctx.store.get(case_id))


def record_read(ctx: Context, summary: CaseSummary, reader: ReadContext) -> None:
    now = ctx.clock.now()
    period_owner = log_period_owner(summary.workspace_id, now)
    access = CaseAccess(
        aggregate_id=uuid4(),
        workspace_id=summary.workspace_id,
        case_id=summary.case_id,
        subject_id=summary.subject_id,
        actor_id=reader.actor.user_id,
        purpose=plain_text(reader.purpose),
        client_address=PersonalData(
            period_owner, "client_address", reader.client_address
        )
        if reader.client_address
        else None,
        country=reader.country,
        read_at=now,
    )
    ctx.reads.submit(access)


def case_view(case: Case) -> CaseView:
    return CaseView(
        case_id=case.id,
        workspace_id=case.workspace_id,
        inbox_id=case.inbox_id,
        channel=case.channel,
        status=case.status,
        subject_id=case.subject_id,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        assignee_id=case.assignee_id,
        profile={key: value.text() for key, value in case.profile.items()},
        tags=tuple(case.tags) + tuple(tag.text() for tag in case.personal_tags),
        sensitive=case.sensitive,
        categories=tuple(case.categories),
        flag_source=case.flag_source,
        flag_rules=tuple(case.flag_rules),
        flag_reason=case.flag_reason,
        messages=tuple(_message_view(message) for message in case.messages),
    )


def _message_view(message: dict[str, Any]) -> MessageView:
    subject_line: PersonalData | None = message["subject_line"]
    return MessageView(
        message_id=message["message_id"],
        direction=message["direction"],
        author=message["author"].text(),
        subject_line=None if subject_line is None else subject_line.text(),
        body=message["body"].text(),
        sent_at=message["sent_at"],
        attachments=tuple(
            AttachmentView(
                index=index,
                filename=attachment["filename"].text(),
                content_type=attachment["content_type"],
                size=attachment["size"],
                sha256=attachment["sha256"],
            )
            for index, attachment in enumerate(message["attachments"])
        ),
    )


def attachment_content(
    ctx: Context, case_id: UUID, message_id: UUID, index: int, reader: ReadContext
) -> tuple[AttachmentView, bytes | None]:
    """One attachment's bytes, as an audited read of its case."""
    summary = require_case(ctx, reader.actor.workspace_id, case_id)
    case: Case = ctx.store.get(case_id)
    message = next((m for m in case.messages if m["message_id"] == message_id), None)
    if message is None or not 0 <= index < len(message["attachments"]):
        raise NotFoundError("attachment", f"{message_id}/{index}")
    record_read(
        ctx,
        summary,
        ReadContext(
            reader.actor,
            f"{reader.purpose} (attachment)",
            reader.client_address,
            reader.country,
        ),
    )
    view = _message_view(message).attachments[index]
    return view, message["attachments"][index]["content"].content()


# Commands


def assign_case(
    ctx: Context,
    actor: UserRecord,
    case_id: UUID,
    assignee_id: UUID,
    legal_basis: AccessConfirmation | None = None,
) -> None:
    """Assigns the case; a user new to it needs a legal basis (422 without), and
    only agents and administrators work cases (auditors read the log only)."""
    assignee = require_user(ctx, actor.workspace_id, assignee_id)
    if assignee.role == Role.AUDITOR.value:
        raise InvalidInputError("an auditor cannot be assigned a case")
    case = load_for_change(ctx, actor.workspace_id, case_id)
    basis = _case_basis(ctx, actor, case_id, assignee_id, legal_basis, "assigning")
    case.assign(assignee_id=assignee_id, actor_id=actor.user_id)
    save_change(ctx, case, *basis)


def _case_basis(
    ctx: Context,
    actor: UserRecord,
    case_id: UUID,
    grantee_id: UUID,
    confirmation: AccessConfirmation | None,
    verb: str,
) -> list[LegalBasis]:
    if has_case_access_basis(ctx, grantee_id, case_id):
        return []
    return [
        confirm(
            ctx,
            confirmation,
            workspace_id=actor.workspace_id,
            grantor_id=actor.user_id,
            grantee_id=grantee_id,
            scope=LegalBasisScope.CASE,
            what=f"{verb} a case to a user who never had access to it",
            case_id=case_id,
        )
    ]


def forward_case(
    ctx: Context,
    actor: UserRecord,
    case_id: UUID,
    *,
    recipient_id: UUID | None = None,
    recipient_address: str | None = None,
    legal_basis: AccessConfirmation | None = None,
) -> None:
    """Forwards to a user or an address; a user new to the case needs a legal
    basis (422 without)."""
    if recipient_id is None and not recipient_address:
        raise ConflictError("forwarding needs a recipient user or address")
    if recipient_id is not None:
        require_user(ctx, actor.workspace_id, recipient_id)
    case = load_for_change(ctx, actor.workspace_id, case_id)
    basis = (
        []
        if recipient_id is None
        else _case_basis(ctx, actor, case_id, recipient_id, legal_basis, "forwarding")
    )
    recipient = (
        PersonalData(case.content_owner, "forward_recipient", recipient_address)
        if recipient_address
        else None
    )
    case.forward(recipient_id=recipient_id, recipient=recipient, actor_id=actor.user_id)
    save_change(ctx, case, *basis)


def tag_case(
    ctx: Context,
    actor: UserRecord,
    case_id: UUID,
    tags: list[str],
    personal_tags: list[str],
) -> None:
    case = load_for_change(ctx, actor.workspace_id, case_id)
    case.tag(
        tags=plain_texts(tags),
        personal_tags=[
            PersonalData(case.content_owner, "tag", t) for t in personal_tags
        ],
        actor_id=actor.user_id,
    )
    save_change(ctx, case)


def close_case(ctx: Context, actor: UserRecord, case_id: UUID) -> None:
    case = load_for_change(ctx, actor.workspace_id, case_id)
    try:
        case.close(actor_id=actor.user_id, at=ctx.clock.now())
    except DomainError as error:
        raise ConflictError(str(error)) from error
    save_change(ctx, case)


def reopen_case(ctx: Context, actor: UserRecord, case_id: UUID) -> None:
    case = load_for_change(ctx, actor.workspace_id, case_id)
    try:
        case.reopen(actor_id=actor.user_id, at=ctx.clock.now())
    except DomainError as error:
        raise ConflictError(str(error)) from error
    save_change(ctx, case)
