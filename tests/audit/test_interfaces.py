"""The auditor API and `gdprkit audit …` on both stores: verification, signed
heads, extracts that verify offline, queries in JSON lines and CSV, roles and
workspace isolation."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from application import cases
from infrastructure.audit import verify_extract as offline
from infrastructure.bootstrap import Container
from infrastructure.db import audit_leaves
from infrastructure.settings import Settings
from interface.api.app import create_app
from interface.cli import app
from tests.builders import World, dialog, world

runner = CliRunner()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), client=("192.0.2.7", 5000)) as wired:
        yield wired


@pytest.fixture
def seeded(container: Container) -> tuple[World, cases.IngestResult]:
    ctx = container.context
    w = world(ctx)
    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())
    cases.open_case(ctx, result.case_id, cases.ReadContext(w.agent, "support"))
    container.views.catch_up()
    return w, result


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    values = {
        "GDPRKIT_ENVIRONMENT": "test",
        "GDPRKIT_DATABASE_URL": settings.database_url,
        "GDPRKIT_MASTER_KEY": settings.master_key,
        "GDPRKIT_BLIND_INDEX_KEY": settings.blind_index_key,
        "GDPRKIT_OPERATOR_TOKEN": settings.operator_token,
        "GDPRKIT_SIGNING_KEY": settings.signing_key,
        "GDPRKIT_DATA_DIR": str(settings.data_dir),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return settings


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_auditor_extract_over_http_verifies_offline(
    client: TestClient, seeded: tuple[World, cases.IngestResult], tmp_path: Path
) -> None:
    w, result = seeded
    key = client.get("/v1/audit/public-key", headers=bearer(w.auditor_token)).text

    response = client.post(
        f"/v1/workspaces/{w.workspace_id}/audit/extracts",
        json={"subject_id": str(result.subject_id)},
        headers=bearer(w.auditor_token),
    )
    path = tmp_path / "extract.zip"
    path.write_bytes(response.content)

    assert response.headers["content-type"] == "application/zip"
    assert offline.verify_extract(path, offline.NoteKey.parse(key)).selected == 1


def test_auditor_sees_verification_and_the_signed_head(
    client: TestClient, seeded: tuple[World, cases.IngestResult]
) -> None:
    w, _ = seeded
    base = f"/v1/workspaces/{w.workspace_id}/audit"
    signed = client.post(f"{base}/checkpoints", headers=bearer(w.auditor_token))

    verification = client.get(f"{base}/verification", headers=bearer(w.auditor_token))
    latest = client.get(f"{base}/checkpoints/latest", headers=bearer(w.auditor_token))

    assert signed.status_code == 201
    assert verification.json()["ok"] is True
    assert verification.json()["signed_size"] == signed.json()["tree_size"]
    assert latest.text == signed.json()["note"]


def test_who_read_answers_jsonl_and_csv(
    client: TestClient, seeded: tuple[World, cases.IngestResult]
) -> None:
    w, result = seeded
    url = f"/v1/workspaces/{w.workspace_id}/audit/subjects/{result.subject_id}/readers"

    lines = client.get(url, headers=bearer(w.auditor_token)).text.splitlines()
    table = client.get(url, params={"format": "csv"}, headers=bearer(w.auditor_token))
    rows = list(csv.DictReader(io.StringIO(table.text)))

    assert [json.loads(line)["actor_id"] for line in lines] == [str(w.agent.user_id)]
    assert [row["action"] for row in rows] == ["case.read"]


def test_agent_may_not_use_the_auditor_api(
    client: TestClient, seeded: tuple[World, cases.IngestResult]
) -> None:
    w, _ = seeded

    response = client.get(
        f"/v1/workspaces/{w.workspace_id}/audit/verification",
        headers=bearer(w.agent_token),
    )

    assert response.status_code == 403


def test_auditor_of_another_workspace_gets_404(
    client: TestClient,
    container: Container,
    seeded: tuple[World, cases.IngestResult],
) -> None:
    w, result = seeded
    stranger = world(container.context)

    response = client.post(
        f"/v1/workspaces/{w.workspace_id}/audit/extracts",
        json={"subject_id": str(result.subject_id)},
        headers=bearer(stranger.auditor_token),
    )

    assert response.status_code == 404


def test_cli_extract_then_verify_extract_offline(
    env: Settings,
    container: Container,
    seeded: tuple[World, cases.IngestResult],
    tmp_path: Path,
) -> None:
    w, result = seeded
    output = tmp_path / "extract.zip"
    key = runner.invoke(app, ["audit", "public-key"]).output.strip()
    made = runner.invoke(
        app,
        [
            "audit",
            "extract",
            "--workspace",
            str(w.workspace_id),
            "--case",
            str(result.case_id),
            "-o",
            str(output),
        ],
    )

    checked = runner.invoke(
        app, ["audit", "verify-extract", str(output), "--public-key", key]
    )

    assert made.exit_code == 0, made.output
    assert checked.exit_code == 0, checked.output
    assert checked.output.startswith("OK:")


def test_cli_verify_names_the_break_in_one_line(
    env: Settings, container: Container, seeded: tuple[World, cases.IngestResult]
) -> None:
    w, _ = seeded
    runner.invoke(app, ["audit", "checkpoint", "--workspace", str(w.workspace_id)])
    with container.engine.begin() as c:
        c.execute(
            sa.update(audit_leaves)
            .where(
                (audit_leaves.c.workspace_id == str(w.workspace_id))
                & (audit_leaves.c.leaf_index == 0)
            )
            .values(leaf_hash=b"\x00" * 32)
        )

    result = runner.invoke(app, ["audit", "verify", "--workspace", str(w.workspace_id)])

    assert result.exit_code == 1
    assert "gdprkit: error: the log does not verify at entry 0" in result.output


def test_cli_verify_extract_with_a_missing_file_fails_in_one_line(
    tmp_path: Path,
) -> None:
    result = runner.invoke(
        app,
        [
            "audit",
            "verify-extract",
            str(tmp_path / "absent.zip"),
            "--public-key",
            "a+00000000+AQ==",
        ],
    )

    assert result.exit_code == 1
    assert result.output.startswith("gdprkit: error:")
