"""Alembic environment: the URL comes from gdprkit's settings, never this file."""

from __future__ import annotations

from alembic import context

from infrastructure.db import create_db_engine
from infrastructure.settings import load_settings

settings = context.config.attributes.get("settings") or load_settings()
engine = create_db_engine(settings.database_url)

with engine.connect() as connection:
    context.configure(connection=connection, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations(settings=settings)
engine.dispose()
