"""Tables of access governance (issue 7): accounts, sessions, workspace access
policies, security events and the legal-basis ledger.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade(**_: Any) -> None:
    op.create_table(
        "accounts",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("email_digest", sa.String(length=64), nullable=False),
        sa.Column("has_password", sa.Boolean(), nullable=False),
        sa.Column("second_factor", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
        sa.UniqueConstraint("account_id"),
    )
    op.create_index(
        "ix_accounts_email", "accounts", ["workspace_id", "email_digest"], unique=False
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("second_factor", sa.Boolean(), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
        sa.UniqueConstraint("session_id"),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"], unique=False)
    op.create_table(
        "governance_policies",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id"),
    )
    op.create_table(
        "security_events",
        sa.Column("notification_id", sa.BigInteger(), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("notification_id"),
    )
    op.create_index(
        "ix_security_events_workspace_id",
        "security_events",
        ["workspace_id"],
        unique=False,
    )
    op.create_table(
        "legal_basis_ledger",
        sa.Column("notification_id", sa.BigInteger(), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("grantor_id", sa.String(length=36), nullable=True),
        sa.Column("grantee_id", sa.String(length=36), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("notification_id"),
    )
    op.create_index(
        "ix_legal_basis_ledger_workspace_id",
        "legal_basis_ledger",
        ["workspace_id"],
        unique=False,
    )
    op.create_index(
        "ix_legal_basis_ledger_grantee_id",
        "legal_basis_ledger",
        ["grantee_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("legal_basis_ledger")
    op.drop_table("security_events")
    op.drop_table("governance_policies")
    op.drop_table("sessions")
    op.drop_table("accounts")
