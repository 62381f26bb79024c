"""Integrations (issue 9): channel connections, the ServiceNow target, pushes of
finished access files, external data sources and the systems allowed to fetch
request status.

Secrets (app secrets, verify tokens, passwords, client secrets, source tokens) are
`PersonalData` sealed under an integration-secrets owner of their own, so they
never sit in clear in an event and one shred removes them all.
"""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError
from domain.personal_data import PersonalData

_SECRETS_NAMESPACE = UUID("a3c1e8f2-59d4-4f7e-bb0a-6e2d91c4f7a3")
_CONNECTION_NAMESPACE = UUID("2e9b7c10-8d3f-4a61-9f52-c07e1ad4b6e8")
_TARGET_NAMESPACE = UUID("7d14f0a9-3b6e-4c2d-8a95-e1f3b2c4d6a7")
_PUSH_NAMESPACE = UUID("c58e2a71-0f4b-4d93-a6e2-9b1d7f3c5e80")


class Platform(enum.StrEnum):
    """A sender of webhooks, each with its own way of proving who it is."""

    MESSENGER = "messenger"
    INSTAGRAM = "instagram"
    X = "x"
    YOUTUBE = "youtube"
    GENERIC = "generic"
    EMAIL = "email"


class IntegrationError(DomainError):
    pass


def secrets_owner(scope_id: UUID) -> UUID:
    """The key owner of an inbox's or a workspace's integration secrets."""
    return uuid5(_SECRETS_NAMESPACE, str(scope_id))


def connection_id(inbox_id: UUID) -> UUID:
    return uuid5(_CONNECTION_NAMESPACE, str(inbox_id))


def target_id(workspace_id: UUID) -> UUID:
    return uuid5(_TARGET_NAMESPACE, str(workspace_id))


def push_id(export_id: UUID) -> UUID:
    """One push per finished file: a second approval makes a second file."""
    return uuid5(_PUSH_NAMESPACE, str(export_id))


class _Identified(Aggregate):
    @staticmethod
    def create_id(aggregate_id: UUID, **_: object) -> UUID:
        return aggregate_id


class ChannelConnection(_Identified):
    """How one inbox receives webhooks: the platform, its page or account id, and
    the secrets that prove a delivery came from it."""

    @event("Configured")
    def __init__(
        self,
        aggregate_id: UUID,
        workspace_id: UUID,
        inbox_id: UUID,
        platform: str,
        account_id: str,
        app_secret: PersonalData,
        verify_token: PersonalData | None,
        actor_id: UUID | None,
    ) -> None:
        self.workspace_id = workspace_id
        self.inbox_id = inbox_id
        self._set(platform, account_id, app_secret, verify_token)

    @event("Reconfigured")
    def reconfigure(
        self,
        workspace_id: UUID,
        inbox_id: UUID,
        platform: str,
        account_id: str,
        app_secret: PersonalData,
        verify_token: PersonalData | None,
        actor_id: UUID | None,
    ) -> None:
        self._set(platform, account_id, app_secret, verify_token)

    def _set(
        self,
        platform: str,
        account_id: str,
        app_secret: PersonalData,
        verify_token: PersonalData | None,
    ) -> None:
        self.platform = Platform(platform).value
        self.account_id = account_id
        self.app_secret = app_secret
        self.verify_token = verify_token


class AuthMode(enum.StrEnum):
    BASIC = "basic"
    OAUTH = "oauth"


class ServiceNowTarget(_Identified):
    """Where a workspace's finished access files go: one instance and table."""

    @event("Configured")
    def __init__(
        self,
        aggregate_id: UUID,
        workspace_id: UUID,
        instance_url: str,
        table: str,
        auth_mode: str,
        username: str,
        secret: PersonalData,
        client_id: str,
        actor_id: UUID | None,
    ) -> None:
        self.workspace_id = workspace_id
        self._set(instance_url, table, auth_mode, username, secret, client_id)

    @event("Reconfigured")
    def reconfigure(
        self,
        workspace_id: UUID,
        instance_url: str,
        table: str,
        auth_mode: str,
        username: str,
        secret: PersonalData,
        client_id: str,
        actor_id: UUID | None,
    ) -> None:
        self._set(instance_url, table, auth_mode, username, secret, client_id)

    def _set(
        self,
        instance_url: str,
        table: str,
        auth_mode: str,
        username: str,
        secret: PersonalData,
        client_id: str,
    ) -> None:
        self.instance_url = instance_url
        self.table = table
        self.auth_mode = AuthMode(auth_mode).value
        self.username = username
        self.secret = secret
        self.client_id = client_id


