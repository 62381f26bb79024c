"""Runs alembic from code, so `gdprkit migrate` works from any directory."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from infrastructure.settings import Settings

MIGRATIONS = Path(__file__).parent


def upgrade_head(settings: Settings) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["settings"] = settings
    command.upgrade(config, "head")
