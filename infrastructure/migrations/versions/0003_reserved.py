"""Access requests and the portal (issue 6): the queue, identities, code sends,
exports and the subjects each holds, and the author index over inbound messages.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade(**_: Any) -> None:
    op.create_table(
        "access_requests",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("assignee_id", sa.String(length=36), nullable=True),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("identities_total", sa.Integer(), nullable=False),
        sa.Column("identities_proven", sa.Integer(), nullable=False),
        sa.Column("kinds", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("request_id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(
        "ix_access_requests_workspace_id", "access_requests", ["workspace_id"]
    )
    op.create_index("ix_access_requests_group_id", "access_requests", ["group_id"])
    op.create_table(
        "access_request_identities",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("identity_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("proven", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", "identity_id"),
    )
    op.create_index(
        "ix_access_request_identities_digest",
        "access_request_identities",
        ["digest"],
    )
    op.create_table(
        "access_request_codes",
        sa.Column("notification_id", sa.BigInteger(), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("notification_id"),
    )
    op.create_index(
        "ix_access_request_codes_digest",
        "access_request_codes",
        ["workspace_id", "digest", "sent_at"],
    )
    op.create_table(
        "access_request_exports",
        sa.Column("export_id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("export_id"),
    )
    op.create_index(
        "ix_access_request_exports_request_id",
        "access_request_exports",
        ["request_id"],
    )
    op.create_index(
        "ix_access_request_exports_expires_at",
        "access_request_exports",
        ["expires_at"],
    )
    op.create_table(
        "access_request_export_subjects",
        sa.Column("export_id", sa.String(length=36), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("export_id", "subject_id"),
    )
    op.create_index(
        "ix_access_request_export_subjects_subject_id",
        "access_request_export_subjects",
        ["subject_id"],
    )
    op.create_table(
        "case_authors",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "digest", "case_id"),
    )
    op.create_index("ix_case_authors_case_id", "case_authors", ["case_id"])


def downgrade() -> None:
    for table in (
        "case_authors",
        "access_request_export_subjects",
        "access_request_exports",
        "access_request_codes",
        "access_request_identities",
        "access_requests",
    ):
        op.drop_table(table)
