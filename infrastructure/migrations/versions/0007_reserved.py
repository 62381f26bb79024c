"""External links, notification outbox and triggers, setting history (issue 10).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.String(length=36)
_AT = sa.DateTime(timezone=True)


def upgrade(**_: Any) -> None:
    op.create_table(
        "external_links",
        sa.Column("link_id", _ID, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("message_id", _ID, nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_by", _ID, nullable=False),
        sa.Column("issued_at", _AT, nullable=False),
        sa.Column("expires_at", _AT, nullable=False),
        sa.Column("revoked_at", _AT, nullable=True),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("link_id"),
        sa.UniqueConstraint("token_hash"),
    )
    _index("external_links", "workspace_id")
    _index("external_links", "case_id")
    op.create_table(
        "notification_outbox",
        sa.Column("notification_id", _ID, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("recipient_user_id", _ID, nullable=True),
        sa.Column("content_hidden", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("queued_at", _AT, nullable=False),
        sa.Column("next_attempt_at", _AT, nullable=True),
        sa.Column("delivered_at", _AT, nullable=True),
        sa.PrimaryKeyConstraint("notification_id"),
    )
    _index("notification_outbox", "workspace_id")
    _index("notification_outbox", "next_attempt_at")
    op.create_table(
        "notification_triggers",
        sa.Column("trigger_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", _ID, nullable=True),
        sa.Column("message_id", _ID, nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("trigger_id"),
    )
    _index("notification_triggers", "case_id")
    _index("notification_triggers", "done")
    op.create_table(
        "workspace_setting_changes",
        sa.Column("change_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("setting", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("actor_id", _ID, nullable=True),
        sa.Column("changed_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("change_id"),
    )
    _index("workspace_setting_changes", "workspace_id")


def _index(table: str, column: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(f"ix_{table}_{column}", [column], unique=False)


def downgrade() -> None:
    for table in (
        "workspace_setting_changes",
        "notification_triggers",
        "notification_outbox",
        "external_links",
    ):
        op.drop_table(table)
