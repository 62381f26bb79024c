"""Workspaces, inboxes, users, data subjects and cases, as event-sourced aggregates.

Event names are past tense and double as the audit label. Personal values are always
`PersonalData`; ids, channels, roles, timestamps and flags stay in clear so that
statistics and the audit trail survive erasure.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.anonymisation import AnonymisationMode, CaseAnonymisedError
from domain.errors import (
    CaseAlreadyOpenError,
    CaseClosedError,
    CaseErasedError,
    InvalidChannelError,
    InvalidRoleError,
)
from domain.personal_data import PersonalData


class Channel(enum.StrEnum):
    EMAIL = "email"
    FACEBOOK = "facebook"
    TWITTER = "twitter"
    INSTAGRAM = "instagram"
    YOUTUBE = "youtube"
    CHAT = "chat"
    WEBFORM = "webform"

    @classmethod
    def parse(cls, value: str) -> Channel:
        try:
            return cls(value)
        except ValueError:
            raise InvalidChannelError(value) from None


class Role(enum.StrEnum):
    ADMINISTRATOR = "administrator"
    AGENT = "agent"
    AUDITOR = "auditor"

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls(value)
        except ValueError:
            raise InvalidRoleError(value) from None


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


# Owners of data keys other than aggregates themselves are derived, not random,
# so every process finds the same key without a lookup table.
_PROFILE_NAMESPACE = UUID("5f0c7d4e-7a43-4c0e-9a49-3d0f6f1b2a10")
_LOG_PERIOD_NAMESPACE = UUID("0b8f8a7e-4c1d-4c7b-8f3e-2a6d9c5e1f44")


def case_profile_owner(case_id: UUID) -> UUID:
    """The key owner for the customer's profile as copied onto one case."""
    return uuid5(_PROFILE_NAMESPACE, str(case_id))


def log_period_owner(workspace_id: UUID, at: dt.datetime) -> UUID:
    """The key owner for one workspace's access-log entries of one month."""
    return uuid5(_LOG_PERIOD_NAMESPACE, f"{workspace_id}/{at:%Y-%m}")


def log_period_label(at: dt.datetime) -> str:
    return f"{at:%Y-%m}"


class _Identified(Aggregate):
    """Aggregates whose id is chosen by the caller: the id also owns a data key."""

    @staticmethod
    def create_id(aggregate_id: UUID, **_: Any) -> UUID:
        return aggregate_id


class Workspace(_Identified):
    @event("Created")
    def __init__(
        self, aggregate_id: UUID, name: str, is_test: bool, created_at: dt.datetime
    ) -> None:
        self.name = name
        self.is_test = is_test
        self.created_at = created_at
        self.settings: dict[str, Any] = {}

    @event("SettingChanged")
    def change_setting(self, key: str, value: Any, actor_id: UUID | None) -> None:
        self.settings[key] = value


class Inbox(_Identified):
    @event("Created")
    def __init__(
        self, aggregate_id: UUID, workspace_id: UUID, name: str, channel: str
    ) -> None:
        self.workspace_id = workspace_id
        self.name = name
        self.channel = Channel.parse(channel).value


class User(_Identified):
    @event("Created")
    def __init__(
        self,
        aggregate_id: UUID,
        workspace_id: UUID,
        name: PersonalData,
        email: PersonalData,
        role: str,
        token_hash: str,
        created_by: UUID | None,
    ) -> None:
        self.workspace_id = workspace_id
        self.name = name
        self.email = email
        self.role = Role.parse(role).value
        self.token_hash = token_hash
        self.created_by = created_by
        self.active = True

    @event("TokenIssued")
    def issue_token(self, token_hash: str) -> None:
        self.token_hash = token_hash

    @event("RoleGranted")
    def grant_role(self, role: str, actor_id: UUID) -> None:
        self.role = Role.parse(role).value


