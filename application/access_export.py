"""Gathering one person's data for an access request, as a stream.

Cases are loaded one at a time and handed to the writer, which renders them as it
goes: memory stays flat in the number of cases and messages. Every case is read
for a purpose ("access request <id>") and that read is recorded before any of its
content reaches the writer.
"""

from __future__ import annotations

import abc
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from application.context import Context
from application.ports import (
    AccessLogFilter,
    CaseSummary,
    DeliveryError,
    ExternalRecord,
    ExternalSource,
)
from domain.model import Case, CaseAccess, DataSubject, identity_kind
from domain.personal_data import ERASED_MARKER, PersonalData

ERASED = ERASED_MARKER
_ADDRESS = re.compile(r"<([^<>]+)>\s*$")
_KNOWN_CASE_FIELDS = frozenset(
    {"profile", "messages", "personal_tags", "tags", "external_ids"}
)
_KNOWN_MESSAGE_FIELDS = frozenset(
    {
        "message_id",
        "direction",
        "author",
        "subject_line",
        "body",
        "attachments",
        "sent_at",
    }
)


@dataclass(frozen=True)
class ExportIdentity:
    kind: str
    value: str
    proven: bool


@dataclass(frozen=True)
class ExportAttachment:
    filename: str
    content_type: str
    size: int
    sha256: str
    content: bytes | None  # None when erased


@dataclass(frozen=True)
class ExportMessage:
    message_id: UUID
    direction: str
    author: str
    subject_line: str | None
    body: str
    sent_at: dt.datetime
    attachments: tuple[ExportAttachment, ...]
    # Form answers and any other recorded fields, with their labels.
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ExportCase:
    case_id: UUID
    inbox_name: str
    channel: str
    status: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    role: str  # "subject" (the case is about the person) or "author"
    erased: bool  # the case's content key is gone: listed, never silently missing
    profile: tuple[tuple[str, str], ...]
    tags: tuple[str, ...]
    messages: tuple[ExportMessage, ...]
    withheld_messages: int  # other people's messages in a case they only wrote in
    other_fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ExportProfile:
    subject_id: UUID
    erased: bool
    name: str | None
    identities: tuple[str, ...]
    details: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ExportLogEntry:
    occurred_at: dt.datetime
    action: str
    actor: str
    purpose: str
    country: str | None


@dataclass(frozen=True)
class ExportHeader:
    request_id: UUID
    export_id: UUID
    workspace_name: str
    language: str
    generated_at: dt.datetime
    submitted_at: dt.datetime
    identities: tuple[ExportIdentity, ...]


@dataclass
class ExportTotals:
    """Filled by gathering as it goes; read after the writer has finished."""

    cases: int = 0
    messages_per_channel: dict[str, int] = field(default_factory=dict)
    attachments: int = 0
    external_records: int = 0
    source_gaps: list[str] = field(default_factory=list)
    subject_ids: list[UUID] = field(default_factory=list)


@dataclass(frozen=True)
class ExportContent:
    """Everything the file holds. Iterators are consumed once, in this order:
    profiles, cases, access_log, external."""

    header: ExportHeader
    profiles: Iterator[ExportProfile]
    cases: Iterator[ExportCase]
    access_log: Iterator[ExportLogEntry]
    external: Iterator[ExternalRecord]
    totals: ExportTotals


@dataclass(frozen=True)
class WrittenExport:
    path: str  # the encrypted archive on local disk, removed by the caller
    size: int
    sha256: str


class ExportWriter(abc.ABC):
    """Renders an export (HTML, PDF, JSON and attachments) into one archive
    encrypted with `password`. Raises nothing on odd content: HTML in messages
    is escaped, forged or oversized attachments are listed, not embedded."""

    @abc.abstractmethod
    def write(self, content: ExportContent, password: str) -> WrittenExport: ...


