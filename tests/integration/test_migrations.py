"""`gdprkit migrate` builds exactly the schema the code declares, on both stores."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from infrastructure.db import create_db_engine, metadata
from infrastructure.migrations.runner import upgrade_head
from infrastructure.settings import Settings


def _ours(diff: Any) -> bool:
    # Tables the event store library owns, and their indexes, are not in our
    # metadata; ignore them.
    if not isinstance(diff, tuple) or diff[0] not in {"remove_table", "remove_index"}:
        return True
    item = diff[1]
    table = item if diff[0] == "remove_table" else item.table
    return table.name in metadata.tables


def test_migrated_schema_matches_the_declared_tables(settings: Settings) -> None:
    upgrade_head(settings)
    engine = create_db_engine(settings.database_url)

    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
        tables = set(sa.inspect(connection).get_table_names())
    engine.dispose()

    assert [d for d in diff if _ours(d)] == []
    assert set(metadata.tables) <= tables
    assert tables & {"stored_events", "gdprkit_events"}  # the event table too


def test_migrating_twice_changes_nothing(settings: Settings) -> None:
    upgrade_head(settings)

    upgrade_head(settings)