class DataSubject(_Identified):
    """A customer, known by one or more channel identities."""

    @event("Registered")
    def __init__(
        self,
        aggregate_id: UUID,
        workspace_id: UUID,
        identities: list[PersonalData],
        identity_hashes: list[PersonalData],
        name: PersonalData | None,
        details: dict[str, PersonalData],
    ) -> None:
        # The blind-index digests are sealed too: once the subject is erased, a
        # rebuilt index cannot link them to their identifiers again.
        self.workspace_id = workspace_id
        self.identities = list(identities)
        self.identity_hashes = list(identity_hashes)
        self.name = name
        self.details = dict(details)
        self.erased = False
        self.legal_hold: str | None = None

    @event("IdentityAdded")
    def add_identity(self, identity: PersonalData, identity_hash: PersonalData) -> None:
        self.identities.append(identity)
        self.identity_hashes.append(identity_hash)

    @event("LegalHoldPlaced")
    def place_legal_hold(self, reason: str, actor_id: UUID | None) -> None:
        self.legal_hold = reason

    @event("LegalHoldReleased")
    def release_legal_hold(self, actor_id: UUID | None) -> None:
        self.legal_hold = None

    @event("ErasureRefused")
    def refuse_erasure(
        self, reason: str, request_ref: str, actor_id: UUID | None
    ) -> None:
        pass

    @event("Erased")
    def erase(
        self,
        workspace_id: UUID,
        reason: str,
        request_ref: str,
        shredded_owner_ids: list[UUID],
        actor_id: UUID | None,
    ) -> None:
        """Records the erasure: which keys went and why, never the data."""
        self.erased = True


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Case(_Identified):
    """One dialog with one customer in one inbox.

    Message content is sealed under the case's own key; the customer's profile as
    shown on the case under a separate profile key, so either can be shredded
    without the other.
    """

    @event("Opened")
    def __init__(
        self,
        aggregate_id: UUID,
        workspace_id: UUID,
        inbox_id: UUID,
        channel: str,
        subject_id: UUID | None,
        thread_hash: str,
        profile: dict[str, PersonalData],
        opened_at: dt.datetime,
    ) -> None:
        self.workspace_id = workspace_id
        self.inbox_id = inbox_id
        self.channel = Channel.parse(channel).value
        self.subject_id = subject_id
        self.thread_hash = thread_hash
        self.profile = dict(profile)
        self.opened_at = opened_at
        self.status = CaseStatus.OPEN.value
        self.closed_at: dt.datetime | None = None
        self.messages: list[dict[str, Any]] = []
        self.tags: list[str] = []
        self.personal_tags: list[PersonalData] = []
        self.assignee_id: UUID | None = None
        self.external_ids: set[str] = set()
        self.has_other_parties = False
        self.legal_hold: str | None = None
        self.content_shredded = False
        self.sensitive = False
        self.categories: list[str] = []
        self.flag_source: str | None = None
        self.flag_rules: list[str] = []
        self.flag_reason: str | None = None
        # Anonymisation (issue 5): submitted form fields by message id, and the
        # mode once the case is anonymised.
        self.form_fields: dict[UUID, list[dict[str, Any]]] = {}
        self.anonymisation_mode: str | None = None
        self.anonymisation_shredded: list[UUID] = []

    @property
    def content_owner(self) -> UUID:
        return self.id

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN.value

    def has_external_id(self, external_id_hash: str) -> bool:
        return external_id_hash in self.external_ids

    @event("MessageReceived")
    def receive_message(
        self,
        message_id: UUID,
        direction: str,
        author: PersonalData,
        subject_line: PersonalData | None,
        body: PersonalData,
        attachments: list[dict[str, Any]],
        external_id_hash: str | None,
        sent_at: dt.datetime,
        from_subject: bool = True,
    ) -> None:
        self._append_message(
            message_id, direction, author, subject_line, body, attachments, sent_at
        )
        if direction == Direction.INBOUND and not from_subject:
            self.has_other_parties = True
        if external_id_hash:
            self.external_ids.add(external_id_hash)
        if self.status == CaseStatus.CLOSED.value and direction == Direction.INBOUND:
            # A customer writing into a closed thread reopens it.
            self.status = CaseStatus.OPEN.value
            self.closed_at = None

    def send_reply(
        self,
        message_id: UUID,
        actor_id: UUID,
        body: PersonalData,
        attachments: list[dict[str, Any]],
        sent_at: dt.datetime,
    ) -> None:
        if not self.is_open:
            raise CaseClosedError(self.id)
        self._send_reply(message_id, actor_id, body, attachments, sent_at)

    @event("ReplySent")
    def _send_reply(
        self,
        message_id: UUID,
        actor_id: UUID,
        body: PersonalData,
        attachments: list[dict[str, Any]],
        sent_at: dt.datetime,
    ) -> None:
        author = PersonalData(self.content_owner, "author", str(actor_id))
        self._append_message(
            message_id, Direction.OUTBOUND, author, None, body, attachments, sent_at
        )

    def _append_message(
        self,
        message_id: UUID,
        direction: str,
        author: PersonalData,
        subject_line: PersonalData | None,
        body: PersonalData,
        attachments: list[dict[str, Any]],
        sent_at: dt.datetime,
    ) -> None:
        self.messages.append(
            {
                "message_id": message_id,
                "direction": direction,
                "author": author,
                "subject_line": subject_line,
                "body": body,
                "attachments": attachments,
                "sent_at": sent_at,
            }
        )

    @event("Assigned")
    def assign(self, assignee_id: UUID, actor_id: UUID) -> None:
        self.assignee_id = assignee_id

    @event("Forwarded")
    def forward(
        self, recipient_id: UUID | None, recipient: PersonalData | None, actor_id: UUID
    ) -> None:
        pass

    def close(self, actor_id: UUID, at: dt.datetime) -> None:
        if not self.is_open:
            raise CaseClosedError(self.id)
        self._close(actor_id, at)

    @event("Closed")
    def _close(self, actor_id: UUID, at: dt.datetime) -> None:
        self.status = CaseStatus.CLOSED.value
        self.closed_at = at

    def reopen(self, actor_id: UUID, at: dt.datetime) -> None:
        if self.content_shredded:
            raise CaseErasedError(self.id)
        if self.is_anonymised:
            raise CaseAnonymisedError(self.id)
        if self.is_open:
            raise CaseAlreadyOpenError(self.id)
        self._reopen(actor_id, at)

    @event("Reopened")
    def _reopen(self, actor_id: UUID, at: dt.datetime) -> None:
        self.status = CaseStatus.OPEN.value
        self.closed_at = None

    @event("Tagged")
    def tag(
        self, tags: list[str], personal_tags: list[PersonalData], actor_id: UUID | None
    ) -> None:
        for tag in tags:
            if tag not in self.tags:
                self.tags.append(tag)
        self.personal_tags.extend(personal_tags)

    @event("LegalHoldPlaced")
    def place_legal_hold(self, reason: str, actor_id: UUID | None) -> None:
        self.legal_hold = reason

    @event("LegalHoldReleased")
    def release_legal_hold(self, actor_id: UUID | None) -> None:
        self.legal_hold = None

    @event("Erased")
    def erase(
        self, reason: str, shredded_owner_ids: list[UUID], actor_id: UUID | None
    ) -> None:
        """The case's keys were destroyed as part of a subject's erasure.

        A case whose content key went is closed for good: a new message must open a
        new case rather than bring a destroyed key's owner back to life.
        """
        self.subject_id = None
        if self.content_owner in shredded_owner_ids:
            self.content_shredded = True
            self.status = CaseStatus.CLOSED.value

    @event("FlaggedSensitive")
    def flag_sensitive(
        self,
        categories: list[str],
        rules: list[str],
        source: str,
        reason: str | None,
        actor_id: UUID | None,
        message_ids: list[UUID],
    ) -> None:
        self.sensitive = True
        for category in categories:
            if category not in self.categories:
                self.categories.append(category)
        self.flag_rules = sorted(set(self.flag_rules) | set(rules))
        self.flag_source = source
        self.flag_reason = reason

    @event("Unflagged")
    def unflag(self, reason: str, source: str, actor_id: UUID | None) -> None:
        self.sensitive = False
        self.categories = []
        self.flag_rules = []
        self.flag_source = source
        self.flag_reason = reason

    # Anonymisation (issue 5)

    @property
    def is_anonymised(self) -> bool:
        return self.anonymisation_mode is not None

    @event("FormFieldsRecorded")
    def record_form_fields(
        self,
        message_id: UUID,
        form_id: UUID,
        form_version: int,
        fields: list[dict[str, Any]],
    ) -> None:
        self.form_fields[message_id] = list(fields)

    def anonymise(
        self,
        mode: str,
        reason: str,
        actor_id: UUID | None,
        at: dt.datetime,
        messages: list[dict[str, Any]],
        removed_fields: list[dict[str, Any]],
        counts: dict[str, int],
        shredded_owner_ids: list[UUID],
    ) -> None:
        if self.is_anonymised:
            raise CaseAnonymisedError(self.id)
        self._anonymise(
            mode=AnonymisationMode(mode).value,
            reason=reason,
            actor_id=actor_id,
            at=at,
            messages=messages,
            removed_fields=removed_fields,
            counts=counts,
            shredded_owner_ids=shredded_owner_ids,
        )

    @event("Anonymised")
    def _anonymise(
        self,
        mode: str,
        reason: str,
        actor_id: UUID | None,
        at: dt.datetime,
        messages: list[dict[str, Any]],
        removed_fields: list[dict[str, Any]],
        counts: dict[str, int],
        shredded_owner_ids: list[UUID],
    ) -> None:
        """Records what was removed and carries the redacted copy (sealed under
        its own owner); the original keys are shredded after it is stored."""
        self.anonymisation_mode = mode
        self.anonymisation_shredded = list(shredded_owner_ids)
        self.profile = {}
        self.subject_id = None
        if self.is_open:
            self.status = CaseStatus.CLOSED.value
            self.closed_at = at
        removed = {(r["message_id"], r["name"]) for r in removed_fields}
        for message_id, fields in self.form_fields.items():
            self.form_fields[message_id] = [
                f for f in fields if (message_id, f["name"]) not in removed
            ]
        if mode == AnonymisationMode.PROFILE:
            profile_owner = case_profile_owner(self.id)
            for message in self.messages:
                if message["author"].owner_id == profile_owner:
                    message["author"] = PersonalData.erased(profile_owner, "author")
            return
        redacted = {entry["message_id"]: entry for entry in messages}
        for message in self.messages:
            entry = redacted[message["message_id"]]
            message["author"] = entry["author"]
            message["subject_line"] = entry["subject_line"]
            message["body"] = entry["body"]
            message["attachments"] = []
            if message["message_id"] in self.form_fields:
                self.form_fields[message["message_id"]] = list(entry["fields"])
        self.personal_tags = []


class CaseAccess(_Identified):
    """One access to a case's content, in a stream of its own.

    Keeping reads off the case stream means a read never conflicts with an agent
    writing to the case, and a case read many times still loads as fast as a new
    one.
    """

    @event("CaseRead")
    def __init__(
        self,
        aggregate_id: UUID,
        workspace_id: UUID,
        case_id: UUID,
        subject_id: UUID | None,
        actor_id: UUID,
        purpose: str,
        client_address: PersonalData | None,
        country: str | None,
        read_at: dt.datetime,
    ) -> None:
        self.workspace_id = workspace_id
        self.case_id = case_id
        self.actor_id = actor_id


def identity_kind(address: str, channel: str) -> str:
    """The kind of identity an author address is: an e-mail address, or a handle
    on the case's channel. A handle written with its leading "@" is a handle."""
    return "email" if "@" in address.lstrip("@") else channel
