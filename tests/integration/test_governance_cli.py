"""`gdprkit legal-basis` and `gdprkit security-events` on both stores."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from application import cases
from infrastructure.bootstrap import build
from infrastructure.settings import Settings
from interface.cli import app
from tests.builders import NEEDED, dialog, world

runner = CliRunner()


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in {
        "GDPRKIT_ENVIRONMENT": "test",
        "GDPRKIT_DATABASE_URL": settings.database_url,
        "GDPRKIT_MASTER_KEY": settings.master_key,
        "GDPRKIT_BLIND_INDEX_KEY": settings.blind_index_key,
        "GDPRKIT_OPERATOR_TOKEN": settings.operator_token,
        "GDPRKIT_DATA_DIR": str(settings.data_dir),
    }.items():
        monkeypatch.setenv(name, value)
    return settings


def test_legal_basis_prints_every_grant_with_its_purpose(env: Settings) -> None:
    container = build(env, use_default_detector=False)
    w = world(container.context)
    case_id = cases.ingest_dialog(
        container.context, w.workspace_id, w.inbox_id, dialog()
    ).case_id
    cases.assign_case(container.context, w.admin, case_id, w.agent.user_id, NEEDED)
    container.close()

    text = runner.invoke(app, ["legal-basis"], prog_name="gdprkit")
    listed = runner.invoke(app, ["legal-basis", "--format", "json"])
    rows = json.loads(listed.stdout)

    assert text.exit_code == 0, text.stderr
    assert NEEDED.purpose in text.stdout
    assert [(r["scope"], r["case"]) for r in rows] == [
        ("account", ""),
        ("account", ""),
        ("account", ""),
        ("case", str(case_id)),
    ]


def test_security_events_with_a_bad_format_is_one_error_line(env: Settings) -> None:
    container = build(env, use_default_detector=False)
    world(container.context)
    container.close()

    result = runner.invoke(app, ["security-events", "--format", "xml"])

    assert result.exit_code != 0
    assert result.stderr.startswith("gdprkit: error: --format must be text or json")