def gather(
    ctx: Context,
    header: ExportHeader,
    *,
    digests: set[str],
    author_cases: list[UUID],
    actor_id: UUID,
    external_sources: list[ExternalSource],
    external_identities: list[tuple[str, str]],
) -> ExportContent:
    """Finds the person's subjects and cases and records the reads up front.

    Raises nothing when the person has no data: the file then says so.
    """
    workspace_id = _workspace_of(ctx, header)
    subject_ids = subjects_for(ctx, workspace_id, digests)
    summaries: dict[UUID, tuple[CaseSummary, str]] = {}
    for subject_id in subject_ids:
        for summary in _all_cases(ctx, workspace_id, subject_id):
            summaries[summary.case_id] = (summary, "subject")
    for case_id in author_cases:
        found = ctx.views.case_summary(case_id)
        if found is not None and found.workspace_id == workspace_id:
            summaries.setdefault(case_id, (found, "author"))
    purpose = f"access request {header.request_id}"
    _record_reads(ctx, [s for s, _ in summaries.values()], actor_id, purpose)
    totals = ExportTotals(subject_ids=list(subject_ids))
    inbox_names = {i.inbox_id: i.name for i in ctx.views.inboxes(workspace_id)}
    ordered = sorted(summaries.values(), key=lambda item: item[0].opened_at)
    return ExportContent(
        header=header,
        profiles=(_profile(ctx, subject_id) for subject_id in subject_ids),
        cases=_cases(ctx, ordered, inbox_names, digests, totals),
        access_log=_log(ctx, workspace_id, subject_ids, header.request_id),
        external=_external(workspace_id, external_sources, external_identities, totals),
        totals=totals,
    )


def subjects_for(ctx: Context, workspace_id: UUID, digests: set[str]) -> list[UUID]:
    found = {ctx.views.subject_by_digest(workspace_id, digest) for digest in digests}
    return sorted((s for s in found if s is not None), key=str)


def _workspace_of(ctx: Context, header: ExportHeader) -> UUID:
    request = ctx.store.get(header.request_id)
    workspace_id: UUID = request.workspace_id
    return workspace_id


def _all_cases(
    ctx: Context, workspace_id: UUID, subject_id: UUID
) -> Iterator[CaseSummary]:
    page, offset = 500, 0
    while True:
        batch = ctx.views.cases(
            workspace_id, subject_id=subject_id, limit=page, offset=offset
        )
        yield from batch
        if len(batch) < page:
            return
        offset += page


def _record_reads(
    ctx: Context, summaries: list[CaseSummary], actor_id: UUID, purpose: str
) -> None:
    """One CaseRead per case, all durable before the first case is opened."""
    now = ctx.clock.now()
    accesses = [
        CaseAccess(
            aggregate_id=uuid4(),
            workspace_id=summary.workspace_id,
            case_id=summary.case_id,
            subject_id=summary.subject_id,
            actor_id=actor_id,
            purpose=purpose,
            client_address=None,
            country=None,
            read_at=now,
        )
        for summary in summaries
    ]
    for start in range(0, len(accesses), 500):
        ctx.store.save(*accesses[start : start + 500])
    # The file's own access log then shows these reads too.
    ctx.views.catch_up()


def _profile(ctx: Context, subject_id: UUID) -> ExportProfile:
    subject: DataSubject = ctx.store.get(subject_id)
    return ExportProfile(
        subject_id=subject_id,
        erased=subject.erased,
        name=None if subject.name is None else subject.name.text(),
        identities=tuple(identity.text() for identity in subject.identities),
        details=tuple(
            (key, value.text()) for key, value in sorted(subject.details.items())
        ),
    )


def _cases(
    ctx: Context,
    ordered: list[tuple[CaseSummary, str]],
    inbox_names: dict[UUID, str],
    digests: set[str],
    totals: ExportTotals,
) -> Iterator[ExportCase]:
    for summary, role in ordered:
        case: Case = ctx.store.get(summary.case_id)
        exported = _case(ctx, case, role, inbox_names, digests)
        totals.cases += 1
        totals.messages_per_channel[case.channel] = totals.messages_per_channel.get(
            case.channel, 0
        ) + len(exported.messages)
        totals.attachments += sum(len(m.attachments) for m in exported.messages)
        yield exported


