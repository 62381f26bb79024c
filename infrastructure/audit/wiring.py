"""Wires the Merkle log and the retention projections into a running gdprkit."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from application.audit import AuditLog
from application.retention import LeaderLock, RetentionRuns
from infrastructure.audit.log import SqlAuditLog
from infrastructure.audit.retention import (
    FileLock,
    PostgresAdvisoryLock,
    Scheduler,
    SqlRetentionRuns,
)
from infrastructure.db import audit_leaves
from infrastructure.settings import Settings
from infrastructure.views import SqlReadModels

if TYPE_CHECKING:
    from infrastructure.bootstrap import Container

AUDIT_LOG = "audit_log"
RETENTION_RUNS = "retention_runs"
LEADER_LOCK = "leader_lock"


def install(views: SqlReadModels, engine: Engine, settings: Settings) -> dict[str, Any]:
    """Registers the log's listener, the purge projection and their tables;
    returns the container extras."""
    audit_log = SqlAuditLog(engine, settings.signing_key_bytes, settings.public_url)
    # Leaves are rebuilt with the access log; checkpoints are never emptied, so a
    # rebuild is itself checked against what was signed before it.
    views.add_tables(audit_leaves)
    views.add_log_listener(audit_log.append)
    runs = SqlRetentionRuns(engine, views)
    runs.register()
    lock: LeaderLock = (
        PostgresAdvisoryLock(engine)
        if settings.is_postgres
        else FileLock(settings.sqlite_path.with_suffix(".purge.lock"))
    )
    return {AUDIT_LOG: audit_log, RETENTION_RUNS: runs, LEADER_LOCK: lock}


def audit_log_of(container: Container) -> AuditLog:
    log: AuditLog = container.extras[AUDIT_LOG]
    return log


def retention_runs_of(container: Container) -> RetentionRuns:
    runs: RetentionRuns = container.extras[RETENTION_RUNS]
    return runs


def scheduler_of(container: Container) -> Scheduler:
    settings = container.settings
    return Scheduler(
        container.context,
        retention_runs_of(container),
        audit_log_of(container),
        container.extras[LEADER_LOCK],
        purge_minutes=settings.purge_interval_minutes,
        checkpoint_minutes=settings.checkpoint_interval_minutes,
        sweeps=_sweeps(container),
    )


def _sweeps(container: Container) -> list[tuple[str, Callable[[], object]]]:
    from application.access_requests import expire_links

    sweeps: list[tuple[str, Callable[[], object]]] = [
        ("vault.reclaim_space", container.vault.reclaim_space)
    ]
    services = container.extras.get("access_requests")
    if services is not None:
        sweeps.append(
            (
                "access_requests.expire_links",
                lambda: expire_links(container.context, services),
            )
        )
    return sweeps
