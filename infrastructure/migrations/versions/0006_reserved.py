"""Integrations (issue 9): webhook connections and deliveries, ServiceNow targets
and pushes, external sources and their calls, integration clients.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.String(length=36)
_AT = sa.DateTime(timezone=True)


def upgrade(**_: Any) -> None:
    op.create_table(
        "channel_connections",
        sa.Column("inbox_id", _ID, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("configured_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("inbox_id"),
    )
    _index("channel_connections", "workspace_id")
    op.create_table(
        "webhook_deliveries",
        sa.Column("inbox_id", _ID, nullable=False),
        sa.Column("delivery_key", sa.String(length=64), nullable=False),
        sa.Column("received_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("inbox_id", "delivery_key"),
    )
    _index("webhook_deliveries", "received_at")
    op.create_table(
        "servicenow_targets",
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("instance_url", sa.String(length=300), nullable=False),
        sa.Column("table_name", sa.String(length=80), nullable=False),
        sa.Column("auth_mode", sa.String(length=8), nullable=False),
        sa.Column("configured_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id"),
    )
    op.create_table(
        "archive_pushes",
        sa.Column("push_id", _ID, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("request_id", _ID, nullable=False),
        sa.Column("export_id", _ID, nullable=False),
        sa.Column("target", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("queued_at", _AT, nullable=False),
        sa.Column("next_attempt_at", _AT, nullable=True),
        sa.Column("pushed_at", _AT, nullable=True),
        sa.PrimaryKeyConstraint("push_id"),
        sa.UniqueConstraint("export_id"),
    )
    _index("archive_pushes", "workspace_id")
    _index("archive_pushes", "status")
    op.create_table(
        "external_endpoints",
        sa.Column("endpoint_id", _ID, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("identifiers", sa.String(length=8), nullable=False),
        sa.Column("timeout_seconds", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("registered_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("endpoint_id"),
    )
    _index("external_endpoints", "workspace_id")
    op.create_table(
        "external_source_calls",
        sa.Column("call_id", _ID, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("endpoint_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("called_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("call_id"),
    )
    _index("external_source_calls", "workspace_id")
    op.create_table(
        "integration_clients",
        sa.Column("client_id", _ID, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("may_download", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("client_id"),
        sa.UniqueConstraint("token_hash"),
    )
    _index("integration_clients", "workspace_id")


def _index(table: str, column: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(f"ix_{table}_{column}", [column], unique=False)


def downgrade() -> None:
    for table in (
        "integration_clients",
        "external_source_calls",
        "external_endpoints",
        "archive_pushes",
        "servicenow_targets",
        "webhook_deliveries",
        "channel_connections",
    ):
        op.drop_table(table)
