"""Erasure of a data subject on both stores: the API and the CLI, the receipt,
legal holds, shared cases, rebuilt views, and the backup-restore drill."""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID, uuid4

import orjson
import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from application import cases, erasure
from application.ports import (
    ImportedAttachment,
    ImportedDialog,
    ImportedForm,
    ImportedFormValue,
    ImportedMessage,
    ImportedSubject,
    UserRecord,
)
from domain.anonymisation import form_field_owner
from domain.personal_data import ERASED_MARKER
from infrastructure.bootstrap import Container, build
from infrastructure.identifiers import FixedClock
from infrastructure.settings import Settings
from interface.api.app import create_app
from interface.cli import app as cli
from tests.builders import NEEDED, World, dialog, world
from tests.conftest import PG_BIN

# Helpers


@pytest.fixture
def client(container: Container) -> TestClient:
    return TestClient(create_app(container))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def erasure_url(workspace_id: UUID, subject_id: UUID) -> str:
    return f"/v1/workspaces/{workspace_id}/subjects/{subject_id}/erasure"


def erase_via_api(
    client: TestClient, w: World, subject_id: UUID, ref: str = "REQ-1"
) -> Any:
    return client.post(
        erasure_url(w.workspace_id, subject_id),
        json={"reason": "art. 17 request", "request_ref": ref},
        headers=bearer(w.admin_token),
    )


def marker() -> str:
    return f"zq{secrets.token_hex(8)}"


def customer_case(
    container: Container, w: World, *, email: str, name: str, body: str
) -> cases.IngestResult:
    attachment = ImportedAttachment("receipt.pdf", "application/pdf", b"%PDF x")
    return cases.ingest_dialog(
        container.context,
        w.workspace_id,
        w.inbox_id,
        dialog(
            email=email, name=name, body=body, thread=email, attachments=(attachment,)
        ),
    )


def read(container: Container, case_id: UUID, user: UserRecord) -> cases.CaseView:
    container.vault.forget_cached()
    return cases.open_case(container.context, case_id, cases.ReadContext(user, "t"))


def set_cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    values = {
        "ENVIRONMENT": settings.environment,
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "MASTER_KEY": settings.master_key,
        "BLIND_INDEX_KEY": settings.blind_index_key,
        "OPERATOR_TOKEN": settings.operator_token,
        "ERASURE_LEDGER_PATH": str(settings.erasure_ledger_path),
    }
    for name, value in values.items():
        monkeypatch.setenv(f"GDPRKIT_{name}", value)


# Through the API


def test_api_erasure_returns_receipt_counting_every_store_without_values(
    container: Container, client: TestClient, settings: Settings
) -> None:
    ctx = container.context
    w = world(ctx)
    name, email, body = marker(), f"{marker()}@example.test", marker()
    result = customer_case(container, w, email=email, name=name, body=body)
    cases.assign_case(ctx, w.admin, result.case_id, w.agent.user_id, NEEDED)
    cases.tag_case(ctx, w.agent, result.case_id, ["delivery"], [name])
    read(container, result.case_id, w.agent)
    owners = [result.subject_id, result.case_id]

    response = erase_via_api(client, w, result.subject_id)

    receipt = response.json()
    stores = {store["store"]: store["count"] for store in receipt["stores"]}
    ledger = Path(str(settings.erasure_ledger_path)).read_text()
    assert response.status_code == 200
    assert (receipt["subject_id"], receipt["request_ref"]) == (
        str(result.subject_id),
        "REQ-1",
    )
    assert (receipt["cases_erased"], receipt["cases_kept_shared"]) == (
        [str(result.case_id)],
        [],
    )
    assert receipt["keys_destroyed"] == 3
    assert stores == {
        "key vault": 3,
        "event store": 4 + 1,
        "blind index": 1,
        "case list": 1,
        "access log": 2,
        "erasure ledger": 1,
        "exports held": 0,
    }
    assert [v for v in (name, email, body) if v in response.text + ledger] == []
    assert str(result.subject_id) in ledger
    assert container.vault.count_keys(owners) == 0


