"""Ports of issue 10 (links, notifications, public pages), and the services the
interface hands to its use cases."""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.ports import EmailSender


class PushSender(abc.ABC):
    """Delivers one push message to a user's devices through the platform's push
    gateway. Raises DeliveryError when the gateway refuses or cannot be reached."""

    @abc.abstractmethod
    def send(self, user_id: UUID, title: str, body: str, data: dict[str, str]) -> None:
        """`data` carries ids and links only, never text a person wrote."""


@dataclass(frozen=True)
class SafeHtml:
    html: str
    blocked_remote: int  # remote images, pixels and frames taken out


class HtmlSanitiser(abc.ABC):
    """Turns an incoming HTML mail body into HTML that loads nothing remote and
    runs nothing. Never raises on any input."""

    @abc.abstractmethod
    def clean(self, html: str) -> SafeHtml: ...


@dataclass(frozen=True)
class LinkRecord:
    link_id: UUID
    workspace_id: UUID
    case_id: UUID
    message_id: UUID | None
    issued_by: UUID
    issued_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    opened: int
    refused: int


@dataclass(frozen=True)
class NotificationRecord:
    notification_id: UUID
    workspace_id: UUID
    case_id: UUID
    kind: str
    channel: str
    recipient_user_id: UUID | None
    content_hidden: bool
    status: str  # queued, failing, delivered
    attempts: int
    last_error: str | None
    queued_at: dt.datetime
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None


@dataclass(frozen=True)
class Trigger:
    """A case event that may need notifications: ids only."""

    trigger_id: int
    workspace_id: UUID
    case_id: UUID
    kind: str
    user_id: UUID | None  # the assignee, or the user a case was forwarded to
    message_id: UUID | None


@dataclass(frozen=True)
class SettingChange:
    key: str
    value: Any
    actor_id: UUID | None
    changed_at: dt.datetime


class OutboundViews(abc.ABC):
    """Projections of links, notifications, triggers and setting changes."""

    @abc.abstractmethod
    def link_by_token_hash(self, token_hash: str) -> UUID | None: ...

    @abc.abstractmethod
    def links(self, workspace_id: UUID, case_id: UUID | None) -> list[LinkRecord]: ...

    @abc.abstractmethod
    def notifications(
        self, workspace_id: UUID, *, status: str | None, limit: int
    ) -> list[NotificationRecord]: ...

    @abc.abstractmethod
    def due_notifications(self, now: dt.datetime, limit: int) -> list[UUID]: ...

    @abc.abstractmethod
    def pending_triggers(self, limit: int) -> list[Trigger]: ...

    @abc.abstractmethod
    def mark_triggers_done(self, trigger_ids: list[int]) -> None:
        """Work-queue bookkeeping: processing is idempotent, so a crash before
        this only makes the next run redo what it already did."""

    @abc.abstractmethod
    def staff_of(self, workspace_id: UUID) -> list[UUID]:
        """Active administrators and agents of the workspace."""

    @abc.abstractmethod
    def setting_changes(self, workspace_id: UUID) -> list[SettingChange]: ...


@dataclass
class OutboundServices:
    views: OutboundViews
    email: EmailSender
    push: PushSender
    sanitiser: HtmlSanitiser
    public_url: str
