"""Projections of anonymisations, forms and bulk jobs (issue 5).

The `Case.Anonymised` handler deletes the keys the event names inside the
catch-up transaction: if the anonymising process died after storing the event,
whoever catches up next finishes the shredding, exactly once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from application.ports import (
    AnonymisationRecord,
    AnonymisationViews,
    FormRecord,
    JobRecord,
)
from infrastructure.db import (
    anonymisation_jobs,
    case_anonymisations,
    case_list,
    data_keys,
    forms,
)
from infrastructure.vault import KeyVault
from infrastructure.views import ProjectedEvent, SqlReadModels


class SqlAnonymisationViews(AnonymisationViews):
    def __init__(self, engine: Engine, views: SqlReadModels, vault: KeyVault) -> None:
        self._engine = engine
        self._views = views
        self._vault = vault

    def register(self) -> None:
        self._views.add_tables(case_anonymisations, forms, anonymisation_jobs)
        for kind, handler in {
            "Case.Anonymised": self._case_anonymised,
            "Form.Defined": self._form_changed,
            "Form.FieldsChanged": self._form_changed,
            "AnonymisationJob.Started": self._job_started,
            "AnonymisationJob.CaseAnonymised": self._job_case_anonymised,
            "AnonymisationJob.CaseSkipped": self._job_case_skipped,
            "AnonymisationJob.Finished": self._job_finished,
        }.items():
            self._views.add_handler(kind, handler)

    # Handlers

    def _case_anonymised(self, c: Connection, e: ProjectedEvent) -> None:
        owners = [str(owner) for owner in e["shredded_owner_ids"]]
        c.execute(sa.delete(data_keys).where(data_keys.c.owner_id.in_(owners)))
        self._vault.forget_cached()
        case_id = str(e.originator_id)
        row = c.execute(
            sa.select(case_list.c.workspace_id, case_list.c.status).where(
                case_list.c.case_id == case_id
            )
        ).first()
        if row is None:
            return
        values: dict[str, Any] = {
            "subject_id": None,
            # The thread digest would tie the customer's next case to this one.
            "thread_hash": "",
            "anonymised_mode": e["mode"],
        }
        if row.status == "open":
            values.update(status="closed", closed_at=e["at"])
        c.execute(
            sa.update(case_list).where(case_list.c.case_id == case_id).values(**values)
        )
        counts: dict[str, int] = e["counts"]
        actor_id = e["actor_id"]
        c.execute(
            sa.insert(case_anonymisations).values(
                case_id=case_id,
                workspace_id=row.workspace_id,
                mode=e["mode"],
                reason=e["reason"][:200],
                actor_id=None if actor_id is None else str(actor_id),
                job_id=None,
                anonymised_at=e["at"],
                messages=counts.get("messages", 0),
                characters_before=counts.get("characters_before", 0),
                characters_after=counts.get("characters_after", 0),
                redactions=counts.get("redactions", 0),
                attachments_removed=counts.get("attachments_removed", 0),
                fields_removed=counts.get("fields_removed", 0),
                personal_tags_removed=counts.get("personal_tags_removed", 0),
            )
        )
        self._views.log_access(
            c,
            e,
            "case.anonymised",
            case_id=e.originator_id,
            actor_id=actor_id,
            purpose=f"{e['mode']}: {e['reason']}",
        )

    def _form_changed(self, c: Connection, e: ProjectedEvent) -> None:
        form_id = str(e.originator_id)
        values = {
            "name": e["name"],
            "version": e.version,
            "fields": orjson.dumps(e["fields"]).decode(),
            "changed_at": e["timestamp"],
        }
        if e.kind == "Form.Defined":
            c.execute(
                sa.insert(forms).values(
                    form_id=form_id,
                    workspace_id=str(e["workspace_id"]),
                    inbox_id=str(e["inbox_id"]),
                    **values,
                )
            )
        else:
            c.execute(sa.update(forms).where(forms.c.form_id == form_id).values(values))

    def _job_started(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.insert(anonymisation_jobs).values(
                job_id=str(e.originator_id),
                workspace_id=str(e["workspace_id"]),
                status="running",
                total=len(e["case_ids"]),
                anonymised=0,
                skipped=0,
                started_at=e["started_at"],
            )
        )

    def _job_case_anonymised(self, c: Connection, e: ProjectedEvent) -> None:
        job = anonymisation_jobs.c
        c.execute(
            sa.update(anonymisation_jobs)
            .where(job.job_id == str(e.originator_id))
            .values(anonymised=job.anonymised + 1)
        )
        c.execute(
            sa.update(case_anonymisations)
            .where(case_anonymisations.c.case_id == str(e["case_id"]))
            .values(job_id=str(e.originator_id))
        )

    def _job_case_skipped(self, c: Connection, e: ProjectedEvent) -> None:
        job = anonymisation_jobs.c
        c.execute(
            sa.update(anonymisation_jobs)
            .where(job.job_id == str(e.originator_id))
            .values(skipped=job.skipped + 1)
        )

    def _job_finished(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.update(anonymisation_jobs)
            .where(anonymisation_jobs.c.job_id == str(e.originator_id))
            .values(status="finished", finished_at=e["at"])
        )

    # Queries

    def forms(self, workspace_id: UUID) -> list[FormRecord]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(forms)
                .where(forms.c.workspace_id == str(workspace_id))
                .order_by(forms.c.name, forms.c.form_id)
            ).all()
        return [
            FormRecord(
                form_id=UUID(row.form_id),
                workspace_id=UUID(row.workspace_id),
                inbox_id=UUID(row.inbox_id),
                name=row.name,
                version=row.version,
                fields=tuple(orjson.loads(row.fields)),
                changed_at=_aware(row.changed_at),
            )
            for row in rows
        ]

    def anonymisations(
        self, workspace_id: UUID, *, limit: int = 100, offset: int = 0
    ) -> list[AnonymisationRecord]:
        table = case_anonymisations
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(table)
                .where(table.c.workspace_id == str(workspace_id))
                .order_by(table.c.anonymised_at.desc(), table.c.case_id)
                .limit(limit)
                .offset(offset)
            ).all()
        return [_anonymisation(row) for row in rows]

    def anonymisation(self, case_id: UUID) -> AnonymisationRecord | None:
        table = case_anonymisations
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(table).where(table.c.case_id == str(case_id))
            ).first()
        return None if row is None else _anonymisation(row)

    def job(self, job_id: UUID) -> JobRecord | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(anonymisation_jobs).where(
                    anonymisation_jobs.c.job_id == str(job_id)
                )
            ).first()
        if row is None:
            return None
        return JobRecord(
            job_id=UUID(row.job_id),
            workspace_id=UUID(row.workspace_id),
            status=row.status,
            total=row.total,
            anonymised=row.anonymised,
            skipped=row.skipped,
            started_at=_aware(row.started_at),
            finished_at=None if row.finished_at is None else _aware(row.finished_at),
        )


def _anonymisation(row: Any) -> AnonymisationRecord:
    return AnonymisationRecord(
        case_id=UUID(row.case_id),
        workspace_id=UUID(row.workspace_id),
        mode=row.mode,
        reason=row.reason,
        actor_id=None if row.actor_id is None else UUID(row.actor_id),
        job_id=None if row.job_id is None else UUID(row.job_id),
        anonymised_at=_aware(row.anonymised_at),
        messages=row.messages,
        characters_before=row.characters_before,
        characters_after=row.characters_after,
        redactions=row.redactions,
        attachments_removed=row.attachments_removed,
        fields_removed=row.fields_removed,
        personal_tags_removed=row.personal_tags_removed,
    )


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands datetimes back without their zone; they were stored as UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
