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
    return sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
