"""Projections of the integration events, and the replay guard's table.

A finished access file is queued for ServiceNow by following the access
request's FileGenerated event: when the workspace has a target configured at
that point of the event history, the push row appears. Rebuilding the views
therefore rebuilds the queue, and the push events then bring each row to where
it was.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from application.integration_ports import (
    ClientRecord,
    ConnectionRecord,
    EndpointRecord,
    IntegrationViews,
    PushRecord,
    ReplayGuard,
    SourceCallRecord,
    TargetRecord,
)
from domain.integrations import PushStatus, push_id
from infrastructure.db import (
    access_requests,
    archive_pushes,
    channel_connections,
    external_endpoints,
    external_source_calls,
    integration_clients,
    servicenow_targets,
    webhook_deliveries,
)
from infrastructure.views import ProjectedEvent, SqlReadModels

TARGET_NAME = "servicenow"


class SqlIntegrationViews(IntegrationViews):
    def __init__(self, engine: Engine, views: SqlReadModels) -> None:
        self._engine = engine
        self._views = views

    def install(self) -> None:
        """Registers tables and handlers; call before the first catch-up."""
        self._views.add_tables(
            channel_connections,
            servicenow_targets,
            archive_pushes,
            external_endpoints,
            external_source_calls,
            integration_clients,
        )
        handlers = {
            "ChannelConnection.Configured": self._connection_configured,
            "ChannelConnection.Reconfigured": self._connection_configured,
            "ServiceNowTarget.Configured": self._target_configured,
            "ServiceNowTarget.Reconfigured": self._target_configured,
            "ArchivePush.Queued": _ignore,
            "ArchivePush.AttemptFailed": self._push_failed,
            "ArchivePush.Pushed": self._pushed,
            "ExternalEndpoint.Registered": self._endpoint_registered,
            "ExternalEndpoint.Removed": self._endpoint_removed,
            "ExternalSourceCall.Called": self._source_called,
            "IntegrationClient.Registered": self._client_registered,
            "IntegrationClient.Revoked": self._client_revoked,
            "SystemRead.RequestStatusRead": self._status_read,
        }
        for kind, handler in handlers.items():
            self._views.add_handler(kind, handler)
        self._views.add_follower("AccessRequest.FileGenerated", self._file_generated)

    # Handlers

    def _connection_configured(self, c: Connection, e: ProjectedEvent) -> None:
        inbox_id = str(e["inbox_id"])
        c.execute(sa.delete(channel_connections).where(_inbox(inbox_id)))
        c.execute(
            sa.insert(channel_connections).values(
                inbox_id=inbox_id,
                workspace_id=str(e["workspace_id"]),
                platform=e["platform"],
                account_id=e["account_id"],
                configured_at=e["timestamp"],
            )
        )

    def _target_configured(self, c: Connection, e: ProjectedEvent) -> None:
        workspace_id = str(e["workspace_id"])
        c.execute(
            sa.delete(servicenow_targets).where(
                servicenow_targets.c.workspace_id == workspace_id
            )
        )
        c.execute(
            sa.insert(servicenow_targets).values(
                workspace_id=workspace_id,
                instance_url=e["instance_url"],
                table_name=e["table"],
                auth_mode=e["auth_mode"],
                configured_at=e["timestamp"],
            )
        )

    def _file_generated(self, c: Connection, e: ProjectedEvent) -> None:
        request = c.execute(
            sa.select(access_requests.c.workspace_id).where(
                access_requests.c.request_id == str(e.originator_id)
            )
        ).first()
        if request is None:
            return
        configured = c.execute(
            sa.select(servicenow_targets.c.workspace_id).where(
                servicenow_targets.c.workspace_id == request.workspace_id
            )
        ).first()
        if configured is None:
            return
        export_id = UUID(str(e["export_id"]))
        c.execute(
            sa.insert(archive_pushes).values(
                push_id=str(push_id(export_id)),
                workspace_id=request.workspace_id,
                request_id=str(e.originator_id),
                export_id=str(export_id),
                target=TARGET_NAME,
                status=PushStatus.QUEUED.value,
                attempts=0,
                queued_at=e["timestamp"],
            )
        )

    def _push_failed(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.update(archive_pushes)
            .where(archive_pushes.c.push_id == str(e.originator_id))
            .values(
                status=PushStatus.FAILED.value,
                attempts=archive_pushes.c.attempts + 1,
                last_error=e["reason"],
                next_attempt_at=e["next_attempt_at"],
            )
        )

    def _pushed(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.update(archive_pushes)
            .where(archive_pushes.c.push_id == str(e.originator_id))
            .values(
                status=PushStatus.PUSHED.value,
                attempts=archive_pushes.c.attempts + 1,
                record_id=e["record_id"],
                last_error=None,
                next_attempt_at=None,
                pushed_at=e["at"],
            )
        )

    def _endpoint_registered(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.insert(external_endpoints).values(
                endpoint_id=str(e.originator_id),
                workspace_id=str(e["workspace_id"]),
                name=e["name"],
                url=e["url"],
                identifiers=e["identifiers"],
                timeout_seconds=e["timeout_seconds"],
                active=True,
                registered_at=e["timestamp"],
            )
        )

    def _endpoint_removed(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.update(external_endpoints)
            .where(external_endpoints.c.endpoint_id == str(e.originator_id))
            .values(active=False)
        )

    def _source_called(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.insert(external_source_calls).values(
                call_id=str(e.originator_id),
                workspace_id=str(e["workspace_id"]),
                endpoint_id=str(e["endpoint_id"]),
                name=e["name"],
                outcome=e["outcome"],
                records=e["records"],
                reason=e["reason"],
                called_at=e["called_at"],
            )
        )

    def _client_registered(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.insert(integration_clients).values(
                client_id=str(e.originator_id),
                workspace_id=str(e["workspace_id"]),
                name=e["name"],
                token_hash=e["token_hash"],
                may_download=e["may_download"],
                active=True,
            )
        )

    def _client_revoked(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.update(integration_clients)
            .where(integration_clients.c.client_id == str(e.originator_id))
            .values(active=False)
        )

    def _status_read(self, c: Connection, e: ProjectedEvent) -> None:
        self._views.log_access(
            c,
            e,
            "access_request.status_read",
            actor_id=e["client_id"],
            purpose=f"integration status of access request {e['request_id']}",
            workspace_id=e["workspace_id"],
            at=e["read_at"],
        )

    # Queries

    def connection(self, inbox_id: UUID) -> ConnectionRecord | None:
        with self._engine.connect() as c:
            row = c.execute(
                sa.select(channel_connections).where(_inbox(str(inbox_id)))
            ).first()
        return None if row is None else _connection(row)

    def connections(self, workspace_id: UUID) -> list[ConnectionRecord]:
        with self._engine.connect() as c:
            rows = c.execute(
                sa.select(channel_connections)
                .where(channel_connections.c.workspace_id == str(workspace_id))
                .order_by(channel_connections.c.configured_at)
            ).fetchall()
        return [_connection(row) for row in rows]

    def target(self, workspace_id: UUID) -> TargetRecord | None:
        with self._engine.connect() as c:
            row = c.execute(
                sa.select(servicenow_targets).where(
                    servicenow_targets.c.workspace_id == str(workspace_id)
                )
            ).first()
        if row is None:
            return None
        return TargetRecord(
            workspace_id=UUID(row.workspace_id),
            instance_url=row.instance_url,
            table=row.table_name,
            auth_mode=row.auth_mode,
            configured_at=_aware(row.configured_at),
        )

    def pushes(
        self, workspace_id: UUID | None = None, status: str | None = None
    ) -> list[PushRecord]:
        query = sa.select(archive_pushes).order_by(archive_pushes.c.queued_at)
        if workspace_id is not None:
            query = query.where(archive_pushes.c.workspace_id == str(workspace_id))
        if status is not None:
            query = query.where(archive_pushes.c.status == status)
        with self._engine.connect() as c:
            rows = c.execute(query).fetchall()
        return [_push(row) for row in rows]

    def pushes_due(self, now: dt.datetime) -> list[PushRecord]:
        query = (
            sa.select(archive_pushes)
            .where(
                (archive_pushes.c.status == PushStatus.QUEUED.value)
                | (
                    (archive_pushes.c.status == PushStatus.FAILED.value)
                    & (archive_pushes.c.next_attempt_at <= now)
                )
            )
            .order_by(archive_pushes.c.queued_at)
        )
        with self._engine.connect() as c:
            rows = c.execute(query).fetchall()
        return [_push(row) for row in rows]

    def endpoints(self, workspace_id: UUID) -> list[EndpointRecord]:
        with self._engine.connect() as c:
            rows = c.execute(
                sa.select(external_endpoints)
                .where(
                    (external_endpoints.c.workspace_id == str(workspace_id))
                    & external_endpoints.c.active
                )
                .order_by(external_endpoints.c.registered_at, external_endpoints.c.name)
            ).fetchall()
        return [
            EndpointRecord(
                endpoint_id=UUID(row.endpoint_id),
                workspace_id=UUID(row.workspace_id),
                name=row.name,
                url=row.url,
                identifiers=row.identifiers,
                timeout_seconds=row.timeout_seconds,
                registered_at=_aware(row.registered_at),
            )
            for row in rows
        ]

    def source_calls(self, workspace_id: UUID) -> list[SourceCallRecord]:
        with self._engine.connect() as c:
            rows = c.execute(
                sa.select(external_source_calls)
                .where(external_source_calls.c.workspace_id == str(workspace_id))
                .order_by(external_source_calls.c.called_at)
            ).fetchall()
        return [
            SourceCallRecord(
                call_id=UUID(row.call_id),
                workspace_id=UUID(row.workspace_id),
                endpoint_id=UUID(row.endpoint_id),
                name=row.name,
                outcome=row.outcome,
                records=row.records,
                reason=row.reason,
                called_at=_aware(row.called_at),
            )
            for row in rows
        ]

    def client_by_token_hash(self, token_hash: str) -> ClientRecord | None:
        with self._engine.connect() as c:
            row = c.execute(
                sa.select(integration_clients).where(
                    integration_clients.c.token_hash == token_hash
                )
            ).first()
        return None if row is None else _client(row)

    def clients(self, workspace_id: UUID) -> list[ClientRecord]:
        with self._engine.connect() as c:
            rows = c.execute(
                sa.select(integration_clients).where(
                    integration_clients.c.workspace_id == str(workspace_id)
                )
            ).fetchall()
        return [_client(row) for row in rows]


class SqlReplayGuard(ReplayGuard):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def remember(self, inbox_id: UUID, key: str, at: dt.datetime) -> bool:
        try:
            with self._engine.begin() as c:
                c.execute(
                    sa.insert(webhook_deliveries).values(
                        inbox_id=str(inbox_id), delivery_key=key, received_at=at
                    )
                )
        except sa.exc.IntegrityError:
            return False
        return True

    def forget(self, inbox_id: UUID, key: str) -> None:
        with self._engine.begin() as c:
            c.execute(
                sa.delete(webhook_deliveries).where(
                    (webhook_deliveries.c.inbox_id == str(inbox_id))
                    & (webhook_deliveries.c.delivery_key == key)
                )
            )

    def prune(self, before: dt.datetime) -> int:
        with self._engine.begin() as c:
            result = c.execute(
                sa.delete(webhook_deliveries).where(
                    webhook_deliveries.c.received_at < before
                )
            )
        return result.rowcount or 0


def _ignore(c: Connection, e: ProjectedEvent) -> None:
    """The queue row exists already: it came from the FileGenerated event."""


def _inbox(inbox_id: str) -> Any:
    return channel_connections.c.inbox_id == inbox_id


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _optional(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else _aware(value)


def _connection(row: Any) -> ConnectionRecord:
    return ConnectionRecord(
        inbox_id=UUID(row.inbox_id),
        workspace_id=UUID(row.workspace_id),
        platform=row.platform,
        account_id=row.account_id,
        configured_at=_aware(row.configured_at),
    )


def _push(row: Any) -> PushRecord:
    return PushRecord(
        push_id=UUID(row.push_id),
        workspace_id=UUID(row.workspace_id),
        request_id=UUID(row.request_id),
        export_id=UUID(row.export_id),
        target=row.target,
        status=row.status,
        attempts=row.attempts,
        record_id=row.record_id,
        last_error=row.last_error,
        queued_at=_aware(row.queued_at),
        next_attempt_at=_optional(row.next_attempt_at),
        pushed_at=_optional(row.pushed_at),
    )


def _client(row: Any) -> ClientRecord:
    return ClientRecord(
        client_id=UUID(row.client_id),
        workspace_id=UUID(row.workspace_id),
        name=row.name,
        may_download=row.may_download,
        active=row.active,
    )
