"""Initial schema: event tables, key vault, blind index and read models.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade(settings: Any = None, **_: Any) -> None:
    _create_event_tables(settings)
    op.create_table(
        "access_log",
        sa.Column("notification_id", sa.BigInteger(), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("subject_id", sa.String(length=36), nullable=True),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("client_address", sa.LargeBinary(), nullable=True),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("notification_id"),
    )
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_log_actor_id"), ["actor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_access_log_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_access_log_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_access_log_subject_id"), ["subject_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_access_log_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "blind_index",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "digest"),
    )
    with op.batch_alter_table("blind_index", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_blind_index_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "case_list",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("inbox_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=True),
        sa.Column("thread_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.String(length=36), nullable=True),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    with op.batch_alter_table("case_list", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_list_subject_id"), ["subject_id"], unique=False
        )
        batch_op.create_index(
            "ix_case_list_thread",
            ["workspace_id", "inbox_id", "thread_hash"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_case_list_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "data_keys",
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("kek_id", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "version"),
    )
    with op.batch_alter_table("data_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_keys_kek_id"), ["kek_id"], unique=False
        )

    op.create_table(
        "inboxes",
        sa.Column("inbox_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("inbox_id"),
    )
    with op.batch_alter_table("inboxes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inboxes_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "projection_positions",
        sa.Column("projection", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("projection"),
    )
    op.create_table(
        "users",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_users_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "workspaces",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id"),
    )
    op.bulk_insert(
        sa.table(
            "projection_positions", sa.column("projection"), sa.column("position")
        ),
        [{"projection": "views", "position": 0}],
    )


def _create_event_tables(settings: Any) -> None:
    """The event store library knows its own DDL (tables, composite type, index);
    it runs it here, under the migration, rather than at every start."""
    from application.store import EventStore
    from infrastructure.bootstrap import event_store_env
    from infrastructure.settings import load_settings

    env = event_store_env(settings or load_settings(), create_tables=True)
    EventStore(env=env).close()


def downgrade() -> None:
    op.drop_table("workspaces")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_workspace_id"))

    op.drop_table("users")
    op.drop_table("projection_positions")
    with op.batch_alter_table("inboxes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inboxes_workspace_id"))

    op.drop_table("inboxes")
    with op.batch_alter_table("data_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_keys_kek_id"))

    op.drop_table("data_keys")
    with op.batch_alter_table("case_list", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_list_workspace_id"))
        batch_op.drop_index("ix_case_list_thread")
        batch_op.drop_index(batch_op.f("ix_case_list_subject_id"))

    op.drop_table("case_list")
    with op.batch_alter_table("blind_index", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blind_index_subject_id"))

    op.drop_table("blind_index")
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_log_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_access_log_subject_id"))
        batch_op.drop_index(batch_op.f("ix_access_log_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_access_log_case_id"))
        batch_op.drop_index(batch_op.f("ix_access_log_actor_id"))

    op.drop_table("access_log")