def _case(
    ctx: Context,
    case: Case,
    role: str,
    inbox_names: dict[UUID, str],
    digests: set[str],
) -> ExportCase:
    messages = []
    withheld = 0
    for message in case.messages:
        if role == "author" and not _written_by(ctx, message, case.channel, digests):
            withheld += 1
            continue
        messages.append(_message(message))
    return ExportCase(
        case_id=case.id,
        inbox_name=inbox_names.get(case.inbox_id, str(case.inbox_id)),
        channel=case.channel,
        status=case.status,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        role=role,
        erased=case.content_shredded,
        profile=tuple((k, v.text()) for k, v in sorted(case.profile.items()))
        if role == "subject"
        else (),
        tags=tuple(case.tags) + tuple(t.text() for t in case.personal_tags),
        messages=tuple(messages),
        withheld_messages=withheld,
        other_fields=_recorded_fields(vars(case), _KNOWN_CASE_FIELDS),
    )


def author_address(author: str) -> str | None:
    match = _ADDRESS.search(author)
    return match.group(1).strip() if match else None


def author_digest(ctx: Context, author: str, channel: str) -> str | None:
    address = author_address(author)
    if not address:
        return None
    kind = identity_kind(address, channel)
    return ctx.hasher.digest(kind, address)


def _written_by(
    ctx: Context, message: dict[str, Any], channel: str, digests: set[str]
) -> bool:
    return author_digest(ctx, message["author"].text(), channel) in digests


def _message(message: dict[str, Any]) -> ExportMessage:
    subject_line: PersonalData | None = message["subject_line"]
    return ExportMessage(
        message_id=message["message_id"],
        direction=message["direction"],
        author=message["author"].text(),
        subject_line=None if subject_line is None else subject_line.text(),
        body=message["body"].text(),
        sent_at=message["sent_at"],
        attachments=tuple(
            ExportAttachment(
                filename=a["filename"].text(),
                content_type=a["content_type"],
                size=a["size"],
                sha256=a["sha256"],
                content=a["content"].content(),
            )
            for a in message["attachments"]
        ),
        fields=_recorded_fields(message, _KNOWN_MESSAGE_FIELDS),
    )


def _recorded_fields(
    values: dict[str, Any], known: frozenset[str]
) -> tuple[tuple[str, str], ...]:
    """Personal values stored beside the known ones (form answers, fields other
    capabilities add), with their labels: new kinds of data reach the file without
    this module knowing them."""
    found: list[tuple[str, str]] = []
    for key, value in values.items():
        if key in known or key.startswith("_"):
            continue
        found.extend(_labelled(key, value))
    return tuple(found)


def _labelled(label: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, PersonalData):
        return [(label, value.text())]
    if isinstance(value, dict):
        if "label" in value and "value" in value:
            inner = value["value"]
            text = inner.text() if isinstance(inner, PersonalData) else str(inner)
            return [(str(value["label"]), text)]
        return [
            pair
            for key, inner in value.items()
            for pair in _labelled(f"{label} / {key}", inner)
        ]
    if isinstance(value, list | tuple):
        return [pair for inner in value for pair in _labelled(label, inner)]
    return []


def _log(
    ctx: Context, workspace_id: UUID, subject_ids: list[UUID], request_id: UUID
) -> Iterator[ExportLogEntry]:
    for subject_id in subject_ids:
        after = 0
        while True:
            entries = ctx.views.access_log(
                AccessLogFilter(
                    workspace_id, subject_id=subject_id, after_entry=after, limit=1000
                )
            )
            for entry in entries:
                yield ExportLogEntry(
                    occurred_at=entry.occurred_at,
                    action=entry.action,
                    actor="system" if entry.actor_id is None else str(entry.actor_id),
                    purpose=entry.purpose,
                    country=entry.country,
                )
            if len(entries) < 1000:
                break
            after = entries[-1].entry_id


def _external(
    workspace_id: UUID,
    sources: list[ExternalSource],
    identities: list[tuple[str, str]],
    totals: ExportTotals,
) -> Iterator[ExternalRecord]:
    for source in sources:
        try:
            for record in source.records_for(workspace_id, identities):
                totals.external_records += 1
                yield record
        except DeliveryError as error:
            totals.source_gaps.append(f"{source.name}: {error.reason}")
