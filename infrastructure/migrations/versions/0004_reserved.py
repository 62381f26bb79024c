"""Tables of access governance (issue 7).

Revision ID: 0004
Revises: 0003

Reserved in advance so capabilities built side by side keep one linear history;
the capability fills in its own tables here.
"""

from __future__ import annotations

from typing import Any

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade(**_: Any) -> None:
    pass


def downgrade() -> None:
    pass
