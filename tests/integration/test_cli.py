"""The `gdprkit` command line on both stores: listings for scripts, the audited
`cases show`, one-line errors, and `migrate` on an empty database."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
import typer.main
from typer.testing import CliRunner, Result

from application import cases
from application import workspaces as ws
from infrastructure.bootstrap import build
from infrastructure.db import create_db_engine, metadata
from infrastructure.settings import Settings
from interface.cli import app
from tests.builders import World, dialog, world

runner = CliRunner()


def command_paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    children: dict[str, Any] = getattr(command, "commands", {})
    return [prefix] + [
        path
        for name, child in sorted(children.items())
        for path in command_paths(child, (*prefix, name))
    ]


def command_at(path: tuple[str, ...]) -> Any:
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return command


COMMANDS = command_paths(typer.main.get_command(app))

# These refusals are decided in the command line before the store matters, so
# one store is enough; listings, the audited read and migrate run on both.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass(frozen=True)
class Seeded:
    world: World
    case_id: UUID
    subject_id: UUID


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The same settings as the test's store, as the CLI reads them: from the
    environment."""
    values = {
        "GDPRKIT_ENVIRONMENT": "test",
        "GDPRKIT_DATABASE_URL": settings.database_url,
        "GDPRKIT_MASTER_KEY": settings.master_key,
        "GDPRKIT_BLIND_INDEX_KEY": settings.blind_index_key,
        "GDPRKIT_OPERATOR_TOKEN": settings.operator_token,
        "GDPRKIT_DATA_DIR": str(settings.data_dir),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return settings


def seed(settings: Settings, body: str = "Hello, my parcel has not arrived.") -> Seeded:
    container = build(settings, use_default_detector=False)
    try:
        w = world(container.context)
        result = cases.ingest_dialog(
            container.context, w.workspace_id, w.inbox_id, dialog(body=body)
        )
    finally:
        container.close()
    return Seeded(w, result.case_id, result.subject_id)


@pytest.fixture
def seeded(env: Settings) -> Seeded:
    return seed(env, body="Kjære kundeservice, pakken min kom aldri.")


def gdprkit(*args: str) -> Result:
    return runner.invoke(app, list(args), prog_name="gdprkit")


def one_error_line(result: Result) -> str:
    assert result.exit_code != 0
    assert result.stdout == ""
    assert result.stderr.startswith("gdprkit: error: ")
    assert result.stderr.count("\n") == 1
    return result.stderr


def read_log_jsonl(case_id: UUID) -> list[dict[str, Any]]:
    result = gdprkit("access-log", "--case", str(case_id), "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


# Help and version


def test_version_prints_the_version() -> None:
    result = gdprkit("--version")

    assert (result.exit_code, result.stdout) == (0, "gdprkit 0.1.0\n")


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "root")
def test_help_of_each_command_shows_its_description(path: tuple[str, ...]) -> None:
    summary = command_at(path).help.partition(".")[0]

    result = gdprkit(*path, "--help")

    assert result.exit_code == 0
    assert "Usage: gdprkit" in result.stdout
    assert " ".join(summary.split()) in " ".join(result.stdout.split())


def test_help_covers_the_commands_operators_need() -> None:
    assert {
        ("migrate",),
        ("workspaces",),
        ("cases", "list"),
        ("cases", "show"),
        ("access-log",),
        ("import", "mbox"),
    } <= set(COMMANDS)


# Listings


def test_workspaces_as_json_lists_the_seeded_workspace(seeded: Seeded) -> None:
    result = gdprkit("workspaces", "--format", "json")

    assert result.exit_code == 0, result.stderr
    assert [w["workspace_id"] for w in json.loads(result.stdout)] == [
        str(seeded.world.workspace_id)
    ]


def test_cases_list_as_json_shows_no_content_and_logs_no_read(
    seeded: Seeded,
) -> None:
    result = gdprkit("cases", "list", "--format", "json")

    listed = json.loads(result.stdout)
    assert result.exit_code == 0, result.stderr
    assert [(c["case_id"], c["messages"]) for c in listed] == [(str(seeded.case_id), 1)]
    assert "pakken" not in result.stdout
    assert read_log_jsonl(seeded.case_id) == []


# The audited read


def test_cases_show_prints_the_body_and_leaves_one_read_entry(seeded: Seeded) -> None:
    agent = seeded.world.agent.user_id

    shown = gdprkit("cases", "show", str(seeded.case_id), "--as", str(agent))

    as_csv = gdprkit("access-log", "--case", str(seeded.case_id), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    entries = read_log_jsonl(seeded.case_id)
    assert shown.exit_code == 0, shown.stderr
    assert "Kjære kundeservice, pakken min kom aldri." in shown.stdout
    assert [(e["action"], e["actor_id"], e["case_id"]) for e in entries] == [
        ("case.read", str(agent), str(seeded.case_id))
    ]
    assert entries[0]["purpose"] == "cli: cases show"
    assert as_csv.exit_code == 0, as_csv.stderr
    assert [(r["entry_id"], r["actor_id"]) for r in rows] == [
        (str(entries[0]["entry_id"]), str(agent))
    ]


# Errors: one line on stderr, a non-zero exit


@sqlite_only
def test_cases_show_of_unknown_case_is_one_error_line(seeded: Seeded) -> None:
    unknown = uuid4()

    result = gdprkit(
        "cases", "show", str(unknown), "--as", str(seeded.world.agent.user_id)
    )

    assert str(unknown) in one_error_line(result)


@sqlite_only
def test_cases_show_of_malformed_uuid_is_one_error_line(seeded: Seeded) -> None:
    result = gdprkit(
        "cases", "show", "not-a-case", "--as", str(seeded.world.agent.user_id)
    )

    assert "UUID" in one_error_line(result)


@sqlite_only
def test_cases_show_as_unknown_user_is_one_error_line_and_unlogged(
    seeded: Seeded,
) -> None:
    result = gdprkit("cases", "show", str(seeded.case_id), "--as", str(uuid4()))

    assert "no user" in one_error_line(result)
    assert read_log_jsonl(seeded.case_id) == []


@sqlite_only
def test_cases_show_as_auditor_is_one_error_line_and_unlogged(
    seeded: Seeded,
) -> None:
    auditor = seeded.world.auditor.user_id

    result = gdprkit("cases", "show", str(seeded.case_id), "--as", str(auditor))

    assert "auditor" in one_error_line(result)
    assert read_log_jsonl(seeded.case_id) == []


@sqlite_only
def test_cases_list_of_unknown_workspace_is_one_error_line(seeded: Seeded) -> None:
    result = gdprkit("cases", "list", "--workspace", "No Such Workspace")

    assert "No Such Workspace" in one_error_line(result)


@sqlite_only
def test_cases_list_without_workspace_when_several_exist_is_one_error_line(
    seeded: Seeded, env: Settings
) -> None:
    seed(env)

    result = gdprkit("cases", "list")

    assert "--workspace" in one_error_line(result)


@sqlite_only
def test_access_log_with_bad_since_is_one_error_line(seeded: Seeded) -> None:
    result = gdprkit("access-log", "--since", "last tuesday")

    assert "--since" in one_error_line(result)


@sqlite_only
def test_import_of_missing_path_is_one_error_line(
    seeded: Seeded, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "mail.mbox"

    result = gdprkit("import", "mbox", str(missing))

    assert str(missing) in one_error_line(result)


@sqlite_only
def test_missing_master_key_outside_development_is_one_error_line(
    env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GDPRKIT_MASTER_KEY")

    result = gdprkit("workspaces")

    assert "GDPRKIT_MASTER_KEY" in one_error_line(result)


# Migrations


def test_migrate_on_an_empty_database_creates_every_table(env: Settings) -> None:
    first = gdprkit("migrate")
    again = gdprkit("migrate")

    engine = create_db_engine(env.database_url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert (first.exit_code, again.exit_code) == (0, 0)
    assert set(metadata.tables) | {"alembic_version"} <= tables


def test_migrated_database_holds_events_without_creating_tables(
    env: Settings,
) -> None:
    gdprkit("migrate")

    container = build(env, create_tables=False, use_default_detector=False)
    try:
        workspace_id = ws.create_workspace(container.context, "Migrated")
        listed = [w.workspace_id for w in container.views.workspaces()]
    finally:
        container.close()
    assert listed == [workspace_id]


def test_import_of_a_folder_where_a_file_is_expected_is_one_error_line(
    seeded: Seeded, tmp_path: Path
) -> None:
    result = gdprkit("import", "abcd", str(tmp_path))

    assert result.exit_code == 1
    assert "cannot read" in one_error_line(result)


def test_import_that_finds_no_dialogs_is_one_error_line(
    seeded: Seeded, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()

    result = gdprkit("import", "mbox", str(empty))

    assert result.exit_code == 1
    assert "found no mbox dialogs" in one_error_line(result)
