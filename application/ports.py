"""Ports the application owns; infrastructure implements them.

Every port is a small abstract class. Adapters subclass it, so a fake cannot drift
from the contract. Value objects that cross a port live here too.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from uuid import UUID

from domain.sensitivity import Finding


class SensitivityDetector(abc.ABC):
    """Finds personal and special-category data in free text.

    `scan` never raises on any input (empty, binary junk, megabytes) and runs in
    time linear in the length of the text.
    """

    @abc.abstractmethod
    def scan(self, text: str) -> list[Finding]: ...


@dataclass(frozen=True)
class ImportedAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class ImportedMessage:
    """One message of a dialog, as read from a source format."""

    external_id: str
    direction: str  # "inbound" (from the customer) or "outbound" (from an agent)
    author: str  # display name or handle of whoever wrote it
    author_address: str | None  # e-mail address or handle, when the format has one
    body: str
    sent_at: dt.datetime | None = None
    subject: str | None = None
    attachments: tuple[ImportedAttachment, ...] = ()
    in_reply_to: str | None = None  # external_id of the message it answers
    references: tuple[str, ...] = ()
    form: ImportedForm | None = None  # a web-form submission's fields (issue 5)


@dataclass(frozen=True)
class ImportedSubject:
    """The customer behind a dialog, with whatever the source knows of them."""

    identities: tuple[tuple[str, str], ...]  # (kind, value): ("email", "a@b.no")
    name: str | None = None
    details: dict[str, str] = field(default_factory=dict)  # phone, address, ...


@dataclass(frozen=True)
class ImportedDialog:
    """A whole thread: becomes one case, written atomically."""

    thread_key: str  # stable id of the thread within its source
    channel: str  # email, facebook, twitter, instagram, youtube, chat, webform
    subject: ImportedSubject
    messages: tuple[ImportedMessage, ...]
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportProblem:
    """A record that could not be read: where it is and why, never its content."""

    position: str  # e.g. "message 17" or "line 204"
    reason: str


ImportItem = ImportedDialog | ImportProblem


class DialogSource(abc.ABC):
    """Reads one source format and yields dialogs or problems, never raising on
    a bad record: it reports the record's position and goes on."""

    name: str  # "mbox", "tweetsumm", "star", "abcd"

    @abc.abstractmethod
    def read(self, path: str) -> Iterator[ImportItem]: ...

    def estimate(self, path: str) -> int | None:
        """How many items `read` will yield, for a progress bar; None if unknown."""
        return None


class Clock(abc.ABC):
    @abc.abstractmethod
    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""


class IdentifierHasher(abc.ABC):
    """Keyed blind index: the same normalised identifier always gives the same
    digest, and no table ever holds the identifier itself."""

    @abc.abstractmethod
    def digest(self, kind: str, value: str) -> str: ...

    @abc.abstractmethod
    def normalise(self, kind: str, value: str) -> str: ...


@dataclass(frozen=True)
class CaseSummary:
    case_id: UUID
    workspace_id: UUID
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
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    anonymised_mode: str | None = None  # "sensitive" or "profile" (issue 5)


@dataclass(frozen=True)
class AccessLogEntry:
    entry_id: int
    workspace_id: UUID
    action: str
    case_id: UUID | None
    subject_id: UUID | None
    actor_id: UUID | None
    purpose: str
    client_address: str | None  # opened from its seal, or the erased marker
    country: str | None
    occurred_at: dt.datetime


@dataclass(frozen=True)
class AccessLogFilter:
    workspace_id: UUID
    case_id: UUID | None = None
    subject_id: UUID | None = None
    actor_id: UUID | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    after_entry: int = 0  # keyset pagination: entries with a larger id
    limit: int = 100


@dataclass(frozen=True)
class UserRecord:
    user_id: UUID
    workspace_id: UUID
    role: str
    active: bool


@dataclass(frozen=True)
class InboxRecord:
    inbox_id: UUID
    workspace_id: UUID
    name: str
    channel: str


@dataclass(frozen=True)
class WorkspaceRecord:
    workspace_id: UUID
    name: str
    is_test: bool
    created_at: dt.datetime