def test_erased_case_reads_as_erased_and_the_access_log_keeps_its_entries(
    container: Container, client: TestClient
) -> None:
    w = world(container.context)
    result = customer_case(
        container, w, email=f"{marker()}@example.test", name=marker(), body=marker()
    )
    case_url = f"/v1/workspaces/{w.workspace_id}/cases/{result.case_id}"
    log_url = f"/v1/workspaces/{w.workspace_id}/access-log"
    client.get(case_url, headers=bearer(w.agent_token))
    logged = client.get(log_url, headers=bearer(w.auditor_token)).json()["entries"]

    erase_via_api(client, w, result.subject_id)
    shown = client.get(case_url, headers=bearer(w.agent_token)).json()
    message = shown["messages"][0]
    download = client.get(
        f"{case_url}/messages/{message['message_id']}/attachments/0",
        headers=bearer(w.agent_token),
    )
    after = client.get(log_url, headers=bearer(w.auditor_token)).json()["entries"]

    assert set(shown["profile"].values()) == {ERASED_MARKER}
    assert (message["author"], message["subject"], message["body"]) == (
        ERASED_MARKER,
        ERASED_MARKER,
        ERASED_MARKER,
    )
    assert message["attachments"][0]["filename"] == ERASED_MARKER
    assert download.status_code == 404
    assert after[: len(logged)] == logged
    # Opening the case and asking for the attachment are both recorded reads.
    assert [e["action"] for e in after] == [
        "case.read",
        "subject.erased",
        "case.read",
        "case.read",
    ]


def test_legal_hold_refuses_erasure_with_problem_and_recorded_event(
    container: Container, client: TestClient
) -> None:
    w = world(container.context)
    result = customer_case(
        container, w, email=f"{marker()}@example.test", name="Kari", body="hi"
    )
    hold_url = f"/v1/workspaces/{w.workspace_id}/subjects/{result.subject_id}"
    client.put(
        f"{hold_url}/legal-hold",
        json={"reason": "pending court case 12/2026"},
        headers=bearer(w.admin_token),
    )

    response = erase_via_api(client, w, result.subject_id)

    events = list(container.store.repository.event_store.get(result.subject_id))
    refused: Any = events[-1]
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Under legal hold"
    assert type(refused).__qualname__ == "DataSubject.ErasureRefused"
    assert (refused.reason, refused.request_ref) == (
        "pending court case 12/2026",
        "REQ-1",
    )
    assert container.vault.count_keys([result.subject_id, result.case_id]) == 2
    assert read(container, result.case_id, w.agent).messages[0].body == "hi"


def test_erasure_after_hold_is_released_succeeds(
    container: Container, client: TestClient
) -> None:
    w = world(container.context)
    result = customer_case(
        container, w, email=f"{marker()}@example.test", name="Kari", body="hi"
    )
    hold_url = (
        f"/v1/workspaces/{w.workspace_id}/subjects/{result.subject_id}/legal-hold"
    )
    client.put(hold_url, json={"reason": "audit"}, headers=bearer(w.admin_token))
    erase_via_api(client, w, result.subject_id, ref="REQ-refused")

    client.delete(hold_url, headers=bearer(w.admin_token))
    response = erase_via_api(client, w, result.subject_id, ref="REQ-2")

    assert response.status_code == 200


def test_erasing_twice_is_a_conflict(container: Container, client: TestClient) -> None:
    w = world(container.context)
    result = customer_case(container, w, email=f"{marker()}@x.test", name="K", body="b")
    erase_via_api(client, w, result.subject_id)

    again = erase_via_api(client, w, result.subject_id, ref="REQ-again")

    assert (again.status_code, again.json()["title"]) == (409, "Conflict")


def test_erasing_unknown_subject_is_not_found(
    container: Container, client: TestClient
) -> None:
    w = world(container.context)

    response = erase_via_api(client, w, uuid4())

    assert (response.status_code, response.json()["status"]) == (404, 404)


def test_erasing_subject_of_another_workspace_is_not_found(
    container: Container, client: TestClient
) -> None:
    mine, theirs = world(container.context), world(container.context)
    result = customer_case(
        container, theirs, email=f"{marker()}@x.test", name="K", body="b"
    )

    through_mine = erase_via_api(client, mine, result.subject_id)
    into_theirs = client.post(
        erasure_url(theirs.workspace_id, result.subject_id),
        json={"reason": "art. 17", "request_ref": "R"},
        headers=bearer(mine.admin_token),
    )

    assert (through_mine.status_code, into_theirs.status_code) == (404, 404)
    assert container.vault.count_keys([result.subject_id, result.case_id]) == 2


def test_shared_case_keeps_the_other_customers_content(
    container: Container, client: TestClient
) -> None:
    ctx = container.context
    w = world(ctx)
    first = customer_case(
        container, w, email="first@example.test", name="First", body="from first"
    )
    other = cases.ingest_dialog(
        ctx,
        w.workspace_id,
        w.inbox_id,
        dialog(
            email="other@example.test",
            name="Other",
            body="from other",
            thread="first@example.test",
        ),
    )

    receipt = erase_via_api(client, w, first.subject_id).json()
    view = read(container, first.case_id, w.agent)

    assert other.case_id == first.case_id
    assert receipt["cases_kept_shared"] == [str(first.case_id)]
    assert [m.body for m in view.messages] == ["from first", "from other"]
    assert set(view.profile.values()) == {ERASED_MARKER}


