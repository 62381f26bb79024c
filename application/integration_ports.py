"""Ports and errors of the integrations (issue 9): channel webhooks in, ticketing
out, external data sources in, and the views over them.

Adapters for each platform, for ServiceNow and for HTTP sources live in
infrastructure/; the use cases in application/integrations.py call only these.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from application.errors import (
    ApplicationError,
    ConflictError,
    InvalidInputError,
    UnauthenticatedError,
)
from application.ports import DeliveryError, ExternalRecord, ImportedDialog


class WebhookRejectedError(UnauthenticatedError):
    """Unsigned, wrongly signed, tampered or stale: nothing of it is kept."""

    title = "Webhook rejected"

    def __init__(self, inbox_id: UUID, reason: str) -> None:
        self.inbox_id = inbox_id
        self.reason = reason
        super().__init__(f"delivery to inbox {inbox_id} refused: {reason}")


class ReplayedDeliveryError(ConflictError):
    title = "Delivery replayed"

    def __init__(self, inbox_id: UUID) -> None:
        self.inbox_id = inbox_id
        super().__init__(
            f"this signed delivery to inbox {inbox_id} was received already"
        )


class UnknownAccountError(InvalidInputError):
    """The payload names a page or account this inbox is not connected to."""

    title = "Unknown account"

    def __init__(self, inbox_id: UUID, platform: str) -> None:
        self.inbox_id = inbox_id
        self.platform = platform
        super().__init__(
            f"the {platform} payload names a page or account that inbox "
            f"{inbox_id} is not connected to"
        )


class PayloadTooLargeError(ApplicationError):
    status = 413
    title = "Payload too large"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"a webhook body may hold at most {limit} bytes")


# Channel webhooks


@dataclass(frozen=True)
class ChannelSecrets:
    """What an inbox's connection knows, opened from its seals for one check."""

    inbox_id: UUID
    platform: str
    account_id: str
    app_secret: str
    verify_token: str | None


@dataclass(frozen=True)
class Delivery:
    """One POST as received: header names lower-case, the body untouched."""

    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class WebhookBatch:
    dialogs: tuple[ImportedDialog, ...]
    ignored: int  # events that carry no message: reads, deliveries, reactions


class ChannelWebhook(abc.ABC):
    """One platform's webhook protocol.

    `handshake` answers the platform's subscription check (WebhookRejectedError
    when the token does not match); `verify` checks the signature over the raw
    body before anything is parsed and returns a replay key when the scheme has
    one (WebhookRejectedError otherwise); `parse` turns a verified body into
    dialogs (InvalidInputError for a malformed body, UnknownAccountError for a
    page or account the inbox is not connected to).
    """

    platform: str
    channel: str  # the inbox channel the messages land in
    handshake_media_type = "text/plain"

    def handshake(self, secrets: ChannelSecrets, query: Mapping[str, str]) -> str:
        raise WebhookRejectedError(secrets.inbox_id, "this platform has no handshake")

    @abc.abstractmethod
    def verify(
        self, secrets: ChannelSecrets, delivery: Delivery, now: dt.datetime
    ) -> str | None: ...

    @abc.abstractmethod
    def parse(self, secrets: ChannelSecrets, body: bytes) -> WebhookBatch: ...


class ReplayGuard(abc.ABC):
    """Remembers signed deliveries for the length of the freshness window."""

    @abc.abstractmethod
    def remember(self, inbox_id: UUID, key: str, at: dt.datetime) -> bool:
        """False when the key was seen already (a replay)."""

    @abc.abstractmethod
    def forget(self, inbox_id: UUID, key: str) -> None:
        """Lets a delivery whose ingest failed be sent again."""

    @abc.abstractmethod
    def prune(self, before: dt.datetime) -> int: ...


# Ticketing (ServiceNow)


@dataclass(frozen=True)
class TicketingCredentials:
    instance_url: str
    table: str
    auth_mode: str  # basic or oauth
    username: str
    secret: str  # the password (basic) or the client secret (oauth)
    client_id: str


@dataclass(frozen=True)
class ArchiveUpload:
    correlation_id: str  # finds the record again on a retry: create or update
    fields: dict[str, str]
    file_name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class PushReceipt:
    record_id: str
    attachment_id: str
    tries: int


