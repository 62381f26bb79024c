"""The real corpora of ../shared/data import through the CLI on both stores, and an
imported case opened through the API leaves exactly one read in `access-log`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from application import workspaces as ws
from infrastructure.bootstrap import build
from infrastructure.settings import Settings
from interface.api.app import create_app
from interface.cli import app as cli

pytestmark = pytest.mark.corpus

CORPORA = [
    ("mbox", "email/spamassassin_ham.mboxrd", "imported 660 dialogs (940 messages)"),
    ("mbox", "email/parser_fixtures.mboxrd", "imported 87 dialogs (116 messages)"),
    ("mbox", "email/parser_fixtures", "imported 87 dialogs (116 messages)"),
    (
        "tweetsumm",
        "dialogs/tweetsumm/tweetsumm_full_dialogs.json",
        "imported 857 dialogs (8706 messages)",
    ),
    ("star", "dialogs/star", "imported 898 dialogs (12107 messages)"),
    ("abcd", "dialogs/abcd/abcd_sample.json", "imported 3 dialogs (63 messages)"),
]


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in {
        "GDPRKIT_ENVIRONMENT": "test",
        "GDPRKIT_DATABASE_URL": settings.database_url,
        "GDPRKIT_DATA_DIR": str(settings.data_dir),
        "GDPRKIT_MASTER_KEY": settings.master_key,
        "GDPRKIT_BLIND_INDEX_KEY": settings.blind_index_key,
        "GDPRKIT_OPERATOR_TOKEN": settings.operator_token,
    }.items():
        monkeypatch.setenv(name, value)
    container = build(settings, use_default_detector=False)
    ws.create_workspace(container.context, "Corpus import")
    container.close()
    return settings


@pytest.mark.parametrize(
    ("fmt", "relative", "summary"), CORPORA, ids=[c[1] for c in CORPORA]
)
def test_corpus_imports_every_readable_record(
    cli_env: Settings, shared_data: Path, fmt: str, relative: str, summary: str
) -> None:
    result = CliRunner().invoke(cli, ["import", fmt, str(shared_data / relative)])

    assert result.exit_code == 0, result.output
    assert summary in result.output


def test_imported_case_opened_by_api_leaves_one_read(
    cli_env: Settings, shared_data: Path
) -> None:
    runner = CliRunner()
    runner.invoke(
        cli, ["import", "abcd", str(shared_data / "dialogs/abcd/abcd_sample.json")]
    )
    container = build(cli_env, use_default_detector=False)
    ctx = container.context
    workspace = ctx.views.workspaces()[0]
    agent = ws.create_user(
        ctx,
        workspace.workspace_id,
        name="Agent",
        email="a@x.test",
        role="agent",
        created_by=None,
    )
    case_id = ctx.views.cases(workspace.workspace_id)[0].case_id
    client = TestClient(create_app(container))

    response = client.get(
        f"/v1/workspaces/{workspace.workspace_id}/cases/{case_id}",
        headers={"Authorization": f"Bearer {agent.token}"},
    )
    container.close()
    log = runner.invoke(
        cli, ["access-log", "--case", str(case_id), "--format", "jsonl"]
    )

    assert response.status_code == 200
    entries = [json.loads(line) for line in log.output.splitlines()]
    assert [(e["action"], e["actor_id"]) for e in entries] == [
        ("case.read", str(agent.user_id))
    ]
