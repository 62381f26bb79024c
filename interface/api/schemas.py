"""Request and response bodies. Unknown fields are refused, not ignored."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

ChannelName = Literal[
    "email", "facebook", "twitter", "instagram", "youtube", "chat", "webform"
]
RoleName = Literal["administrator", "agent", "auditor"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # PostgreSQL text cannot hold U+0000: such a value would fail only in the
        # projection, after the event is stored, and stall every view behind it.
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("text must not contain NUL (U+0000)")
        return value


class WorkspaceCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    is_test: bool = False
    admin_name: str = Field(min_length=1, max_length=200)
    admin_email: str = Field(min_length=3, max_length=320)


class WorkspaceCreated(BaseModel):
    workspace_id: UUID
    admin_user_id: UUID
    admin_token: str


class InboxCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    channel: ChannelName


class InboxOut(BaseModel):
    inbox_id: UUID
    name: str
    channel: str


class LegalBasisIn(Strict):
    """The acting user's confirmation that the access is needed (issue 7.3)."""

    confirmed: Literal[True]
    purpose: str = Field(min_length=10, max_length=200)


class UserCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)
    role: RoleName
    legal_basis: LegalBasisIn | None = None


class UserCreated(BaseModel):
    user_id: UUID
    token: str


class Identity(Strict):
    kind: Literal[
        "email",
        "phone",
        "facebook",
        "twitter",
        "instagram",
        "youtube",
        "chat",
        "webform",
    ]
    value: str = Field(min_length=1, max_length=320)


class AttachmentIn(Strict):
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=3, max_length=127)
    content_base64: str

    @field_validator("content_base64")
    @classmethod
    def _is_base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("not valid base64") from None
        return value


class MessageIn(Strict):
    thread_key: str = Field(min_length=1, max_length=500)
    external_id: str = Field(min_length=1, max_length=500)
    direction: Literal["inbound", "outbound"] = "inbound"
    identities: list[Identity] = Field(min_length=1, max_length=20)
    customer_name: str | None = Field(default=None, max_length=200)
    author: str = Field(min_length=1, max_length=320)
    subject: str | None = Field(default=None, max_length=1000)
    body: str = Field(max_length=5_000_000)
    sent_at: dt.datetime | None = None
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=50)
    tags: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("sent_at")
    @classmethod
    def _naive_is_utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        # As for the access log's `since`: a time without offset means UTC, so
        # the stored case never mixes naive and aware times.
        return value.replace(tzinfo=dt.UTC) if value and not value.tzinfo else value


class IngestOut(BaseModel):
    case_id: UUID
    subject_id: UUID
    opened: bool
    messages_added: int
    flagged: list[str]


class CaseSummaryOut(BaseModel):
    case_id: UUID
    inbox_id: UUID
    channel: str
    subject_id: UUID | None
    status: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    last_activity_at: dt.datetime
    message_count: int
    assignee_id: UUID | None
    sensitive: bool
    categories: list[str]
    tags: list[str]


class AttachmentOut(BaseModel):
    index: int
    filename: str
    content_type: str
    size: int
    sha256: str


class MessageOut(BaseModel):
    message_id: UUID
    direction: str
    author: str
    subject: str | None
    body: str
    sent_at: dt.datetime
    attachments: list[AttachmentOut]


class CaseOut(BaseModel):
    case_id: UUID
    inbox_id: UUID
    channel: str
    status: str
    subject_id: UUID | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    assignee_id: UUID | None
    profile: dict[str, str]
    tags: list[str]
    sensitive: bool
    categories: list[str]
    flag_source: str | None
    flag_rules: list[str]
    flag_reason: str | None
    messages: list[MessageOut]


class Assign(Strict):
    assignee_id: UUID
    legal_basis: LegalBasisIn | None = None


class Forward(Strict):
    recipient_id: UUID | None = None
    recipient_address: str | None = Field(default=None, max_length=320)
    legal_basis: LegalBasisIn | None = None


class TagsIn(Strict):
    tags: list[str] = Field(default_factory=list, max_length=50)
    personal_tags: list[str] = Field(default_factory=list, max_length=50)


class ErasureIn(Strict):
    reason: str = Field(min_length=1, max_length=500)
    request_ref: str = Field(min_length=1, max_length=200)


class LegalHoldIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class StoreTouchedOut(BaseModel):
    store: str
    action: str
    count: int


class ErasureReceiptOut(BaseModel):
    subject_id: UUID
    request_ref: str
    erased_at: dt.datetime
    keys_destroyed: int
    cases_erased: list[UUID]
    cases_kept_shared: list[UUID]
    stores: list[StoreTouchedOut]


class SubjectLookupOut(BaseModel):
    subject_id: UUID


class AccessLogEntryOut(BaseModel):
    entry_id: int
    action: str
    case_id: UUID | None
    subject_id: UUID | None
    actor_id: UUID | None
    purpose: str
    client_address: str | None
    country: str | None
    occurred_at: dt.datetime


class AccessLogPage(BaseModel):
    entries: list[AccessLogEntryOut]
    next_after: int | None


class FlagIn(Strict):
    categories: list[str] = Field(min_length=1, max_length=20)
    reason: str = Field(min_length=1, max_length=500)


class UnflagIn(Strict):
    reason: str = Field(min_length=1, max_length=500)
