"""Anonymisation and forms (issue 5): anonymisation records, forms, bulk jobs,
and the anonymisation mode on the case list.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade(**_: Any) -> None:
    with op.batch_alter_table("case_list", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("anonymised_mode", sa.String(length=16), nullable=True)
        )
    op.create_table(
        "case_anonymisations",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("characters_before", sa.Integer(), nullable=False),
        sa.Column("characters_after", sa.Integer(), nullable=False),
        sa.Column("redactions", sa.Integer(), nullable=False),
        sa.Column("attachments_removed", sa.Integer(), nullable=False),
        sa.Column("fields_removed", sa.Integer(), nullable=False),
        sa.Column("personal_tags_removed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index(
        "ix_case_anonymisations_workspace_id",
        "case_anonymisations",
        ["workspace_id"],
    )
    op.create_table(
        "forms",
        sa.Column("form_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("inbox_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("form_id"),
    )
    op.create_index("ix_forms_workspace_id", "forms", ["workspace_id"])
    op.create_table(
        "anonymisation_jobs",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("anonymised", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("job_id"),
    )
    op.create_index(
        "ix_anonymisation_jobs_workspace_id", "anonymisation_jobs", ["workspace_id"]
    )


def downgrade() -> None:
    op.drop_table("anonymisation_jobs")
    op.drop_table("forms")
    op.drop_table("case_anonymisations")
    with op.batch_alter_table("case_list", schema=None) as batch_op:
        batch_op.drop_column("anonymised_mode")
