"""Retention runs, purged log periods and the Merkle access log (issue 8).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade(**_: Any) -> None:
    op.create_table(
        "audit_leaves",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("notification_id", sa.BigInteger(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "leaf_index"),
        sa.UniqueConstraint("notification_id"),
    )
    with op.batch_alter_table("audit_leaves", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_leaves_period", ["workspace_id", "period"], unique=False
        )
    op.create_table(
        "audit_checkpoints",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "tree_size"),
    )
    op.create_table(
        "retention_runs",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id"),
    )
    with op.batch_alter_table("retention_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retention_runs_workspace_id"), ["workspace_id"], unique=False
        )
    op.create_table(
        "purged_log_periods",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "period"),
    )


def downgrade() -> None:
    op.drop_table("purged_log_periods")
    with op.batch_alter_table("retention_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_runs_workspace_id"))
    op.drop_table("retention_runs")
    op.drop_table("audit_checkpoints")
    with op.batch_alter_table("audit_leaves", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_leaves_period")
    op.drop_table("audit_leaves")
