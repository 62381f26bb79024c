"""Shared fixtures: a gdprkit wired to a fresh SQLite file or a fresh PostgreSQL
database per test, with keys from configuration and a controllable clock."""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings

from infrastructure.bootstrap import Container, build
from infrastructure.identifiers import FixedClock
from infrastructure.settings import Settings

REPO = Path(__file__).resolve().parent.parent

# Under CI a property test explores the same examples every run: a failure there
# is reproducible, and found ones are kept in no database that CI throws away.
hypothesis_settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None
)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def shared_data_dir() -> Path:
    return Path(os.environ.get("GDPRKIT_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(
            f"{path} is absent: corpus tests need ../shared/data "
            "(or GDPRKIT_SHARED_DATA)"
        )
    return path


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> str:
    """A PostgreSQL server URL: GDPRKIT_TEST_POSTGRES_URL, else 127.0.0.1:5432,
    else a throwaway cluster from the local binaries (pytest-postgresql)."""
    url = os.environ.get("GDPRKIT_TEST_POSTGRES_URL")
    if url:
        return url
    if _reachable("127.0.0.1", 5432):
        return "postgresql://postgres@127.0.0.1:5432/postgres"
    if (PG_BIN / "pg_ctl").exists() and os.geteuid() != 0:
        proc = request.getfixturevalue("throwaway_postgres")
        return f"postgresql://{proc.user}@{proc.host}:{proc.port}/postgres"
    message = (
        "no PostgreSQL: set GDPRKIT_TEST_POSTGRES_URL, start one on "
        "127.0.0.1:5432, or install PostgreSQL's binaries"
    )
    if os.environ.get("CI"):
        pytest.fail(message)  # under CI the PostgreSQL suite must run
    pytest.skip(message)


try:
    from pytest_postgresql import factories

    throwaway_postgres = factories.postgresql_proc(
        executable=str(PG_BIN / "pg_ctl"), port=None
    )
except ImportError:  # pragma: no cover - the dev extra installs it
    pass


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A database of its own for one test, dropped afterwards."""
    name = f"gdprkit_test_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(postgres_server)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def random_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def make_settings(
    data_dir: Path, database_url: str = "", **overrides: object
) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "data_dir": data_dir,
        "database_url": database_url,
        "master_key": random_key(),
        "blind_index_key": random_key(),
        "operator_token": random_key(),
        "signing_key": random_key(),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gdprkit.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def container(settings: Settings, clock: FixedClock) -> Iterator[Container]:
    wired = build(settings, clock=clock, use_default_detector=False)
    yield wired
    wired.close()
