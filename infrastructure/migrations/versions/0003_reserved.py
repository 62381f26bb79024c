"""Tables of access requests and the portal (issue 6).

Revision ID: 0003
Revises: 0002

Reserved in advance so capabilities built side by side keep one linear history;
the capability fills in its own tables here.
"""

from __future__ import annotations

from typing import Any

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade(**_: Any) -> None:
    pass


def downgrade() -> None:
    pass