class PushStatus(enum.StrEnum):
    QUEUED = "queued"
    FAILED = "failed"  # an attempt failed; it is tried again, never dropped
    PUSHED = "pushed"


class ArchivePush(_Identified):
    """Delivery of one finished access file to a ticketing system."""

    @event("Queued")
    def __init__(
        self,
        aggregate_id: UUID,
        workspace_id: UUID,
        request_id: UUID,
        export_id: UUID,
        target: str,
        queued_at: dt.datetime,
    ) -> None:
        self.workspace_id = workspace_id
        self.request_id = request_id
        self.export_id = export_id
        self.target = target
        self.status = PushStatus.QUEUED.value
        self.attempts = 0
        self.record_id: str | None = None

    def record_attempt_failed(
        self,
        reason: str,
        status_code: int | None,
        tries: int,
        at: dt.datetime,
        next_attempt_at: dt.datetime,
    ) -> None:
        if self.status == PushStatus.PUSHED:
            raise IntegrationError(f"push {self.id} has succeeded already")
        self._attempt_failed(reason, status_code, tries, at, next_attempt_at)

    @event("AttemptFailed")
    def _attempt_failed(
        self,
        reason: str,
        status_code: int | None,
        tries: int,
        at: dt.datetime,
        next_attempt_at: dt.datetime,
    ) -> None:
        self.status = PushStatus.FAILED.value
        self.attempts += 1

    def record_pushed(
        self, record_id: str, attachment_id: str, tries: int, at: dt.datetime
    ) -> None:
        if self.status == PushStatus.PUSHED:
            raise IntegrationError(f"push {self.id} has succeeded already")
        self._pushed(record_id, attachment_id, tries, at)

    @event("Pushed")
    def _pushed(
        self, record_id: str, attachment_id: str, tries: int, at: dt.datetime
    ) -> None:
        self.status = PushStatus.PUSHED.value
        self.attempts += 1
        self.record_id = record_id


class IdentifierMode(enum.StrEnum):
    DIGEST = "digest"  # keyed HMAC per source: the source never sees the value
    CLEAR = "clear"


class ExternalEndpoint(Aggregate):
    """An outside system a workspace asks for a person's records when it
    answers an access request."""

    @event("Registered")
    def __init__(
        self,
        workspace_id: UUID,
        name: str,
        url: str,
        identifiers: str,
        secret: PersonalData,
        timeout_seconds: float,
        actor_id: UUID | None,
    ) -> None:
        self.workspace_id = workspace_id
        self.name = name
        self.url = url
        self.identifiers = IdentifierMode(identifiers).value
        self.secret = secret
        self.timeout_seconds = timeout_seconds
        self.active = True

    def remove(self, actor_id: UUID | None) -> None:
        if not self.active:
            raise IntegrationError(f"external source {self.id} is removed already")
        self._removed(actor_id)

    @event("Removed")
    def _removed(self, actor_id: UUID | None) -> None:
        self.active = False


class ExternalSourceCall(Aggregate):
    """One call to an external source while a file was gathered: outcome and
    counts, never what the source returned."""

    @event("Called")
    def __init__(
        self,
        workspace_id: UUID,
        endpoint_id: UUID,
        name: str,
        outcome: str,
        records: int,
        reason: str | None,
        duration_ms: int,
        called_at: dt.datetime,
    ) -> None:
        self.workspace_id = workspace_id
        self.endpoint_id = endpoint_id


class IntegrationClient(Aggregate):
    """Another system (a ticketing tool, a DPO dashboard) allowed to read request
    status and, when granted, to fetch finished files."""

    @event("Registered")
    def __init__(
        self,
        workspace_id: UUID,
        name: str,
        token_hash: str,
        may_download: bool,
        actor_id: UUID | None,
    ) -> None:
        self.workspace_id = workspace_id
        self.name = name
        self.token_hash = token_hash
        self.may_download = may_download
        self.active = True

    def revoke(self, actor_id: UUID | None) -> None:
        if not self.active:
            raise IntegrationError(f"integration client {self.id} is revoked already")
        self._revoked(actor_id)

    @event("Revoked")
    def _revoked(self, actor_id: UUID | None) -> None:
        self.active = False


class SystemRead(Aggregate):
    """An integration client read a request's status: recorded like any touch."""

    @event("RequestStatusRead")
    def __init__(
        self,
        workspace_id: UUID,
        client_id: UUID,
        request_id: UUID,
        read_at: dt.datetime,
    ) -> None:
        self.workspace_id = workspace_id
        self.client_id = client_id
        self.request_id = request_id
