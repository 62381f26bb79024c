"""Retention in the infrastructure: the purge runs' projection, the leader lock
and the scheduler that runs purges and signs checkpoints.

A shredded log period leaves the access log and keeps only its leaf hashes in
the Merkle log, so old checkpoints and extracts still verify across the gap.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import sqlalchemy as sa
import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.engine import Connection, Engine

from application import retention
from application.audit import AuditLog
from application.context import Context
from application.retention import LeaderLock, RetentionRuns
from domain.model import log_period_owner
from infrastructure.db import (
    access_log,
    audit_leaves,
    data_keys,
    purged_log_periods,
    retention_runs,
)
from infrastructure.views import ProjectedEvent, SqlReadModels

log = structlog.get_logger(__name__)

# One advisory-lock key for the whole installation: "gdprkit-purge" as a number.
ADVISORY_KEY = zlib.crc32(b"gdprkit-purge")


class SqlRetentionRuns(RetentionRuns):
    def __init__(self, engine: Engine, views: SqlReadModels) -> None:
        self._engine = engine
        self._views = views

    def register(self) -> None:
        self._views.add_tables(retention_runs, purged_log_periods)
        self._views.add_handler("PurgeRun.Started", self._started)
        self._views.add_handler("PurgeRun.ItemPurged", self._item_purged)
        self._views.add_handler("PurgeRun.Completed", self._completed)

    def unfinished(self, workspace_id: UUID) -> UUID | None:
        with self._engine.connect() as c:
            run_id = c.execute(
                sa.select(retention_runs.c.run_id)
                .where(
                    (retention_runs.c.workspace_id == str(workspace_id))
                    & (retention_runs.c.status == "running")
                )
                .order_by(retention_runs.c.started_at)
                .limit(1)
            ).scalar()
        return None if run_id is None else UUID(run_id)

    def _started(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.insert(retention_runs).values(
                run_id=str(e.originator_id),
                workspace_id=str(e["workspace_id"]),
                status="running",
                started_at=e["started_at"],
                counts="{}",
            )
        )

    def _item_purged(self, c: Connection, e: ProjectedEvent) -> None:
        if e["kind"] != "log_period" or e["outcome"] != "shredded":
            return
        workspace = str(e["workspace_id"])
        period = e["target"]
        in_period = (access_log.c.workspace_id == workspace) & (
            access_log.c.period == period
        )
        c.execute(sa.delete(access_log).where(in_period))
        c.execute(
            sa.update(audit_leaves)
            .where(
                (audit_leaves.c.workspace_id == workspace)
                & (audit_leaves.c.period == period)
            )
            .values(leaf=None)
        )
        # Repeats the shredding in this transaction, as erasure does: if the
        # purging process died after recording the item, catching up finishes.
        owner = log_period_owner(UUID(workspace), _month_start(period))
        c.execute(sa.delete(data_keys).where(data_keys.c.owner_id == str(owner)))
        exists = c.execute(
            sa.select(purged_log_periods.c.period).where(
                (purged_log_periods.c.workspace_id == workspace)
                & (purged_log_periods.c.period == period)
            )
        ).first()
        if exists is None:
            c.execute(
                sa.insert(purged_log_periods).values(
                    workspace_id=workspace,
                    period=period,
                    run_id=str(e.originator_id),
                    purged_at=e["timestamp"],
                )
            )

    def _completed(self, c: Connection, e: ProjectedEvent) -> None:
        counts: dict[str, int] = dict(e["counts"])
        c.execute(
            sa.update(retention_runs)
            .where(retention_runs.c.run_id == str(e.originator_id))
            .values(
                status="completed",
                completed_at=e["completed_at"],
                counts=json.dumps(counts, sort_keys=True),
            )
        )
        summary = ", ".join(f"{key} {n}" for key, n in sorted(counts.items()))
        self._views.log_access(
            c,
            e,
            "retention.purged",
            purpose=f"run {e.originator_id}: {summary or 'nothing due'}",
            workspace_id=e["workspace_id"],
        )


def _month_start(period: str) -> dt.datetime:
    year, month = (int(part) for part in period.split("-"))
    return dt.datetime(year, month, 1, tzinfo=dt.UTC)


class PostgresAdvisoryLock(LeaderLock):
    """pg_try_advisory_lock on a connection held for the whole run: the lock goes
    with the session, so a crashed leader frees it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextlib.contextmanager
    def hold(self) -> Iterator[bool]:
        with self._engine.connect() as c:
            got = bool(
                c.execute(
                    sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
                ).scalar()
            )
            c.commit()
            try:
                yield got
            finally:
                if got:
                    c.execute(
                        sa.text("SELECT pg_advisory_unlock(:key)"),
                        {"key": ADVISORY_KEY},
                    )
                    c.commit()


class FileLock(LeaderLock):
    """On SQLite, one machine: an exclusive flock next to the database file,
    released by the kernel if the process dies."""

    def __init__(self, path: Path) -> None:
        self._path = path

    @contextlib.contextmanager
    def hold(self) -> Iterator[bool]:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


class Scheduler:
    """Runs purges and checkpoint signing at the configured intervals."""

    def __init__(
        self,
        ctx: Context,
        runs: RetentionRuns,
        audit_log: AuditLog,
        lock: LeaderLock,
        *,
        purge_minutes: float,
        checkpoint_minutes: float,
        sweeps: Sequence[tuple[str, Callable[[], object]]] = (),
    ) -> None:
        self._ctx = ctx
        # Other housekeeping that runs with each purge: expired download links
        # and their files, for one.
        self._sweeps = list(sweeps)
        self._runs = runs
        self._log = audit_log
        self._lock = lock
        self.purge_minutes = purge_minutes
        self.checkpoint_minutes = checkpoint_minutes
        self.purges_run = 0

    def purge(self) -> None:
        try:
            reports = retention.purge_all(self._ctx, self._runs, self._log, self._lock)
        except Exception:
            log.exception("retention.purge_failed")
            return
        self.purges_run += 1
        if reports is None:
            log.info("retention.not_leader")
            return
        for name, sweep in self._sweeps:
            try:
                log.info("retention.swept", sweep=name, result=sweep())
            except Exception:
                log.exception("retention.sweep_failed", sweep=name)
        for report in reports:
            if report.run_id is not None:
                log.info(
                    "retention.purged",
                    workspace=str(report.workspace_id),
                    run=str(report.run_id),
                    resumed=report.resumed,
                    **report.counts,
                )

    def sign(self) -> None:
        try:
            self._ctx.views.catch_up()
            self._log.sign_all(self._ctx.clock.now())
        except Exception:
            log.exception("audit.signing_failed")

    def start(self, *, blocking: bool) -> BaseScheduler:
        scheduler: BaseScheduler = (
            BlockingScheduler() if blocking else BackgroundScheduler(daemon=True)
        )
        # One run at a time per job; a missed run is run once, not repeated.
        options: dict[str, Any] = {"max_instances": 1, "coalesce": True}
        scheduler.add_job(
            self.sign, "interval", minutes=self.checkpoint_minutes, **options
        )
        scheduler.add_job(self.purge, "interval", minutes=self.purge_minutes, **options)
        scheduler.start()
        return scheduler
