"""What leaves the organisation (issue 10): no-login links to one case, queued
notifications, and the workspace settings that govern both and the public pages.

An external link's token exists in clear only in the link the recipient gets; the
aggregate keeps its SHA-256. A notification's rendered text is sealed under the
notification's own key, destroyed once it is delivered.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError
from domain.personal_data import PersonalData


class _Identified(Aggregate):
    @staticmethod
    def create_id(aggregate_id: UUID, **_: Any) -> UUID:
        return aggregate_id


# Settings


class InvalidSettingError(DomainError):
    def __init__(self, key: str, detail: str) -> None:
        self.key = key
        self.detail = detail
        super().__init__(f"{key}: {detail}")


class PrivacySetting(enum.StrEnum):
    LINK_DAYS = "external_link_days"
    HIDE_NOTIFICATION_CONTENT = "hide_notification_content"
    NOTIFICATION_CHANNELS = "notification_channels"
    BLOCK_TRACKERS = "block_trackers"
    TRACKERS = "trackers"
    FORM_VALUE_COOKIES = "form_value_cookies"
    FAQ = "faq"


class TrackerKind(enum.StrEnum):
    GOOGLE_ANALYTICS = "google_analytics"
    GOOGLE_TAG_MANAGER = "google_tag_manager"
    FACEBOOK_PIXEL = "facebook_pixel"


# Privacy by default (art. 25): content hidden, trackers blocked, nothing in
# cookies, until an administrator decides otherwise and the event says who did.
DEFAULTS: dict[str, Any] = {
    PrivacySetting.LINK_DAYS: 14,
    PrivacySetting.HIDE_NOTIFICATION_CONTENT: True,
    PrivacySetting.NOTIFICATION_CHANNELS: [],
    PrivacySetting.BLOCK_TRACKERS: True,
    PrivacySetting.TRACKERS: [],
    PrivacySetting.FORM_VALUE_COOKIES: [],
    PrivacySetting.FAQ: [],
}
CHANNELS = ("email", "push")
TRACKER_ID = re.compile(r"^[A-Za-z0-9-]{1,40}$")
MAX_FAQ_ENTRIES = 100


def checked_setting(key: str, value: Any) -> Any:
    """The value as stored, or InvalidSettingError naming the key."""
    try:
        setting = PrivacySetting(key)
    except ValueError:
        known = ", ".join(s.value for s in PrivacySetting)
        raise InvalidSettingError(key, f"not a setting; known: {known}") from None
    checker = _CHECKERS[setting]
    return checker(key, value)


def _days(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 365:
        raise InvalidSettingError(key, "a whole number of days from 1 to 365")
    return value


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidSettingError(key, "true or false")
    return value


def _channels(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not set(value) <= set(CHANNELS):
        raise InvalidSettingError(key, "a list of: email, push")
    return sorted(set(value))


def _trackers(key: str, value: Any) -> list[dict[str, str]]:
    kinds = {kind.value for kind in TrackerKind}
    if not isinstance(value, list) or len(value) > 20:
        raise InvalidSettingError(key, "a list of at most 20 {kind, id}")
    checked = []
    for item in value:
        if (
            not isinstance(item, dict)
            or set(item) != {"kind", "id"}
            or item["kind"] not in kinds
            or not isinstance(item["id"], str)
            or not TRACKER_ID.match(item["id"])
        ):
            raise InvalidSettingError(
                key, f"each tracker is {{kind, id}} with kind one of {sorted(kinds)}"
            )
        checked.append({"kind": item["kind"], "id": item["id"]})
    return checked


def _form_ids(key: str, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise InvalidSettingError(key, "a list of form ids")
    try:
        return sorted({str(UUID(str(item))) for item in value})
    except ValueError:
        raise InvalidSettingError(key, "a list of form ids") from None


def _faq(key: str, value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list) or len(value) > MAX_FAQ_ENTRIES:
        raise InvalidSettingError(key, f"at most {MAX_FAQ_ENTRIES} entries")
    checked = []
    for item in value:
        if (
            not isinstance(item, dict)
            or set(item) != {"question", "answer"}
            or not all(isinstance(v, str) and 0 < len(v) <= 5000 for v in item.values())
        ):
            raise InvalidSettingError(key, "each entry is {question, answer} as text")
        checked.append({"question": item["question"], "answer": item["answer"]})
    return checked


_CHECKERS = {
    PrivacySetting.LINK_DAYS: _days,
    PrivacySetting.HIDE_NOTIFICATION_CONTENT: _flag,
    PrivacySetting.NOTIFICATION_CHANNELS: _channels,
    PrivacySetting.BLOCK_TRACKERS: _flag,
    PrivacySetting.TRACKERS: _trackers,
    PrivacySetting.FORM_VALUE_COOKIES: _form_ids,
    PrivacySetting.FAQ: _faq,
}


def setting_of(settings: dict[str, Any], key: PrivacySetting) -> Any:
    return settings.get(key.value, DEFAULTS[key])


# External links


class LinkState(enum.StrEnum):
    LIVE = "live"
    EXPIRED = "expired"
    REVOKED = "revoked"


class LinkAlreadyRevokedError(DomainError):
    def __init__(self, link_id: UUID) -> None:
        self.link_id = link_id
        super().__init__(f"external link {link_id} is revoked already")


class ExternalLink(_Identified):
    """A no-login link to one case, or one message of it, for one recipient."""

    @event("Issued")
    def __init__(
        self,
        aggregate_id: UUID,
        workspace_id: UUID,
        case_id: UUID,
        message_id: UUID | None,
        recipient: PersonalData,
        token_hash: str,
        issued_at: dt.datetime,
        expires_at: dt.datetime,
        actor_id: UUID,
    ) -> None:
        self.workspace_id = workspace_id
        self.case_id = case_id
        self.message_id = message_id
        self.recipient = recipient
        self.token_hash = token_hash
        self.issued_at = issued_at
        self.expires_at = expires_at
        self.revoked_at: dt.datetime | None = None

    def state_at(self, now: dt.datetime) -> LinkState:
        """Live strictly before its expiry; revocation wins over expiry."""
        if self.revoked_at is not None:
            return LinkState.REVOKED
        if now >= self.expires_at:
            return LinkState.EXPIRED
        return LinkState.LIVE

    def revoke(self, actor_id: UUID, reason: str, at: dt.datetime) -> None:
        if self.revoked_at is not None:
            raise LinkAlreadyRevokedError(self.id)
        self._revoke(actor_id=actor_id, reason=reason, at=at)

    @event("Revoked")
    def _revoke(self, actor_id: UUID, reason: str, at: dt.datetime) -> None:
        self.revoked_at = at


class ExternalLinkAttempt(_Identified):
    """A refused opening of an external link, in a stream of its own so that
    attempts never conflict with revoking the link."""

    @event("Refused")
    def __init__(
        self,
        aggregate_id: UUID,
        workspace_id: UUID,
        link_id: UUID,
        case_id: UUID,
        reason: str,
        client_address: PersonalData | None,
        country: str | None,
        at: dt.datetime,
    ) -> None:
        self.workspace_id = workspace_id
        self.link_id = link_id
        self.reason = reason


# Notifications


class NotificationKind(enum.StrEnum):
    NEW_CASE = "new_case"
    ASSIGNED = "assigned"
    FORWARDED = "forwarded"
    REPLY = "reply"


class Notification(_Identified):
    """One e-mail or push message, queued until delivered. Its text is sealed
    under its own id, whose key is destroyed on delivery."""

    @event("Queued")
    def __init__(
        self,
        aggregate_id: UUID,
        workspace_id: UUID,
        case_id: UUID,
        kind: str,
        channel: str,
        recipient_user_id: UUID | None,
        recipient: PersonalData,
        title: PersonalData,
        body: PersonalData,
        content_hidden: bool,
        queued_at: dt.datetime,
    ) -> None:
        self.workspace_id = workspace_id
        self.case_id = case_id
        self.kind = NotificationKind(kind).value
        self.channel = channel
        self.recipient_user_id = recipient_user_id
        self.recipient = recipient
        self.title = title
        self.body = body
        self.content_hidden = content_hidden
        self.attempts = 0
        self.delivered_at: dt.datetime | None = None

    @property
    def content_owner(self) -> UUID:
        return self.id

    @event("Delivered")
    def deliver(self, at: dt.datetime) -> None:
        self.attempts += 1
        self.delivered_at = at

    @event("DeliveryFailed")
    def fail_delivery(
        self, reason: str, at: dt.datetime, retry_at: dt.datetime
    ) -> None:
        self.attempts += 1