class PushError(Exception):
    """A push did not go through; `retryable` says whether waiting may help."""

    def __init__(
        self, reason: str, *, status_code: int | None, tries: int, retryable: bool
    ) -> None:
        self.reason = reason
        self.status_code = status_code
        self.tries = tries
        self.retryable = retryable
        super().__init__(reason)


class TicketingTarget(abc.ABC):
    """Creates or updates a record and attaches a file to it, retrying what is
    worth retrying within one call. Raises PushError; never logs secrets."""

    name: str

    @abc.abstractmethod
    def push(
        self, credentials: TicketingCredentials, upload: ArchiveUpload
    ) -> PushReceipt: ...


# External data sources


@dataclass(frozen=True)
class SourceEndpoint:
    endpoint_id: UUID
    workspace_id: UUID
    name: str
    url: str
    identifiers: str  # digest or clear
    secret: str
    timeout_seconds: float


class SourceClient(abc.ABC):
    """Asks one endpoint for a person's records. Raises DeliveryError when it
    fails, answers nonsense or takes longer than the endpoint's timeout."""

    @abc.abstractmethod
    def fetch(
        self, endpoint: SourceEndpoint, identities: list[dict[str, str]]
    ) -> list[ExternalRecord]: ...


# Views


@dataclass(frozen=True)
class ConnectionRecord:
    inbox_id: UUID
    workspace_id: UUID
    platform: str
    account_id: str
    configured_at: dt.datetime


@dataclass(frozen=True)
class TargetRecord:
    workspace_id: UUID
    instance_url: str
    table: str
    auth_mode: str
    configured_at: dt.datetime


@dataclass(frozen=True)
class PushRecord:
    push_id: UUID
    workspace_id: UUID
    request_id: UUID
    export_id: UUID
    target: str
    status: str
    attempts: int
    record_id: str | None
    last_error: str | None
    queued_at: dt.datetime
    next_attempt_at: dt.datetime | None
    pushed_at: dt.datetime | None


@dataclass(frozen=True)
class EndpointRecord:
    endpoint_id: UUID
    workspace_id: UUID
    name: str
    url: str
    identifiers: str
    timeout_seconds: float
    registered_at: dt.datetime


@dataclass(frozen=True)
class SourceCallRecord:
    call_id: UUID
    workspace_id: UUID
    endpoint_id: UUID
    name: str
    outcome: str
    records: int
    reason: str | None
    called_at: dt.datetime


@dataclass(frozen=True)
class ClientRecord:
    client_id: UUID
    workspace_id: UUID
    name: str
    may_download: bool
    active: bool


class IntegrationViews(abc.ABC):
    """Projections of the integration events; never a secret in any of them."""

    @abc.abstractmethod
    def connection(self, inbox_id: UUID) -> ConnectionRecord | None: ...

    @abc.abstractmethod
    def connections(self, workspace_id: UUID) -> list[ConnectionRecord]: ...

    @abc.abstractmethod
    def target(self, workspace_id: UUID) -> TargetRecord | None: ...

    @abc.abstractmethod
    def pushes(
        self, workspace_id: UUID | None = None, status: str | None = None
    ) -> list[PushRecord]: ...

    @abc.abstractmethod
    def pushes_due(self, now: dt.datetime) -> list[PushRecord]: ...

    @abc.abstractmethod
    def endpoints(self, workspace_id: UUID) -> list[EndpointRecord]: ...

    @abc.abstractmethod
    def source_calls(self, workspace_id: UUID) -> list[SourceCallRecord]: ...

    @abc.abstractmethod
    def client_by_token_hash(self, token_hash: str) -> ClientRecord | None: ...

    @abc.abstractmethod
    def clients(self, workspace_id: UUID) -> list[ClientRecord]: ...


__all__ = [
    "ArchiveUpload",
    "ChannelSecrets",
    "ChannelWebhook",
    "ClientRecord",
    "ConnectionRecord",
    "Delivery",
    "DeliveryError",
    "EndpointRecord",
    "IntegrationViews",
    "PayloadTooLargeError",
    "PushError",
    "PushReceipt",
    "PushRecord",
    "ReplayGuard",
    "ReplayedDeliveryError",
    "SourceCallRecord",
    "SourceClient",
    "SourceEndpoint",
    "TargetRecord",
    "TicketingCredentials",
    "TicketingTarget",
    "UnknownAccountError",
    "WebhookBatch",
    "WebhookRejectedError",
]
