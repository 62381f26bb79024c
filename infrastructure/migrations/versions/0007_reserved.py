"""Tables of links, notifications and forms privacy (issue 10).

Revision ID: 0007
Revises: 0006

Reserved in advance so capabilities built side by side keep one linear history;
the capability fills in its own tables here.
"""

from __future__ import annotations

from typing import Any

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade(**_: Any) -> None:
    pass


def downgrade() -> None:
    pass
