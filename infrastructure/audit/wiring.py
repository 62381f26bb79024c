"""Wires the Merkle log and the retention projections into a running gdprkit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from infrastructure.audit.log import SqlAuditLog
from infrastructure.db import audit_leaves
from infrastructure.settings import Settings
from infrastructure.views import SqlReadModels

AUDIT_LOG = "audit_log"


def install(views: SqlReadModels, engine: Engine, settings: Settings) -> dict[str, Any]:
    """Registers the log's listener and tables; returns the container extras."""
    audit_log = SqlAuditLog(engine, settings.signing_key_bytes, settings.public_url)
    # Leaves are rebuilt with the access log; checkpoints are never emptied, so a
    # rebuild is itself checked against what was signed before it.
    views.add_tables(audit_leaves)
    views.add_log_listener(audit_log.append)
    return {AUDIT_LOG: audit_log}
