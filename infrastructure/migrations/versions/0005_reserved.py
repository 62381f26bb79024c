"""Tables of retention and the Merkle log (issue 8).

Revision ID: 0005
Revises: 0004

Reserved in advance so capabilities built side by side keep one linear history;
the capability fills in its own tables here.
"""

from __future__ import annotations

from typing import Any

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade(**_: Any) -> None:
    pass


def downgrade() -> None:
    pass
