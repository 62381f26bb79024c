"""The access-request queue and lookups, projected from request events, plus the
author index over inbound case messages.

Only blind-index digests, ids, states and times land here; identities and codes
stay sealed in the events.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from application.access_export import author_address
from application.access_requests import AccessRequestReadModel, ExportLink, QueueItem
from application.ports import IdentifierHasher
from domain.model import identity_kind
from infrastructure.db import (
    access_request_codes,
    access_request_export_subjects,
    access_request_exports,
    access_request_identities,
    access_requests,
    case_authors,
    case_list,
    data_keys,
)
from infrastructure.vault import KeyVault
from infrastructure.views import ProjectedEvent, SqlReadModels

TABLES = (
    access_requests,
    access_request_identities,
    access_request_codes,
    access_request_exports,
    access_request_export_subjects,
    case_authors,
)


class SqlAccessRequestReadModel(AccessRequestReadModel):
    def __init__(
        self,
        engine: Engine,
        views: SqlReadModels,
        hasher: IdentifierHasher,
        vault: KeyVault,
    ) -> None:
        self._engine = engine
        self._views = views
        self._hasher = hasher
        self._vault = vault

    def install(self) -> None:
        views = self._views
        views.add_tables(*TABLES)
        handlers = {
            "AccessRequest.Submitted": self._submitted,
            "AccessRequest.IdentityAdded": self._identity_added,
            "AccessRequest.CodeSent": self._code_sent,
            "AccessRequest.IdentityProven": self._identity_proven,
            "AccessRequest.SentForReview": self._state("ready_for_review"),
            "AccessRequest.Assigned": self._assigned,
            "AccessRequest.DeadlineExtended": self._extended,
            "AccessRequest.Approved": self._state("approved"),
            "AccessRequest.FileGenerated": self._file_generated,
            "AccessRequest.Rejected": self._state("rejected"),
            "AccessRequest.Downloaded": self._downloaded,
            "AccessRequest.LinkRevoked": self._export_status("revoked"),
            "AccessRequest.Expired": self._export_status("expired"),
        }
        for kind, handler in handlers.items():
            views.add_handler(kind, handler)
        views.add_follower("Case.MessageReceived", self._message_received)
        views.add_follower("Case.Erased", self._case_erased)
        views.add_follower("DataSubject.Erased", self._subject_erased)

    # Handlers

    def _submitted(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.insert(access_requests).values(
                request_id=str(e.originator_id),
                workspace_id=str(e["workspace_id"]),
                state="submitted",
                language=e["language"],
                token_hash=e["access_token_hash"],
                submitted_at=e["submitted_at"],
                due_at=e["due_at"],
                extended=False,
                group_id=str(e.originator_id),
                identities_total=0,
                identities_proven=0,
                kinds="",
            )
        )

    def _identity_added(self, c: Connection, e: ProjectedEvent) -> None:
        row = self._request_row(c, e.originator_id)
        digest = e["digest"]
        if row is None or digest.is_erased:
            return
        c.execute(
            sa.insert(access_request_identities).values(
                request_id=str(e.originator_id),
                identity_id=str(e["identity_id"]),
                workspace_id=row.workspace_id,
                kind=e["kind"],
                digest=digest.text(),
                proven=False,
            )
        )
        kinds = sorted({*filter(None, row.kinds.split(",")), e["kind"]})
        self._update(
            c,
            e,
            state="verifying",
            identities_total=row.identities_total + 1,
            kinds=",".join(kinds),
        )

    def _code_sent(self, c: Connection, e: ProjectedEvent) -> None:
        identity = self._identity_row(c, e.originator_id, e["identity_id"])
        if identity is None:
            return
        c.execute(
            sa.insert(access_request_codes).values(
                notification_id=e.id,
                workspace_id=identity.workspace_id,
                digest=identity.digest,
                sent_at=e["sent_at"],
            )
        )

    def _identity_proven(self, c: Connection, e: ProjectedEvent) -> None:
        identity = self._identity_row(c, e.originator_id, e["identity_id"])
        row = self._request_row(c, e.originator_id)
        if identity is None or row is None:
            return
        t = access_request_identities.c
        c.execute(
            sa.update(access_request_identities)
            .where(
                (t.request_id == str(e.originator_id))
                & (t.identity_id == str(e["identity_id"]))
            )
            .values(proven=True)
        )
        # Repeated requests from one person share a proven identity: they join
        # the group of the earliest such request.
        earlier = c.execute(
            sa.select(access_requests.c.group_id)
            .join(
                access_request_identities,
                access_request_identities.c.request_id == access_requests.c.request_id,
            )
            .where(
                (t.workspace_id == identity.workspace_id)
                & (t.digest == identity.digest)
                & t.proven
                & (t.request_id != str(e.originator_id))
            )
            .order_by(access_requests.c.submitted_at)
            .limit(1)
        ).scalar()
        values: dict[str, Any] = {"identities_proven": row.identities_proven + 1}
        if earlier is not None and row.group_id == str(e.originator_id):
            values["group_id"] = earlier
        self._update(c, e, **values)

    def _state(self, state: str) -> Any:
        def handler(c: Connection, e: ProjectedEvent) -> None:
            self._update(c, e, state=state)

        return handler

    def _assigned(self, c: Connection, e: ProjectedEvent) -> None:
        self._update(c, e, assignee_id=str(e["assignee_id"]))

    def _extended(self, c: Connection, e: ProjectedEvent) -> None:
        self._update(c, e, due_at=e["due_at"], extended=True)

    def _file_generated(self, c: Connection, e: ProjectedEvent) -> None:
        row = self._request_row(c, e.originator_id)
        if row is None:
            return
        export_id = str(e["export_id"])
        c.execute(
            sa.insert(access_request_exports).values(
                export_id=export_id,
                request_id=str(e.originator_id),
                workspace_id=row.workspace_id,
                status="live",
                created_at=e["timestamp"],
                expires_at=e["expires_at"],
                size=e["size"],
                content_sha256=e["content_sha256"],
            )
        )
        subject_ids = [str(s) for s in e["subject_ids"]]
        for subject_id in subject_ids:
            c.execute(
                sa.insert(access_request_export_subjects).values(
                    export_id=export_id, subject_id=subject_id
                )
            )
        self._views.log_access(
            c,
            e,
            "access_request.exported",
            subject_id=UUID(subject_ids[0]) if subject_ids else None,
            actor_id=e["actor_id"],
            purpose=f"access request {e.originator_id}: file {export_id}",
            workspace_id=UUID(row.workspace_id),
        )

    def _downloaded(self, c: Connection, e: ProjectedEvent) -> None:
        row = self._request_row(c, e.originator_id)
        if row is None:
            return
        actor = e["actor_id"]
        if actor is None:
            self._update(c, e, state="delivered")
        subject = c.execute(
            sa.select(access_request_export_subjects.c.subject_id)
            .where(access_request_export_subjects.c.export_id == str(e["export_id"]))
            .limit(1)
        ).scalar()
        who = "the data subject" if actor is None else "an authorised system"
        self._views.log_access(
            c,
            e,
            "access_request.downloaded",
            subject_id=None if subject is None else UUID(subject),
            actor_id=actor,
            purpose=f"access request {e.originator_id}: downloaded by {who}",
            workspace_id=UUID(row.workspace_id),
            client_address=e["client_address"],
            country=e["country"],
            at=e["at"],
        )

    def _export_status(self, status: str) -> Any:
        def handler(c: Connection, e: ProjectedEvent) -> None:
            c.execute(
                sa.update(access_request_exports)
                .where(access_request_exports.c.export_id == str(e["export_id"]))
                .values(status=status)
            )

        return handler

    def _message_received(self, c: Connection, e: ProjectedEvent) -> None:
        if e["direction"] != "inbound":
            return
        case = c.execute(
            sa.select(case_list.c.workspace_id, case_list.c.channel).where(
                case_list.c.case_id == str(e.originator_id)
            )
        ).first()
        author = e["author"]
        address = None if author.is_erased else author_address(author.text())
        if case is None or not address:
            return
        kind = identity_kind(address, case.channel)
        key = {
            "workspace_id": case.workspace_id,
            "digest": self._hasher.digest(kind, address),
            "case_id": str(e.originator_id),
        }
        t = case_authors.c
        exists = c.execute(
            sa.select(t.case_id).where(
                (t.workspace_id == key["workspace_id"])
                & (t.digest == key["digest"])
                & (t.case_id == key["case_id"])
            )
        ).first()
        if exists is None:
            c.execute(sa.insert(case_authors).values(**key))

    def _case_erased(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.delete(case_authors).where(
                case_authors.c.case_id == str(e.originator_id)
            )
        )

    def _subject_erased(self, c: Connection, e: ProjectedEvent) -> None:
        """Our copies of the subject's data go with them: each stored file's key
        is destroyed in the erasure's own transaction."""
        s = access_request_export_subjects.c
        export_ids = [
            row.export_id
            for row in c.execute(
                sa.select(s.export_id).where(s.subject_id == str(e.originator_id))
            )
        ]
        if not export_ids:
            return
        c.execute(sa.delete(data_keys).where(data_keys.c.owner_id.in_(export_ids)))
        self._vault.forget_cached()
        c.execute(
            sa.update(access_request_exports)
            .where(access_request_exports.c.export_id.in_(export_ids))
            .values(status="shredded")
        )

    def _update(self, c: Connection, e: ProjectedEvent, **values: Any) -> None:
        c.execute(
            sa.update(access_requests)
            .where(access_requests.c.request_id == str(e.originator_id))
            .values(**values)
        )

    def _request_row(self, c: Connection, request_id: UUID) -> Any:
        return c.execute(
            sa.select(access_requests).where(
                access_requests.c.request_id == str(request_id)
            )
        ).first()

    def _identity_row(self, c: Connection, request_id: UUID, identity_id: Any) -> Any:
        t = access_request_identities.c
        return c.execute(
            sa.select(access_request_identities).where(
                (t.request_id == str(request_id)) & (t.identity_id == str(identity_id))
            )
        ).first()

    # Queries

    def request_by_token_hash(self, token_hash: str) -> UUID | None:
        with self._engine.connect() as c:
            found = c.execute(
                sa.select(access_requests.c.request_id).where(
                    access_requests.c.token_hash == token_hash
                )
            ).scalar()
        return None if found is None else UUID(found)

    def queue(
        self,
        workspace_id: UUID,
        *,
        state: str | None = None,
        assignee_id: UUID | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[QueueItem]:
        t = access_requests.c
        query = sa.select(access_requests).where(t.workspace_id == str(workspace_id))
        if state is not None:
            query = query.where(t.state == state)
        if assignee_id is not None:
            query = query.where(t.assignee_id == str(assignee_id))
        query = query.order_by(t.due_at, t.request_id).limit(limit).offset(offset)
        with self._engine.connect() as c:
            return [_item(row) for row in c.execute(query)]

    def queue_item(self, request_id: UUID) -> QueueItem | None:
        with self._engine.connect() as c:
            row = self._request_row(c, request_id)
        return None if row is None else _item(row)

    def codes_sent(self, workspace_id: UUID, digest: str, since: dt.datetime) -> int:
        t = access_request_codes.c
        with self._engine.connect() as c:
            return int(
                c.execute(
                    sa.select(sa.func.count()).where(
                        (t.workspace_id == str(workspace_id))
                        & (t.digest == digest)
                        & (t.sent_at >= since)
                    )
                ).scalar_one()
            )

    def authored_cases(self, workspace_id: UUID, digests: set[str]) -> list[UUID]:
        if not digests:
            return []
        t = case_authors.c
        with self._engine.connect() as c:
            rows = c.execute(
                sa.select(t.case_id)
                .distinct()
                .where((t.workspace_id == str(workspace_id)) & t.digest.in_(digests))
            )
            return sorted(UUID(row.case_id) for row in rows)

    def exports_due(self, now: dt.datetime) -> list[ExportLink]:
        t = access_request_exports.c
        return self._links(
            sa.select(access_request_exports).where(
                (t.status == "live") & (t.expires_at <= now)
            )
        )

    def exports_of_subject(self, subject_id: UUID) -> list[ExportLink]:
        s = access_request_export_subjects.c
        t = access_request_exports.c
        return self._links(
            sa.select(access_request_exports)
            .join(access_request_export_subjects, s.export_id == t.export_id)
            .where(s.subject_id == str(subject_id))
        )

    def _links(self, query: Any) -> list[ExportLink]:
        with self._engine.connect() as c:
            return [
                ExportLink(
                    UUID(row.export_id),
                    UUID(row.request_id),
                    row.status,
                    _aware(row.expires_at),
                )
                for row in c.execute(query)
            ]


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _item(row: Any) -> QueueItem:
    return QueueItem(
        request_id=UUID(row.request_id),
        workspace_id=UUID(row.workspace_id),
        state=row.state,
        language=row.language,
        submitted_at=_aware(row.submitted_at),
        due_at=_aware(row.due_at),
        extended=row.extended,
        assignee_id=None if row.assignee_id is None else UUID(row.assignee_id),
        group_id=UUID(row.group_id),
        identities_total=row.identities_total,
        identities_proven=row.identities_proven,
        kinds=tuple(filter(None, row.kinds.split(","))),
    )
