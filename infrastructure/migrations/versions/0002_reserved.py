"""Tables of anonymisation and forms (issue 5).

Revision ID: 0002
Revises: 0001

Reserved in advance so capabilities built side by side keep one linear history;
the capability fills in its own tables here.
"""

from __future__ import annotations

from typing import Any

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade(**_: Any) -> None:
    pass


def downgrade() -> None:
    pass