def test_shared_message_within_one_dialog_keeps_the_case_content(
    container: Container, client: TestClient
) -> None:
    ctx = container.context
    w = world(ctx)
    messages = tuple(
        ImportedMessage(f"m{i}", "inbound", who, f"{who}@example.test", text, None)
        for i, (who, text) in enumerate([("first", "one"), ("cc", "two")])
    )
    subject = ImportedSubject((("email", "first@example.test"),), "First")
    result = cases.ingest_dialog(
        ctx, w.workspace_id, w.inbox_id, ImportedDialog("t", "email", subject, messages)
    )

    receipt = erase_via_api(client, w, result.subject_id).json()
    view = read(container, result.case_id, w.agent)

    assert receipt["cases_kept_shared"] == [str(result.case_id)]
    assert [m.body for m in view.messages] == ["one", "two"]


def test_erasure_destroys_the_keys_of_submitted_form_values(
    container: Container, client: TestClient
) -> None:
    ctx = container.context
    w = world(ctx, channel="webform")
    secret = marker()
    form = ImportedForm(uuid4(), 1, (ImportedFormValue("iban", "IBAN", True, secret),))
    message = ImportedMessage("f1", "inbound", "Kari", None, "see form", form=form)
    subject = ImportedSubject((("webform", "kari-form"),), "Kari")
    result = cases.ingest_dialog(
        ctx,
        w.workspace_id,
        w.inbox_id,
        ImportedDialog("f", "webform", subject, (message,)),
    )
    form_owner = form_field_owner(
        result.case_id, ctx.store.get(result.case_id).messages[0]["message_id"], "iban"
    )

    receipt = erase_via_api(client, w, result.subject_id).json()

    case: Any = ctx.store.get(result.case_id)
    values = [f["value"].text() for fields in case.form_fields.values() for f in fields]
    assert container.vault.count_keys([form_owner]) == 0
    assert values == [ERASED_MARKER]
    assert receipt["keys_destroyed"] == 4


def test_rebuilt_views_after_erasure_show_the_same_erased_state(
    container: Container, client: TestClient
) -> None:
    ctx = container.context
    w = world(ctx)
    email = f"{marker()}@example.test"
    result = customer_case(container, w, email=email, name=marker(), body=marker())
    kept = customer_case(
        container, w, email=f"{marker()}@example.test", name="Kept", body="kept"
    )
    erase_via_api(client, w, result.subject_id)
    summaries = ctx.views.cases(w.workspace_id)
    view = read(container, result.case_id, w.agent)

    container.views.rebuild()

    rebuilt = read(container, result.case_id, w.agent)
    assert ctx.views.cases(w.workspace_id) == summaries
    assert rebuilt == view
    assert ctx.views.blind_index_rows(result.subject_id) == 0
    assert (
        ctx.views.subject_by_digest(w.workspace_id, ctx.hasher.digest("email", email))
        is None
    )
    assert ctx.views.blind_index_rows(kept.subject_id) == 1


# Through the CLI


