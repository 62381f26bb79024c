"""Tables of integrations (issue 9).

Revision ID: 0006
Revises: 0005

Reserved in advance so capabilities built side by side keep one linear history;
the capability fills in its own tables here.
"""

from __future__ import annotations

from typing import Any

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade(**_: Any) -> None:
    pass


def downgrade() -> None:
    pass
