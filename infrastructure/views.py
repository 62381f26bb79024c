"""Read models: projections of the event store into our own tables.

`catch_up` reads the notifications after the stored position and applies them in
one transaction together with the new position, claimed with a compare-and-set:
a crash rolls both back, and a second process that got there first makes this
one's claim fail, so no event is ever applied twice.

Events are decoded field by field from their stored JSON: only the fields a view
needs are opened, so projecting a message never decrypts its body.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
import sqlalchemy as sa
import structlog
from eventsourcing.persistence import Notification
from sqlalchemy.engine import Connection, Engine

from application.ports import (
    AccessLogEntry,
    AccessLogFilter,
    CaseSummary,
    InboxRecord,
    ReadModels,
    UserRecord,
    WorkspaceRecord,
)
from application.store import EventStore
from domain.model import log_period_label, log_period_owner
from domain.personal_data import ERASED_MARKER, UNREADABLE_MARKER, PersonalData
from infrastructure.db import (
    access_log,
    blind_index,
    case_list,
    data_keys,
    inboxes,
    projection_positions,
    users,
    workspaces,
)
from infrastructure.eventstore.sealing import event_context, sealing_context
from infrastructure.vault import KeyVault, TamperedCiphertextError

log = structlog.get_logger(__name__)

PROJECTION = "views"
_MESSAGE_KINDS = frozenset({"Case.MessageReceived", "Case.ReplySent"})
_latest = sa.bindparam("at", type_=sa.DateTime(timezone=True))
# Built once: building a statement per event costs more than running it.
_COUNT_MESSAGES = (
    sa.update(case_list)
    .where(case_list.c.case_id == sa.bindparam("cid"))
    .values(
        message_count=case_list.c.message_count + sa.bindparam("n"),
        last_activity_at=sa.case(
            (case_list.c.last_activity_at < _latest, _latest),
            else_=case_list.c.last_activity_at,
        ),
    )
)
_INSERT_CASE = sa.insert(case_list)
_INSERT_ACCESS_LOG = sa.insert(access_log)
_INSERT_DIGEST = sa.insert(blind_index)
_FIND_DIGEST = sa.select(blind_index.c.subject_id).where(
    (blind_index.c.workspace_id == sa.bindparam("workspace_id"))
    & (blind_index.c.digest == sa.bindparam("digest"))
)
_CASE_OWNERSHIP = sa.select(case_list.c.workspace_id, case_list.c.subject_id).where(
    case_list.c.case_id == sa.bindparam("cid")
)
_REOPEN_BY_MESSAGE = (
    sa.update(case_list)
    .where(case_list.c.case_id == sa.bindparam("cid"))
    .values(status="open", closed_at=None)
)
ViewHandler = Callable[[Connection, "ProjectedEvent"], None]
# Called with each access-log row as written (issue 8 hashes it into the log).
LogListener = Callable[[Connection, "ProjectedEvent", dict[str, Any]], None]
BATCH = 1000


@dataclass
class _PendingMessages:
    count: int
    latest: dt.datetime
    reopens: bool


class ProjectedEvent:
    """One stored event, opened lazily field by field."""

    def __init__(
        self, notification: Notification, decode: Callable[[Any], Any]
    ) -> None:
        self.id = notification.id
        self.originator_id: UUID = notification.originator_id  # type: ignore[assignment]
        self.version = notification.originator_version
        self.kind = notification.topic.rsplit(":", 1)[-1]
        self._raw: dict[str, Any] = orjson.loads(notification.state)
        self._decode = decode

    def __getitem__(self, name: str) -> Any:
        with sealing_context(event_context(self.originator_id, self.version)):
            return self._decode(self._raw.get(name))

    def stored(self, name: str) -> Any:
        """A field exactly as stored, still sealed: to commit to it unopened."""
        return self._raw.get(name)


class SqlReadModels(ReadModels):
    def __init__(self, engine: Engine, store: EventStore, vault: KeyVault) -> None:
        self._engine = engine
        self._store = store
        self._vault = vault
        self._lock = threading.Lock()
        self._pending_messages: dict[str, _PendingMessages] = {}
        transcoder = store.mapper.transcoder
        self._decode: Callable[[Any], Any] = transcoder._from_plain  # type: ignore[attr-defined]
        self._tables: list[sa.Table] = [
            access_log,
            blind_index,
            case_list,
            users,
            inboxes,
            workspaces,
        ]
        self._log_listeners: list[LogListener] = []
        self._followers: dict[str, list[ViewHandler]] = {}
        self._handlers: dict[str, ViewHandler] = {
            "Workspace.Created": self._workspace_created,
            "Inbox.Created": self._inbox_created,
            "User.Created": self._user_created,
            "User.TokenIssued": self._token_issued,
            "DataSubject.Registered": self._subject_registered,
            "DataSubject.IdentityAdded": self._identity_added,
            "DataSubject.Erased": self._subject_erased,
            "Case.Opened": self._case_opened,
            "Case.MessageReceived": self._message_added,
            "Case.ReplySent": self._message_added,
            "Case.Assigned": self._case_assigned,
            "Case.Forwarded": self._case_forwarded,
            "Case.Closed": self._case_closed,
            "Case.Reopened": self._case_reopened,
            "Case.Tagged": self._case_tagged,
            "Case.FlaggedSensitive": self._case_flagged,
            "Case.Unflagged": self._case_unflagged,
            "Case.Erased": self._case_erased,
            "CaseAccess.CaseRead": self._case_read,
        }

    def add_tables(self, *tables: sa.Table) -> None:
        """Tables a capability's handlers fill: emptied on rebuild."""
        self._tables.extend(tables)

    def add_log_listener(self, listener: LogListener) -> None:
        """Runs `listener` after each access-log row, in the same transaction."""
        self._log_listeners.append(listener)

    def add_follower(self, kind: str, handler: ViewHandler) -> None:
        """Runs `handler` after the main handler of `kind` (if any), in the same
        transaction: lets a capability react to events another one projects, such
        as an erasure that must also clean the capability's own tables."""
        self._followers.setdefault(kind, []).append(handler)

    def add_handler(self, kind: str, handler: ViewHandler) -> None:
        """Lets a capability project its own events (kind: "Aggregate.Event").

        Handlers run inside the catch-up transaction, with the position update, so
        they are applied exactly once; they must only write through `c`.
        """
        if kind in self._handlers:
            raise ValueError(f"a handler for {kind} is registered already")
        self._handlers[kind] = handler

    def log_access(
        self,
        c: Connection,
        e: ProjectedEvent,
        action: str,
        *,
        case_id: UUID | None = None,
        subject_id: UUID | None = None,
        actor_id: UUID | None = None,
        purpose: str | None = None,
        workspace_id: UUID | None = None,
        client_address: PersonalData | None = None,
        country: str | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        """Adds an access-log entry for a touch of personal data. `at` is when it
        happened by the application's clock (default: the event's timestamp); a
        client address must be sealed under that moment's log-period key."""
        self._log(
            c,
            e,
            action,
            case_id,
            subject_id,
            actor_id,
            purpose,
            client_address=client_address,
            country=country,
            workspace_id=workspace_id,
            at=at,
        )

    # Catching up

    def catch_up(self) -> int:
        applied = 0
        with self._lock:
            while True:
                position = self._position()
                notifications = self._store.recorder.select_notifications(
                    start=position + 1, limit=BATCH
                )
                if not notifications:
                    return applied
                if self._apply_batch(position, notifications):
                    applied += len(notifications)

    def rebuild(self) -> int:
        """Empties every view and projects the whole event store again."""
        with self._lock, self._engine.begin() as connection:
            for table in self._tables:
                connection.execute(sa.delete(table))
            connection.execute(
                sa.update(projection_positions)
                .where(projection_positions.c.projection == PROJECTION)
                .values(position=0)
            )
        return self.catch_up()

    def _position(self) -> int:
        with self._engine.connect() as connection:
            position = connection.execute(
                sa.select(projection_positions.c.position).where(
                    projection_positions.c.projection == PROJECTION
                )
            ).scalar()
        if position is None:
            try:
                with self._engine.begin() as connection:
                    connection.execute(
                        sa.insert(projection_positions).values(
                            projection=PROJECTION, position=0
                        )
                    )
            except sa.exc.IntegrityError:
                pass  # another process created it in between
            return 0
        return int(position)

    def _apply_batch(
        self, position: int, notifications: Sequence[Notification]
    ) -> bool:
        with self._engine.begin() as connection:
            claimed = connection.execute(
                sa.update(projection_positions)
                .where(
                    (projection_positions.c.projection == PROJECTION)
                    & (projection_positions.c.position == position)
                )
                .values(position=notifications[-1].id)
            )
            if claimed.rowcount != 1:
                connection.rollback()
                return False
            self._pending_messages = {}
            for notification in notifications:
                event = ProjectedEvent(notification, self._decode)
                if event.kind not in _MESSAGE_KINDS:
                    # Anything else about a case sees its message counts first.
                    self._flush_messages(connection, str(event.originator_id))
                handler = self._handlers.get(event.kind)
                if handler is not None:
                    handler(connection, event)
                for follower in self._followers.get(event.kind, ()):
                    follower(connection, event)
            self._flush_messages(connection, None)
        return True

    # Handlers

    def _workspace_created(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.insert(workspaces).values(
                workspace_id=str(e.originator_id),
                name=e["name"],
                is_test=e["is_test"],
                created_at=e["created_at"],
            )
        )

    def _inbox_created(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.insert(inboxes).values(
                inbox_id=str(e.originator_id),
                workspace_id=str(e["workspace_id"]),
                name=e["name"],
                channel=e["channel"],
            )
        )

    def _user_created(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.insert(users).values(
                user_id=str(e.originator_id),
                workspace_id=str(e["workspace_id"]),
                role=e["role"],
                token_hash=e["token_hash"],
                active=True,
            )
        )

    def _token_issued(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.update(users)
            .where(users.c.user_id == str(e.originator_id))
            .values(token_hash=e["token_hash"])
        )

    def _subject_registered(self, c: Connection, e: ProjectedEvent) -> None:
        self._index(c, e.originator_id, e["workspace_id"], e["identity_hashes"])

    def _identity_added(self, c: Connection, e: ProjectedEvent) -> None:
        workspace_id = c.execute(
            sa.select(blind_index.c.workspace_id)
            .where(blind_index.c.subject_id == str(e.originator_id))
            .limit(1)
        ).scalar()
        if workspace_id is not None:
            self._index(c, e.originator_id, UUID(workspace_id), [e["identity_hash"]])

    def _index(
        self,
        c: Connection,
        subject_id: UUID,
        workspace_id: UUID,
        digests: list[PersonalData],
    ) -> None:
        for digest in digests:
            if digest.is_erased:
                continue  # erased subjects never come back into the index
            key = {"workspace_id": str(workspace_id), "digest": digest.text()}
            if c.execute(_FIND_DIGEST, key).first() is None:
                c.execute(_INSERT_DIGEST, {**key, "subject_id": str(subject_id)})

    def _subject_erased(self, c: Connection, e: ProjectedEvent) -> None:
        owners = [str(owner) for owner in e["shredded_owner_ids"]]
        # Repeats the shredding in this transaction: if the erasing process died
        # after recording the event, catching up finishes the job.
        c.execute(sa.delete(data_keys).where(data_keys.c.owner_id.in_(owners)))
        self._vault.forget_cached()
        c.execute(
            sa.delete(blind_index).where(
                blind_index.c.subject_id == str(e.originator_id)
            )
        )
        c.execute(
            sa.update(case_list)
            .where(case_list.c.subject_id == str(e.originator_id))
            .values(subject_id=None)
        )
        self._log(
            c,
            e,
            "subject.erased",
            None,
            e.originator_id,
            e["actor_id"],
            e["reason"],
            workspace_id=e["workspace_id"],
        )

    def _case_opened(self, c: Connection, e: ProjectedEvent) -> None:
        opened_at = e["opened_at"]
        subject_id = e["subject_id"]
        c.execute(
            _INSERT_CASE,
            dict(
                case_id=str(e.originator_id),
                workspace_id=str(e["workspace_id"]),
                inbox_id=str(e["inbox_id"]),
                channel=e["channel"],
                subject_id=None if subject_id is None else str(subject_id),
                thread_hash=e["thread_hash"],
                status="open",
                opened_at=opened_at,
                last_activity_at=opened_at,
                message_count=0,
                sensitive=False,
                categories="",
                tags="",
            ),
        )

    def _message_added(self, c: Connection, e: ProjectedEvent) -> None:
        # Messages are most of the event store: their count and activity time are
        # gathered per case and written once per batch.
        case_id = str(e.originator_id)
        sent_at = e["sent_at"]
        reopens = e.kind == "Case.MessageReceived" and e["direction"] == "inbound"
        pending = self._pending_messages.get(case_id)
        if pending is None:
            self._pending_messages[case_id] = _PendingMessages(1, sent_at, reopens)
        else:
            pending.count += 1
            pending.latest = max(pending.latest, sent_at)
            pending.reopens = pending.reopens or reopens

    def _flush_messages(self, c: Connection, case_id: str | None) -> None:
        if case_id is None:
            batch = self._pending_messages
            self._pending_messages = {}
        elif case_id in self._pending_messages:
            batch = {case_id: self._pending_messages.pop(case_id)}
        else:
            return
        counted = [
            {"cid": cid, "n": p.count, "at": p.latest} for cid, p in batch.items()
        ]
        reopened = [{"cid": cid} for cid, p in batch.items() if p.reopens]
        if counted:
            c.execute(_COUNT_MESSAGES, counted)
        if reopened:
            c.execute(_REOPEN_BY_MESSAGE, reopened)

    def _case_assigned(self, c: Connection, e: ProjectedEvent) -> None:
        self._update_case(c, e, assignee_id=str(e["assignee_id"]))
        self._log(
            c,
            e,
            "case.assigned",
            e.originator_id,
            None,
            e["actor_id"],
            f"assigned to {e['assignee_id']}",
        )

    def _case_forwarded(self, c: Connection, e: ProjectedEvent) -> None:
        recipient = e["recipient_id"]
        target = f"user {recipient}" if recipient else "an external address"
        self._log(
            c,
            e,
            "case.forwarded",
            e.originator_id,
            None,
            e["actor_id"],
            f"forwarded to {target}",
        )

    def _case_closed(self, c: Connection, e: ProjectedEvent) -> None:
        self._update_case(c, e, status="closed", closed_at=e["at"])

    def _case_reopened(self, c: Connection, e: ProjectedEvent) -> None:
        self._update_case(c, e, status="open", closed_at=None)

    def _case_tagged(self, c: Connection, e: ProjectedEvent) -> None:
        current = (
            c.execute(
                sa.select(case_list.c.tags).where(
                    case_list.c.case_id == str(e.originator_id)
                )
            ).scalar()
            or ""
        )
        tags = [tag for tag in current.split("\n") if tag]
        tags.extend(tag for tag in e["tags"] if tag not in tags)
        self._update_case(c, e, tags="\n".join(tags))

    def _case_flagged(self, c: Connection, e: ProjectedEvent) -> None:
        current = (
            c.execute(
                sa.select(case_list.c.categories).where(
                    case_list.c.case_id == str(e.originator_id)
                )
            ).scalar()
            or ""
        )
        categories = sorted({*filter(None, current.split(",")), *e["categories"]})
        self._update_case(c, e, sensitive=True, categories=",".join(categories))
        self._log(
            c,
            e,
            "case.flagged",
            e.originator_id,
            None,
            e["actor_id"],
            f"{e['source']}: {','.join(e['categories'])}",
        )

    def _case_unflagged(self, c: Connection, e: ProjectedEvent) -> None:
        self._update_case(c, e, sensitive=False, categories="")
        self._log(
            c, e, "case.unflagged", e.originator_id, None, e["actor_id"], e["reason"]
        )

    def _case_erased(self, c: Connection, e: ProjectedEvent) -> None:
        if e.originator_id in e["shredded_owner_ids"]:
            self._update_case(
                c,
                e,
                subject_id=None,
                status="closed",
                closed_at=sa.func.coalesce(case_list.c.closed_at, e["timestamp"]),
            )
        else:
            self._update_case(c, e, subject_id=None)

    def _case_read(self, c: Connection, e: ProjectedEvent) -> None:
        subject_id = e["subject_id"]
        self._log(
            c,
            e,
            "case.read",
            e["case_id"],
            subject_id,
            e["actor_id"],
            e["purpose"],
            client_address=e["client_address"],
            country=e["country"],
            at=e["read_at"],
            workspace_id=e["workspace_id"],
        )

    def _update_case(self, c: Connection, e: ProjectedEvent, **values: Any) -> None:
        c.execute(
            sa.update(case_list)
            .where(case_list.c.case_id == str(e.originator_id))
            .values(**values)
        )

    def _log(
        self,
        c: Connection,
        e: ProjectedEvent,
        action: str,
        case_id: UUID | None,
        subject_id: UUID | None,
        actor_id: UUID | None,
        purpose: str | None,
        *,
        client_address: PersonalData | None = None,
        country: str | None = None,
        at: dt.datetime | None = None,
        workspace_id: UUID | None = None,
    ) -> None:
        occurred_at = at or e["timestamp"]
        workspace = None if workspace_id is None else str(workspace_id)
        # A read already names its workspace and subject: no lookup per read.
        if case_id is not None and (workspace is None or subject_id is None):
            row = c.execute(_CASE_OWNERSHIP, {"cid": str(case_id)}).first()
            if row is not None:
                workspace = row.workspace_id
                if subject_id is None and row.subject_id:
                    subject_id = UUID(row.subject_id)
        if workspace is None:
            workspace = str(e["workspace_id"])
        sealed_address = None
        if client_address is not None and not client_address.is_erased:
            sealed_address = self._vault.seal(
                client_address.owner_id,
                "client_address",
                client_address.text().encode(),
                f"access_log/{e.id}",
            )
        entry = {
            "notification_id": e.id,
            "workspace_id": workspace,
            "action": action,
            "case_id": None if case_id is None else str(case_id),
            "subject_id": None if subject_id is None else str(subject_id),
            "actor_id": None if actor_id is None else str(actor_id),
            "purpose": (purpose or "")[:200],
            "client_address": sealed_address,
            "country": country,
            "period": log_period_label(occurred_at),
            "occurred_at": occurred_at,
        }
        c.execute(_INSERT_ACCESS_LOG, entry)
        for listener in self._log_listeners:
            listener(c, e, entry)

    # Queries

    def workspace(self, workspace_id: UUID) -> WorkspaceRecord | None:
        row = self._one(
            sa.select(workspaces).where(workspaces.c.workspace_id == str(workspace_id))
        )
        return None if row is None else _workspace(row)

    def workspaces(self) -> list[WorkspaceRecord]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(workspaces).order_by(workspaces.c.created_at)
            ).all()
        return [_workspace(row) for row in rows]

    def inbox(self, inbox_id: UUID) -> InboxRecord | None:
        row = self._one(sa.select(inboxes).where(inboxes.c.inbox_id == str(inbox_id)))
        return None if row is None else _inbox(row)

    def inboxes(self, workspace_id: UUID) -> list[InboxRecord]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(inboxes)
                .where(inboxes.c.workspace_id == str(workspace_id))
                .order_by(inboxes.c.name)
            ).all()
        return [_inbox(row) for row in rows]

    def user(self, user_id: UUID) -> UserRecord | None:
        row = self._one(sa.select(users).where(users.c.user_id == str(user_id)))
        return None if row is None else _user(row)

    def user_by_token_hash(self, token_hash: str) -> UserRecord | None:
        row = self._one(sa.select(users).where(users.c.token_hash == token_hash))
        return None if row is None else _user(row)

    def subject_by_digest(self, workspace_id: UUID, digest: str) -> UUID | None:
        row = self._one(
            sa.select(blind_index.c.subject_id).where(
                (blind_index.c.workspace_id == str(workspace_id))
                & (blind_index.c.digest == digest)
            )
        )
        return None if row is None else UUID(row.subject_id)

    def open_case_for_thread(
        self, workspace_id: UUID, inbox_id: UUID, thread_hash: str
    ) -> UUID | None:
        row = self._one(
            sa.select(case_list.c.case_id)
            .where(
                (case_list.c.workspace_id == str(workspace_id))
                & (case_list.c.inbox_id == str(inbox_id))
                & (case_list.c.thread_hash == thread_hash)
                & (case_list.c.status == "open")
            )
            .order_by(case_list.c.opened_at.desc())
            .limit(1)
        )
        return None if row is None else UUID(row.case_id)

    def case_summary(self, case_id: UUID) -> CaseSummary | None:
        row = self._one(sa.select(case_list).where(case_list.c.case_id == str(case_id)))
        return None if row is None else _case(row)

    def cases(
        self,
        workspace_id: UUID,
        *,
        inbox_id: UUID | None = None,
        status: str | None = None,
        subject_id: UUID | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[CaseSummary]:
        query = sa.select(case_list).where(
            case_list.c.workspace_id == str(workspace_id)
        )
        if inbox_id is not None:
            query = query.where(case_list.c.inbox_id == str(inbox_id))
        if status is not None:
            query = query.where(case_list.c.status == status)
        if subject_id is not None:
            query = query.where(case_list.c.subject_id == str(subject_id))
        query = (
            query.order_by(case_list.c.last_activity_at.desc(), case_list.c.case_id)
            .limit(limit)
            .offset(offset)
        )
        with self._engine.connect() as connection:
            return [_case(row) for row in connection.execute(query).all()]

    def access_log(self, query: AccessLogFilter) -> list[AccessLogEntry]:
        c = access_log.c
        statement = sa.select(access_log).where(
            (c.workspace_id == str(query.workspace_id))
            & (c.notification_id > query.after_entry)
        )
        if query.case_id is not None:
            statement = statement.where(c.case_id == str(query.case_id))
        if query.subject_id is not None:
            statement = statement.where(c.subject_id == str(query.subject_id))
        if query.actor_id is not None:
            statement = statement.where(c.actor_id == str(query.actor_id))
        if query.since is not None:
            statement = statement.where(c.occurred_at >= query.since)
        if query.until is not None:
            statement = statement.where(c.occurred_at < query.until)
        statement = statement.order_by(c.notification_id).limit(query.limit)
        with self._engine.connect() as connection:
            rows = connection.execute(statement).all()
        return [self._entry(row) for row in rows]

    def blind_index_rows(self, subject_id: UUID) -> int:
        with self._engine.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count())
                    .select_from(blind_index)
                    .where(blind_index.c.subject_id == str(subject_id))
                ).scalar_one()
            )

    def _entry(self, row: Any) -> AccessLogEntry:
        address = None
        if row.client_address is not None:
            occurred = _aware(row.occurred_at)
            owner = log_period_owner(UUID(row.workspace_id), occurred)
            try:
                opened = self._vault.open(
                    owner,
                    "client_address",
                    row.client_address,
                    f"access_log/{row.notification_id}",
                )
            except TamperedCiphertextError:
                log.error("views.authentication_failed", entry=row.notification_id)
                opened = UNREADABLE_MARKER.encode()
            address = ERASED_MARKER if opened is None else opened.decode()
        return AccessLogEntry(
            entry_id=row.notification_id,
            workspace_id=UUID(row.workspace_id),
            action=row.action,
            case_id=_uuid(row.case_id),
            subject_id=_uuid(row.subject_id),
            actor_id=_uuid(row.actor_id),
            purpose=row.purpose,
            client_address=address,
            country=row.country,
            occurred_at=_aware(row.occurred_at),
        )

    def _one(self, statement: Any) -> Any:
        with self._engine.connect() as connection:
            return connection.execute(statement).first()


