"""Projections of issue 10: external links, the notification outbox, the triggers
case events leave for notifications, and every workspace setting change."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from uuid import UUID

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from application.outbound_ports import (
    LinkRecord,
    NotificationRecord,
    OutboundViews,
    SettingChange,
    Trigger,
)
from domain.model import Direction, Role
from domain.outbound_privacy import NotificationKind, PrivacySetting
from infrastructure.db import (
    access_log,
    case_list,
    external_links,
    notification_outbox,
    notification_triggers,
    users,
    workspace_setting_changes,
)
from infrastructure.views import ProjectedEvent, SqlReadModels

# How long a process trusts its list of workspaces that want notifications; a
# change projected by another process is seen within this time.
ENABLED_CACHE_SECONDS = 1.0
_CHANNELS_KEY = PrivacySetting.NOTIFICATION_CHANNELS.value
_WORKSPACE_OF_CASE = sa.select(case_list.c.workspace_id).where(
    case_list.c.case_id == sa.bindparam("cid")
)


class SqlOutboundViews(OutboundViews):
    def __init__(self, engine: Engine, views: SqlReadModels) -> None:
        self._engine = engine
        self._views = views
        self._enabled: frozenset[str] = frozenset()
        self._enabled_at = -ENABLED_CACHE_SECONDS

    def install(self) -> None:
        """Registers the handlers; call before the first catch-up."""
        views = self._views
        views.add_tables(
            external_links,
            notification_outbox,
            notification_triggers,
            workspace_setting_changes,
        )
        views.add_handler("ExternalLink.Issued", self._link_issued)
        views.add_handler("ExternalLink.Revoked", self._link_revoked)
        views.add_handler("ExternalLinkAttempt.Refused", self._link_refused)
        views.add_handler("Notification.Queued", self._queued)
        views.add_handler("Notification.Delivered", self._delivered)
        views.add_handler("Notification.DeliveryFailed", self._failed)
        # Followers: these events have main handlers of other capabilities.
        views.add_follower("Workspace.SettingChanged", self._setting_changed)
        views.add_follower("Case.Opened", self._case_opened)
        views.add_follower("Case.Assigned", self._case_assigned)
        views.add_follower("Case.Forwarded", self._case_forwarded)
        views.add_follower("Case.MessageReceived", self._message_received)

    # Links

    def _link_issued(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.insert(external_links).values(
                link_id=str(e.originator_id),
                workspace_id=str(e["workspace_id"]),
                case_id=str(e["case_id"]),
                message_id=_text(e["message_id"]),
                token_hash=e["token_hash"],
                issued_by=str(e["actor_id"]),
                issued_at=e["issued_at"],
                expires_at=e["expires_at"],
                revoked_at=None,
                refused=0,
            )
        )
        self._views.log_access(
            c,
            e,
            "external_link.issued",
            case_id=e["case_id"],
            actor_id=e["actor_id"],
            purpose=f"no-login link {e.originator_id}, "
            f"expires {e['expires_at']:%Y-%m-%d %H:%M}",
            workspace_id=e["workspace_id"],
            at=e["issued_at"],
        )

    def _link_revoked(self, c: Connection, e: ProjectedEvent) -> None:
        row = c.execute(
            sa.update(external_links)
            .where(external_links.c.link_id == str(e.originator_id))
            .values(revoked_at=e["at"])
            .returning(external_links.c.case_id, external_links.c.workspace_id)
        ).first()
        if row is None:
            return
        self._views.log_access(
            c,
            e,
            "external_link.revoked",
            case_id=UUID(row.case_id),
            actor_id=e["actor_id"],
            purpose=f"link {e.originator_id}: {e['reason']}"[:200],
            workspace_id=UUID(row.workspace_id),
            at=e["at"],
        )

    def _link_refused(self, c: Connection, e: ProjectedEvent) -> None:
        link_id = str(e["link_id"])
        c.execute(
            sa.update(external_links)
            .where(external_links.c.link_id == link_id)
            .values(refused=external_links.c.refused + 1)
        )
        at: dt.datetime = e["at"]
        self._views.log_access(
            c,
            e,
            "external_link.refused",
            case_id=e["case_id"],
            actor_id=e["link_id"],
            purpose=f"opening refused: {e['reason']}",
            workspace_id=e["workspace_id"],
            client_address=e["client_address"],
            country=e["country"],
            at=at,
        )

    # Outbox

    def _queued(self, c: Connection, e: ProjectedEvent) -> None:
        queued_at = e["queued_at"]
        c.execute(
            sa.insert(notification_outbox).values(
                notification_id=str(e.originator_id),
                workspace_id=str(e["workspace_id"]),
                case_id=str(e["case_id"]),
                kind=e["kind"],
                channel=e["channel"],
                recipient_user_id=_text(e["recipient_user_id"]),
                content_hidden=e["content_hidden"],
                status="queued",
                attempts=0,
                last_error=None,
                queued_at=queued_at,
                next_attempt_at=queued_at,
                delivered_at=None,
            )
        )
        content = "without content" if e["content_hidden"] else "with case content"
        self._views.log_access(
            c,
            e,
            "case.notified",
            case_id=e["case_id"],
            actor_id=e["recipient_user_id"],
            purpose=f"{e['kind']} {e['channel']} notification {content}",
            workspace_id=e["workspace_id"],
            at=queued_at,
        )

    def _delivered(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.update(notification_outbox)
            .where(notification_outbox.c.notification_id == str(e.originator_id))
            .values(
                status="delivered",
                attempts=notification_outbox.c.attempts + 1,
                delivered_at=e["at"],
                next_attempt_at=None,
            )
        )

    def _failed(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.update(notification_outbox)
            .where(notification_outbox.c.notification_id == str(e.originator_id))
            .values(
                status="failing",
                attempts=notification_outbox.c.attempts + 1,
                last_error=e["reason"],
                next_attempt_at=e["retry_at"],
            )
        )

    # Settings

    def _setting_changed(self, c: Connection, e: ProjectedEvent) -> None:
        key = e["key"]
        c.execute(
            sa.insert(workspace_setting_changes).values(
                change_id=e.id,
                workspace_id=str(e.originator_id),
                setting=str(key)[:64],
                value=orjson.dumps(e["value"], default=str).decode(),
                actor_id=_text(e["actor_id"]),
                changed_at=e["timestamp"],
            )
        )
        if key == _CHANNELS_KEY:
            self._enabled_at = -ENABLED_CACHE_SECONDS

    # Triggers

    def _wants_notifications(self, c: Connection, workspace_id: str) -> bool:
        if time.monotonic() - self._enabled_at >= ENABLED_CACHE_SECONDS:
            rows = c.execute(
                sa.select(
                    workspace_setting_changes.c.workspace_id,
                    workspace_setting_changes.c.value,
                )
                .where(workspace_setting_changes.c.setting == _CHANNELS_KEY)
                .order_by(workspace_setting_changes.c.change_id)
            ).all()
            latest = {row.workspace_id: row.value for row in rows}
            self._enabled = frozenset(w for w, v in latest.items() if v != "[]")
            self._enabled_at = time.monotonic()
        return workspace_id in self._enabled

    def _trigger(
        self,
        c: Connection,
        e: ProjectedEvent,
        workspace_id: str,
        kind: NotificationKind,
        user_id: Any = None,
        message_id: Any = None,
    ) -> None:
        c.execute(
            sa.insert(notification_triggers).values(
                trigger_id=e.id,
                workspace_id=workspace_id,
                case_id=str(e.originator_id),
                kind=kind.value,
                user_id=_text(user_id),
                message_id=_text(message_id),
                done=False,
            )
        )

    def _case_workspace(self, c: Connection, e: ProjectedEvent) -> str | None:
        # Cheap exit first: most installations never enable notifications.
        if not self._enabled and time.monotonic() - self._enabled_at < 1.0:
            return None
        workspace: str | None = c.execute(
            _WORKSPACE_OF_CASE, {"cid": str(e.originator_id)}
        ).scalar()
        if workspace is None or not self._wants_notifications(c, workspace):
            return None
        return workspace

    def _case_opened(self, c: Connection, e: ProjectedEvent) -> None:
        workspace = str(e["workspace_id"])
        if self._wants_notifications(c, workspace):
            self._trigger(c, e, workspace, NotificationKind.NEW_CASE)

    def _case_assigned(self, c: Connection, e: ProjectedEvent) -> None:
        workspace = self._case_workspace(c, e)
        if workspace is not None:
            self._trigger(
                c, e, workspace, NotificationKind.ASSIGNED, user_id=e["assignee_id"]
            )

    def _case_forwarded(self, c: Connection, e: ProjectedEvent) -> None:
        # An address outside the platform gets its link from the use case itself.
        if e["recipient_id"] is None:
            return
        workspace = self._case_workspace(c, e)
        if workspace is not None:
            self._trigger(
                c, e, workspace, NotificationKind.FORWARDED, user_id=e["recipient_id"]
            )

    def _message_received(self, c: Connection, e: ProjectedEvent) -> None:
        if e["direction"] != Direction.INBOUND:
            return
        workspace = self._case_workspace(c, e)
        if workspace is None:
            return
        # A message that arrives with its case is told by the new-case notice.
        announced = c.execute(
            sa.select(notification_triggers.c.trigger_id).where(
                (notification_triggers.c.case_id == str(e.originator_id))
                & (notification_triggers.c.kind == NotificationKind.NEW_CASE.value)
                & sa.not_(notification_triggers.c.done)
            )
        ).first()
        if announced is None:
            self._trigger(
                c, e, workspace, NotificationKind.REPLY, message_id=e["message_id"]
            )

    # Queries

    def link_by_token_hash(self, token_hash: str) -> UUID | None:
        with self._engine.connect() as connection:
            found = connection.execute(
                sa.select(external_links.c.link_id).where(
                    external_links.c.token_hash == token_hash
                )
            ).scalar()
        return None if found is None else UUID(found)

    def links(self, workspace_id: UUID, case_id: UUID | None) -> list[LinkRecord]:
        opened = (
            sa.select(sa.func.count())
            .where(access_log.c.actor_id == external_links.c.link_id)
            .where(access_log.c.action == "case.read")
            .scalar_subquery()
        )
        query = (
            sa.select(external_links, opened.label("opened"))
            .where(external_links.c.workspace_id == str(workspace_id))
            .order_by(external_links.c.issued_at)
        )
        if case_id is not None:
            query = query.where(external_links.c.case_id == str(case_id))
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            LinkRecord(
                link_id=UUID(row.link_id),
                workspace_id=UUID(row.workspace_id),
                case_id=UUID(row.case_id),
                message_id=_uuid(row.message_id),
                issued_by=UUID(row.issued_by),
                issued_at=_aware(row.issued_at),
                expires_at=_aware(row.expires_at),
                revoked_at=None if row.revoked_at is None else _aware(row.revoked_at),
                opened=int(row.opened),
                refused=int(row.refused),
            )
            for row in rows
        ]

    def notifications(
        self, workspace_id: UUID, *, status: str | None, limit: int
    ) -> list[NotificationRecord]:
        query = (
            sa.select(notification_outbox)
            .where(notification_outbox.c.workspace_id == str(workspace_id))
            .order_by(notification_outbox.c.queued_at.desc())
            .limit(limit)
        )
        if status is not None:
            query = query.where(notification_outbox.c.status == status)
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [_notification(row) for row in rows]

    def due_notifications(self, now: dt.datetime, limit: int) -> list[UUID]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(notification_outbox.c.notification_id)
                .where(notification_outbox.c.next_attempt_at <= now)
                .order_by(notification_outbox.c.next_attempt_at)
                .limit(limit)
            ).all()
        return [UUID(row.notification_id) for row in rows]

    def pending_triggers(self, limit: int) -> list[Trigger]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(notification_triggers)
                .where(sa.not_(notification_triggers.c.done))
                .order_by(notification_triggers.c.trigger_id)
                .limit(limit)
            ).all()
        return [
            Trigger(
                trigger_id=int(row.trigger_id),
                workspace_id=UUID(row.workspace_id),
                case_id=UUID(row.case_id),
                kind=row.kind,
                user_id=_uuid(row.user_id),
                message_id=_uuid(row.message_id),
            )
            for row in rows
        ]

    def mark_triggers_done(self, trigger_ids: list[int]) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(notification_triggers)
                .where(notification_triggers.c.trigger_id.in_(trigger_ids))
                .values(done=True)
            )

    def staff_of(self, workspace_id: UUID) -> list[UUID]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(users.c.user_id)
                .where(users.c.workspace_id == str(workspace_id))
                .where(users.c.active)
                .where(users.c.role.in_([Role.ADMINISTRATOR.value, Role.AGENT.value]))
                .order_by(users.c.user_id)
            ).all()
        return [UUID(row.user_id) for row in rows]

    def setting_changes(self, workspace_id: UUID) -> list[SettingChange]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(workspace_setting_changes)
                .where(workspace_setting_changes.c.workspace_id == str(workspace_id))
                .order_by(workspace_setting_changes.c.change_id)
            ).all()
        return [
            SettingChange(
                key=row.setting,
                value=orjson.loads(row.value),
                actor_id=_uuid(row.actor_id),
                changed_at=_aware(row.changed_at),
            )
            for row in rows
        ]


def _notification(row: Any) -> NotificationRecord:
    return NotificationRecord(
        notification_id=UUID(row.notification_id),
        workspace_id=UUID(row.workspace_id),
        case_id=UUID(row.case_id),
        kind=row.kind,
        channel=row.channel,
        recipient_user_id=_uuid(row.recipient_user_id),
        content_hidden=bool(row.content_hidden),
        status=row.status,
        attempts=int(row.attempts),
        last_error=row.last_error,
        queued_at=_aware(row.queued_at),
        next_attempt_at=None
        if row.next_attempt_at is None
        else _aware(row.next_attempt_at),
        delivered_at=None if row.delivered_at is None else _aware(row.delivered_at),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _uuid(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
