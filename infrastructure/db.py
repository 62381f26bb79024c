"""Our own tables (key vault, blind index, read models), through SQLAlchemy Core.

The event tables belong to the event store library; alembic creates both kinds in
production (see infrastructure/migrations). One code path serves SQLite and
PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

metadata = sa.MetaData()

data_keys = sa.Table(
    "data_keys",
    metadata,
    sa.Column("owner_id", sa.String(36), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
    sa.Column("kek_id", sa.String(16), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

blind_index = sa.Table(
    "blind_index",
    metadata,
    sa.Column("workspace_id", sa.String(36), primary_key=True),
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("subject_id", sa.String(36), nullable=False, index=True),
)

case_list = sa.Table(
    "case_list",
    metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("inbox_id", sa.String(36), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("subject_id", sa.String(36), index=True),
    sa.Column("thread_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("message_count", sa.Integer, nullable=False, default=0),
    sa.Column("assignee_id", sa.String(36)),
    sa.Column("sensitive", sa.Boolean, nullable=False, default=False),
    sa.Column("categories", sa.Text, nullable=False, default=""),
    sa.Column("tags", sa.Text, nullable=False, default=""),
    # Anonymisation (issue 5): "sensitive" or "profile" once anonymised.
    sa.Column("anonymised_mode", sa.String(16)),
    sa.Index("ix_case_list_thread", "workspace_id", "inbox_id", "thread_hash"),
)

access_log = sa.Table(
    "access_log",
    metadata,
    sa.Column("notification_id", sa.BigInteger, primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("case_id", sa.String(36), index=True),
    sa.Column("subject_id", sa.String(36), index=True),
    sa.Column("actor_id", sa.String(36), index=True),
    sa.Column("purpose", sa.String(200), nullable=False, default=""),
    sa.Column("client_address", sa.LargeBinary),  # sealed under the period key
    sa.Column("country", sa.String(8)),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

workspaces = sa.Table(
    "workspaces",
    metadata,
    sa.Column("workspace_id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("is_test", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

inboxes = sa.Table(
    "inboxes",
    metadata,
    sa.Column("inbox_id", sa.String(36), primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("user_id", sa.String(36), primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("active", sa.Boolean, nullable=False),
)

projection_positions = sa.Table(
    "projection_positions",
    metadata,
    sa.Column("projection", sa.String(64), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
)

# Anonymisation and forms (issue 5)

case_anonymisations = sa.Table(
    "case_anonymisations",
    metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("actor_id", sa.String(36)),
    sa.Column("job_id", sa.String(36)),
    sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("messages", sa.Integer, nullable=False),
    sa.Column("characters_before", sa.Integer, nullable=False),
    sa.Column("characters_after", sa.Integer, nullable=False),
    sa.Column("redactions", sa.Integer, nullable=False),
    sa.Column("attachments_removed", sa.Integer, nullable=False),
    sa.Column("fields_removed", sa.Integer, nullable=False),
    sa.Column("personal_tags_removed", sa.Integer, nullable=False),
)

forms = sa.Table(
    "forms",
    metadata,
    sa.Column("form_id", sa.String(36), primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("inbox_id", sa.String(36), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("fields", sa.Text, nullable=False),  # the definition, as JSON
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)

anonymisation_jobs = sa.Table(
    "anonymisation_jobs",
    metadata,
    sa.Column("job_id", sa.String(36), primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("anonymised", sa.Integer, nullable=False),
    sa.Column("skipped", sa.Integer, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
)

# Retention and the tamper-evident access log (issue 8)

audit_leaves = sa.Table(
    "audit_leaves",
    metadata,
    sa.Column("workspace_id", sa.String(36), primary_key=True),
    sa.Column("leaf_index", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("notification_id", sa.BigInteger, nullable=False, unique=True),
    sa.Column("leaf_hash", sa.LargeBinary, nullable=False),
    sa.Column("leaf", sa.LargeBinary),  # canonical JSON; NULL once purged
    sa.Column("period", sa.String(7), nullable=False),
    sa.Index("ix_audit_leaves_period", "workspace_id", "period"),
)

audit_checkpoints = sa.Table(
    "audit_checkpoints",
    metadata,
    sa.Column("workspace_id", sa.String(36), primary_key=True),
    sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("root_hash", sa.LargeBinary, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
)

retention_runs = sa.Table(
    "retention_runs",
    metadata,
    sa.Column("run_id", sa.String(36), primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    sa.Column("counts", sa.Text, nullable=False, default="{}"),
)

purged_log_periods = sa.Table(
    "purged_log_periods",
    metadata,
    sa.Column("workspace_id", sa.String(36), primary_key=True),
    sa.Column("period", sa.String(7), primary_key=True),
    sa.Column("run_id", sa.String(36), nullable=False),
    sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
)

# Access governance (issue 7)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("user_id", sa.String(36), primary_key=True),
    sa.Column("account_id", sa.String(36), nullable=False, unique=True),
    sa.Column("workspace_id", sa.String(36), nullable=False),
    sa.Column("email_digest", sa.String(64), nullable=False),
    sa.Column("has_password", sa.Boolean, nullable=False),
    sa.Column("second_factor", sa.Boolean, nullable=False),
    sa.Index("ix_accounts_email", "workspace_id", "email_digest"),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("session_id", sa.String(36), nullable=False, unique=True),
    sa.Column("user_id", sa.String(36), nullable=False, index=True),
    sa.Column("workspace_id", sa.String(36), nullable=False),
    sa.Column("second_factor", sa.Boolean, nullable=False),
    sa.Column("country", sa.String(8)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False),
)

governance_policies = sa.Table(
    "governance_policies",
    metadata,
    sa.Column("workspace_id", sa.String(36), primary_key=True),
    sa.Column("settings", sa.Text, nullable=False),
)

security_events = sa.Table(
    "security_events",
    metadata,
    sa.Column("notification_id", sa.BigInteger, primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("user_id", sa.String(36)),
    sa.Column("country", sa.String(8)),
    sa.Column("detail", sa.String(200), nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
)

legal_basis_ledger = sa.Table(
    "legal_basis_ledger",
    metadata,
    sa.Column("notification_id", sa.BigInteger, primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("grantor_id", sa.String(36)),
    sa.Column("grantee_id", sa.String(36), nullable=False, index=True),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("case_id", sa.String(36)),
    sa.Column("role", sa.String(16)),
    sa.Column("purpose", sa.String(200), nullable=False),
    sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
)


# Access requests and the portal (issue 6)

access_requests = sa.Table(
    "access_requests",
    metadata,
    sa.Column("request_id", sa.String(36), primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("extended", sa.Boolean, nullable=False),
    sa.Column("assignee_id", sa.String(36)),
    sa.Column("group_id", sa.String(36), nullable=False, index=True),
    sa.Column("identities_total", sa.Integer, nullable=False),
    sa.Column("identities_proven", sa.Integer, nullable=False),
    sa.Column("kinds", sa.String(200), nullable=False),
)

access_request_identities = sa.Table(
    "access_request_identities",
    metadata,
    sa.Column("request_id", sa.String(36), primary_key=True),
    sa.Column("identity_id", sa.String(36), primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False, index=True),
    sa.Column("proven", sa.Boolean, nullable=False),
)

access_request_codes = sa.Table(
    "access_request_codes",
    metadata,
    sa.Column("notification_id", sa.BigInteger, primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_access_request_codes_digest", "workspace_id", "digest", "sent_at"),
)

access_request_exports = sa.Table(
    "access_request_exports",
    metadata,
    sa.Column("export_id", sa.String(36), primary_key=True),
    sa.Column("request_id", sa.String(36), nullable=False, index=True),
    sa.Column("workspace_id", sa.String(36), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("content_sha256", sa.String(64), nullable=False),
)

access_request_export_subjects = sa.Table(
    "access_request_export_subjects",
    metadata,
    sa.Column("export_id", sa.String(36), primary_key=True),
    sa.Column("subject_id", sa.String(36), primary_key=True, index=True),
)

# Authors of inbound messages by blind-index digest, so a person who wrote in
# someone else's case is found too.
case_authors = sa.Table(
    "case_authors",
    metadata,
    sa.Column("workspace_id", sa.String(36), primary_key=True),
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("case_id", sa.String(36), primary_key=True, index=True),
)

# Integrations (issue 9): webhook connections, ServiceNow pushes, external
# sources, integration clients. No secret is in any of these tables.

channel_connections = sa.Table(
    "channel_connections",
    metadata,
    sa.Column("inbox_id", sa.String(36), primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("configured_at", sa.DateTime(timezone=True), nullable=False),
)

# Signed deliveries seen within the freshness window; not a projection.
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("inbox_id", sa.String(36), primary_key=True),
    sa.Column("delivery_key", sa.String(64), primary_key=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

servicenow_targets = sa.Table(
    "servicenow_targets",
    metadata,
    sa.Column("workspace_id", sa.String(36), primary_key=True),
    sa.Column("instance_url", sa.String(300), nullable=False),
    sa.Column("table_name", sa.String(80), nullable=False),
    sa.Column("auth_mode", sa.String(8), nullable=False),
    sa.Column("configured_at", sa.DateTime(timezone=True), nullable=False),
)

archive_pushes = sa.Table(
    "archive_pushes",
    metadata,
    sa.Column("push_id", sa.String(36), primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("request_id", sa.String(36), nullable=False),
    sa.Column("export_id", sa.String(36), nullable=False, unique=True),
    sa.Column("target", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("record_id", sa.String(64)),
    sa.Column("last_error", sa.Text),
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.Column("pushed_at", sa.DateTime(timezone=True)),
)

external_endpoints = sa.Table(
    "external_endpoints",
    metadata,
    sa.Column("endpoint_id", sa.String(36), primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("url", sa.String(500), nullable=False),
    sa.Column("identifiers", sa.String(8), nullable=False),
    sa.Column("timeout_seconds", sa.Float, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
)

external_source_calls = sa.Table(
    "external_source_calls",
    metadata,
    sa.Column("call_id", sa.String(36), primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("endpoint_id", sa.String(36), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
)

integration_clients = sa.Table(
    "integration_clients",
    metadata,
    sa.Column("client_id", sa.String(36), primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("may_download", sa.Boolean, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
)

# External links, notifications and settings history (issue 10). Token hashes,
# ids and delivery state only: recipients and texts stay sealed in the events.

external_links = sa.Table(
    "external_links",
    metadata,
    sa.Column("link_id", sa.String(36), primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("case_id", sa.String(36), nullable=False, index=True),
    sa.Column("message_id", sa.String(36)),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("issued_by", sa.String(36), nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.Column("refused", sa.Integer, nullable=False),
)

notification_outbox = sa.Table(
    "notification_outbox",
    metadata,
    sa.Column("notification_id", sa.String(36), primary_key=True),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("case_id", sa.String(36), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("recipient_user_id", sa.String(36)),
    sa.Column("content_hidden", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.String(200)),
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), index=True),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
)

# One row per case event that may need notifications; the id is the event's
# notification id, so a rebuilt projection yields the same triggers.
notification_triggers = sa.Table(
    "notification_triggers",
    metadata,
    sa.Column("trigger_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("workspace_id", sa.String(36), nullable=False),
    sa.Column("case_id", sa.String(36), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("user_id", sa.String(36)),
    sa.Column("message_id", sa.String(36)),
    sa.Column("done", sa.Boolean, nullable=False, index=True),
)

workspace_setting_changes = sa.Table(
    "workspace_setting_changes",
    metadata,
    sa.Column("change_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
    sa.Column("setting", sa.String(64), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("actor_id", sa.String(36)),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)


def sqlalchemy_url(database_url: str) -> str:
    if database_url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + database_url.split("://", 1)[1]
    return database_url


def create_db_engine(database_url: str) -> Engine:
    url = sqlalchemy_url(database_url)
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}
        )

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # Deleted key rows are overwritten with zeros, not left in free pages.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # Connections above pool_size are closed on return: a pool smaller than the
    # number of concurrent readers reconnects on every burst of reads.
    return sa.create_engine(url, pool_size=32, max_overflow=16, pool_pre_ping=True)
