"""Master-key rotation on both stores: every data key rewrapped, no event
touched, an interrupted run resumes, and the old key alone opens nothing."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from uuid import UUID

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from application import cases
from infrastructure.bootstrap import Container, build
from infrastructure.db import data_keys
from infrastructure.identifiers import FixedClock
from infrastructure.settings import Settings
from infrastructure.vault import KeyVault, WrongMasterKeyError, kek_id_of
from interface.cli import app as cli
from tests.builders import World, dialog, world


def set_cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    values = {
        "ENVIRONMENT": settings.environment,
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "MASTER_KEY": settings.master_key,
        "BLIND_INDEX_KEY": settings.blind_index_key,
        "OPERATOR_TOKEN": settings.operator_token,
    }
    for name, value in values.items():
        monkeypatch.setenv(f"GDPRKIT_{name}", value)


def new_key_file(folder: Path) -> tuple[Path, bytes]:
    key = secrets.token_bytes(32)
    path = folder / "new-master.key"
    path.write_text(base64.b64encode(key).decode() + "\n")
    return path, key


def populated(container: Container) -> tuple[World, UUID]:
    ctx = container.context
    w = world(ctx)
    result = cases.ingest_dialog(
        ctx, w.workspace_id, w.inbox_id, dialog(body="rotate me", name="Rita")
    )
    cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog(body="and me"))
    cases.open_case(ctx, result.case_id, cases.ReadContext(w.agent, "t", "192.0.2.4"))
    return w, result.case_id


def key_rows(container: Container) -> list[tuple[str, int, str]]:
    with container.engine.connect() as connection:
        rows = connection.execute(
            sa.select(data_keys.c.owner_id, data_keys.c.version, data_keys.c.kek_id)
        ).all()
    return sorted((row.owner_id, row.version, row.kek_id) for row in rows)


def event_states(container: Container) -> list[tuple[int, bytes]]:
    notifications = container.store.recorder.select_notifications(
        start=1, limit=100_000
    )
    return [(n.id, bytes(n.state)) for n in notifications]


def rotate(key_file: Path) -> tuple[int, str]:
    outcome = CliRunner().invoke(
        cli, ["rotate-master-key", "--new-key-file", str(key_file)]
    )
    return outcome.exit_code, outcome.stdout + outcome.stderr


def test_rotation_rewraps_every_key_and_leaves_events_untouched(
    container: Container,
    settings: Settings,
    clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w, case_id = populated(container)
    before, events = key_rows(container), event_states(container)
    key_file, new_key = new_key_file(tmp_path)
    set_cli_env(monkeypatch, settings)

    code, output = rotate(key_file)

    after, events_after = key_rows(container), event_states(container)
    rotated = settings.model_copy(
        update={"master_key": base64.b64encode(new_key).decode()}
    )
    running = build(rotated, clock=clock, use_default_detector=False)
    view = cases.open_case(running.context, case_id, cases.ReadContext(w.agent, "t"))
    running.close()
    assert code == 0
    assert f"rewrapped {len(before)} data keys" in output
    assert [(o, v) for o, v, _ in after] == [(o, v) for o, v, _ in before]
    assert {kek for _, _, kek in after} == {kek_id_of(new_key)}
    assert events_after == events
    assert ([m.body for m in view.messages], view.profile["name"]) == (
        ["rotate me"],
        "Rita",
    )


def test_interrupted_rotation_resumes_where_it_stopped(
    container: Container,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    populated(container)
    total = len(key_rows(container))
    key_file, new_key = new_key_file(tmp_path)
    rotating = KeyVault(
        container.engine, new_key, previous_master_keys=[settings.master_key_bytes()]
    )
    rotating.rewrap_batch(limit=2)  # then the process dies
    set_cli_env(monkeypatch, settings)

    remaining = rotating.count_not_current()
    code, output = rotate(key_file)

    assert remaining == total - 2
    assert code == 0
    assert f"rewrapped {total - 2} data keys" in output
    assert rotating.count_not_current() == 0


def test_old_master_key_alone_opens_nothing_after_rotation(
    container: Container,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, case_id = populated(container)
    key_file, _ = new_key_file(tmp_path)
    set_cli_env(monkeypatch, settings)
    rotate(key_file)
    container.close()
    old_only = KeyVault(container.engine, settings.master_key_bytes())

    with pytest.raises(WrongMasterKeyError):
        build(settings, use_default_detector=False)
    with pytest.raises(WrongMasterKeyError):
        old_only.open(case_id, "body", b"\x01" + bytes(4 + 12 + 16), "any")


def test_rotation_with_unreadable_new_key_fails_naming_the_option(
    container: Container,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    populated(container)
    before = key_rows(container)
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    set_cli_env(monkeypatch, settings)

    code, output = rotate(bad)

    assert code == 1
    assert "--new-key-file" in output
    assert key_rows(container) == before


def test_rotation_under_a_foreign_master_key_fails_cleanly(
    container: Container,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    populated(container)
    before = key_rows(container)
    key_file, _ = new_key_file(tmp_path)
    foreign = base64.b64encode(secrets.token_bytes(32)).decode()
    set_cli_env(monkeypatch, settings.model_copy(update={"master_key": foreign}))

    code, output = rotate(key_file)

    assert code == 1
    assert output.startswith("gdprkit: error: data keys are wrapped by master key")
    assert key_rows(container) == before