def _uuid(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands datetimes back without their zone; they were stored as UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _workspace(row: Any) -> WorkspaceRecord:
    return WorkspaceRecord(
        UUID(row.workspace_id), row.name, row.is_test, _aware(row.created_at)
    )


def _inbox(row: Any) -> InboxRecord:
    return InboxRecord(
        UUID(row.inbox_id), UUID(row.workspace_id), row.name, row.channel
    )


def _user(row: Any) -> UserRecord:
    return UserRecord(UUID(row.user_id), UUID(row.workspace_id), row.role, row.active)


def _case(row: Any) -> CaseSummary:
    return CaseSummary(
        case_id=UUID(row.case_id),
        workspace_id=UUID(row.workspace_id),
        inbox_id=UUID(row.inbox_id),
        channel=row.channel,
        subject_id=_uuid(row.subject_id),
        status=row.status,
        opened_at=_aware(row.opened_at),
        closed_at=None if row.closed_at is None else _aware(row.closed_at),
        last_activity_at=_aware(row.last_activity_at),
        message_count=row.message_count,
        assignee_id=_uuid(row.assignee_id),
        sensitive=row.sensitive,
        categories=tuple(filter(None, row.categories.split(","))),
        tags=tuple(filter(None, row.tags.split("\n"))),
        anonymised_mode=row.anonymised_mode,
    )