class ReadModels(abc.ABC):
    """Projections over the event store, and the lookups commands need.

    `catch_up` applies every event not yet projected, each exactly once, and
    returns how many it applied; every query sees what was caught up.
    """

    @abc.abstractmethod
    def catch_up(self) -> int: ...

    @abc.abstractmethod
    def workspace(self, workspace_id: UUID) -> WorkspaceRecord | None: ...

    @abc.abstractmethod
    def workspaces(self) -> list[WorkspaceRecord]: ...

    @abc.abstractmethod
    def inbox(self, inbox_id: UUID) -> InboxRecord | None: ...

    @abc.abstractmethod
    def inboxes(self, workspace_id: UUID) -> list[InboxRecord]: ...

    @abc.abstractmethod
    def user(self, user_id: UUID) -> UserRecord | None: ...

    @abc.abstractmethod
    def user_by_token_hash(self, token_hash: str) -> UserRecord | None: ...

    @abc.abstractmethod
    def subject_by_digest(self, workspace_id: UUID, digest: str) -> UUID | None: ...

    @abc.abstractmethod
    def open_case_for_thread(
        self, workspace_id: UUID, inbox_id: UUID, thread_hash: str
    ) -> UUID | None: ...

    @abc.abstractmethod
    def case_summary(self, case_id: UUID) -> CaseSummary | None: ...

    @abc.abstractmethod
    def cases(
        self,
        workspace_id: UUID,
        *,
        inbox_id: UUID | None = None,
        status: str | None = None,
        subject_id: UUID | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[CaseSummary]: ...

    @abc.abstractmethod
    def access_log(self, query: AccessLogFilter) -> list[AccessLogEntry]: ...

    @abc.abstractmethod
    def blind_index_rows(self, subject_id: UUID) -> int: ...


class KeyShredder(abc.ABC):
    """Destroys data keys for good; what was sealed under them becomes noise."""

    @abc.abstractmethod
    def shred(self, owner_ids: list[UUID]) -> int: ...

    @abc.abstractmethod
    def count_keys(self, owner_ids: list[UUID]) -> int: ...


@dataclass(frozen=True)
class ErasureRecord:
    """One erasure, as kept outside the database's backups. No personal data."""

    erased_at: dt.datetime
    workspace_id: UUID
    subject_id: UUID
    owner_ids: tuple[UUID, ...]
    reason: str
    request_ref: str


class ErasureLedger(abc.ABC):
    """Append-only record of erasures that outlives database restores."""

    @abc.abstractmethod
    def append(self, record: ErasureRecord) -> None: ...

    @abc.abstractmethod
    def records(self) -> Iterator[ErasureRecord]: ...


# Anonymisation and forms (issue 5)


@dataclass(frozen=True)
class ImportedFormValue:
    """One submitted form field that has no role: kept with its structure."""

    name: str
    label: str
    sensitive: bool
    value: str


@dataclass(frozen=True)
class ImportedForm:
    form_id: UUID
    form_version: int
    values: tuple[ImportedFormValue, ...]


@dataclass(frozen=True)
class Redaction:
    """A text with personal data replaced by typed placeholders (`<PERSON>`)."""

    text: str
    replaced: dict[str, int]  # placeholders inserted, by category


class Redactor(abc.ABC):
    """Replaces every piece of personal data the detector finds, and every
    occurrence of the `known` values (value → category), by typed placeholders.

    Never raises on any text; the result never contains a found or known value.
    """

    @abc.abstractmethod
    def redact(self, text: str, known: dict[str, str] | None = None) -> Redaction: ...


@dataclass(frozen=True)
class FormRecord:
    form_id: UUID
    workspace_id: UUID
    inbox_id: UUID
    name: str
    version: int
    fields: tuple[dict[str, object], ...]
    changed_at: dt.datetime


@dataclass(frozen=True)
class AnonymisationRecord:
    """What anonymisation left for statistics: counts and lengths, no content."""

    case_id: UUID
    workspace_id: UUID
    mode: str
    reason: str
    actor_id: UUID | None
    job_id: UUID | None
    anonymised_at: dt.datetime
    messages: int
    characters_before: int
    characters_after: int
    redactions: int
    attachments_removed: int
    fields_removed: int
    personal_tags_removed: int


@dataclass(frozen=True)
class JobRecord:
    job_id: UUID
    workspace_id: UUID
    status: str
    total: int
    anonymised: int
    skipped: int
    started_at: dt.datetime
    finished_at: dt.datetime | None


class AnonymisationViews(abc.ABC):
    """Projections of anonymisations, forms and bulk jobs."""

    @abc.abstractmethod
    def forms(self, workspace_id: UUID) -> list[FormRecord]: ...

    @abc.abstractmethod
    def anonymisations(
        self, workspace_id: UUID, *, limit: int = 100, offset: int = 0
    ) -> list[AnonymisationRecord]: ...

    @abc.abstractmethod
    def anonymisation(self, case_id: UUID) -> AnonymisationRecord | None: ...

    @abc.abstractmethod
    def job(self, job_id: UUID) -> JobRecord | None: ...


# Access requests (issue 6): sending proof codes, and data held outside gdprkit.


class EmailSender(abc.ABC):
    """Sends one plain-text e-mail. Raises DeliveryError when the server refuses
    it or cannot be reached, so the caller can tell the person to try again."""

    @abc.abstractmethod
    def send(self, to: str, subject: str, body: str) -> None: ...


class ChannelConnector(abc.ABC):
    """Delivers a short direct message to an account on a social channel
    (facebook, twitter, instagram, youtube). Raises DeliveryError on failure."""

    kind: str

    @abc.abstractmethod
    def send_direct_message(self, handle: str, text: str) -> None: ...


class DeliveryError(Exception):
    """A message could not be delivered; says which channel, never the text."""

    def __init__(self, channel: str, reason: str) -> None:
        self.channel = channel
        self.reason = reason
        super().__init__(f"{channel}: {reason}")


@dataclass(frozen=True)
class ExternalRecord:
    """One record another system holds about the person, for the access file."""

    source: str  # the system's name, e.g. "ServiceNow"
    category: str  # e.g. "incident", "contact"
    label: str  # a heading for people: "Incident INC0010023"
    fields: tuple[tuple[str, str], ...]  # (field label, value) in display order
    occurred_at: dt.datetime | None = None


class ExternalSource(abc.ABC):
    """A registered outside system that can hold the person's data.

    `records_for` gets the proven identities as (kind, value) pairs and yields
    what it holds; it raises nothing for "no data" (it yields nothing) and raises
    DeliveryError when the system cannot be reached, which the access file then
    lists as a gap instead of pretending the system had nothing.
    """

    name: str

    @abc.abstractmethod
    def records_for(
        self, workspace_id: UUID, identities: list[tuple[str, str]]
    ) -> Iterator[ExternalRecord]: ...