def test_cli_erase_prints_the_receipt(
    container: Container, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world(container.context)
    result = customer_case(container, w, email=f"{marker()}@x.test", name="K", body="b")
    set_cli_env(monkeypatch, settings)

    outcome = CliRunner().invoke(
        cli,
        [
            "erase",
            str(result.subject_id),
            "--reason",
            "art. 17 request",
            "--request-ref",
            "REQ-cli",
            "--workspace",
            str(w.workspace_id),
        ],
    )

    receipt = orjson.loads(outcome.stdout)
    assert outcome.exit_code == 0
    assert (receipt["keys_destroyed"], receipt["request_ref"]) == (3, "REQ-cli")
    assert read(container, result.case_id, w.agent).messages[0].body == ERASED_MARKER


def test_cli_erase_under_legal_hold_fails_with_one_line(
    container: Container, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = container.context
    w = world(ctx)
    result = customer_case(container, w, email=f"{marker()}@x.test", name="K", body="b")
    erasure.place_subject_hold(ctx, w.workspace_id, result.subject_id, "audit", None)
    set_cli_env(monkeypatch, settings)

    outcome = CliRunner().invoke(
        cli, ["erase", str(result.subject_id), "--reason", "r", "--request-ref", "R"]
    )

    assert outcome.exit_code == 1
    assert outcome.stderr.strip().splitlines() == [
        f"gdprkit: error: {result.subject_id} is under legal hold: audit"
    ]


# The restore drill: back up, erase, restore, re-apply the ledger


Restore = Callable[[], str]


def _backup_sqlite(settings: Settings, folder: Path, _: list[str]) -> Restore:
    backup = folder / "backup.db"
    with (
        closing(sqlite3.connect(settings.sqlite_path)) as live,
        closing(sqlite3.connect(backup)) as copy,
    ):
        live.backup(copy)

    def restore() -> str:
        restored = folder / "restored.db"
        with (
            closing(sqlite3.connect(backup)) as source,
            closing(sqlite3.connect(restored)) as target,
        ):
            source.backup(target)
        return f"sqlite:///{restored}"

    return restore


def _pg_tool(name: str) -> str:
    bundled = PG_BIN / name
    return str(bundled) if bundled.exists() else shutil.which(name) or name


def _backup_postgres(settings: Settings, folder: Path, created: list[str]) -> Restore:
    dump = folder / "backup.sql"
    dump_command = [_pg_tool("pg_dump"), "--no-owner", "--file", str(dump)]
    subprocess.run(
        [*dump_command, "--dbname", settings.database_url],
        check=True,
        capture_output=True,
    )

    def restore() -> str:
        parts = urlsplit(settings.database_url)
        name = f"gdprkit_restored_{secrets.token_hex(6)}"
        server = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        restored = urlunsplit(parts._replace(path=f"/{name}"))
        psql = [_pg_tool("psql"), "--quiet", "--set", "ON_ERROR_STOP=1"]
        subprocess.run(
            [*psql, "--file", str(dump), "--dbname", restored],
            check=True,
            capture_output=True,
        )
        return restored

    return restore


_BACKUPS: dict[str, Callable[[Settings, Path, list[str]], Restore]] = {
    "sqlite": _backup_sqlite,
    "postgresql": _backup_postgres,
}


@pytest.fixture
def restored_databases(settings: Settings) -> Iterator[list[str]]:
    """Names of databases a drill restored into, dropped afterwards."""
    created: list[str] = []
    yield created
    server = urlunsplit(urlsplit(settings.database_url)._replace(path="/postgres"))
    for name in created:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _bodies(settings: Settings, clock: FixedClock, w: World, case_id: UUID) -> Any:
    running = build(settings, clock=clock, use_default_detector=False)
    view = cases.open_case(
        running.context, case_id, cases.ReadContext(w.agent, "restore drill")
    )
    found = running.views.subject_by_digest(
        w.workspace_id, running.context.hasher.digest("email", "erased@example.test")
    )
    running.close()
    return [m.body for m in view.messages], found


def test_restore_drill_keeps_an_erased_subject_unreadable(
    container: Container,
    settings: Settings,
    clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    restored_databases: list[str],
) -> None:
    ctx = container.context
    w = world(ctx)
    erased = customer_case(
        container, w, email="erased@example.test", name="E", body="erase me"
    )
    kept = customer_case(
        container, w, email="kept@example.test", name="K", body="keep me"
    )
    folder = tmp_path / "backups"
    folder.mkdir()
    # Back up, then erase in the live database.
    restore = _BACKUPS[container.engine.dialect.name](
        settings, folder, restored_databases
    )
    erasure.erase_subject(
        ctx,
        w.workspace_id,
        erased.subject_id,
        reason="art. 17 request",
        request_ref="REQ-drill",
        actor_id=None,
    )
    container.close()
    # Restore the backup: the erased subject is readable again until the check.
    restored = settings.model_copy(update={"database_url": restore()})
    before_check = _bodies(restored, clock, w, erased.case_id)
    set_cli_env(monkeypatch, restored)

    outcome = CliRunner().invoke(cli, ["restore-check"])

    assert before_check == (["erase me"], erased.subject_id)
    assert outcome.exit_code == 0
    assert "re-applied 1 erasures" in outcome.stdout
    assert "3 restored keys destroyed again" in outcome.stdout
    assert _bodies(restored, clock, w, erased.case_id) == ([ERASED_MARKER], None)
    assert _bodies(restored, clock, w, kept.case_id)[0] == ["keep me"]


def test_restore_check_twice_destroys_nothing_more(
    container: Container, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world(container.context)
    result = customer_case(container, w, email=f"{marker()}@x.test", name="K", body="b")
    erasure.erase_subject(
        container.context,
        w.workspace_id,
        result.subject_id,
        reason="r",
        request_ref="R",
        actor_id=None,
    )
    set_cli_env(monkeypatch, settings)

    outcome = CliRunner().invoke(cli, ["restore-check"])

    assert outcome.exit_code == 0
    assert "re-applied 1 erasures from the ledger; 0 restored keys" in outcome.stdout
