"""The Merkle access log on both stores: every access-log row is a leaf, signed
heads verify, and each kind of tampering is named at the leaf where it breaks."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from application import audit, cases, sensitivity
from application.audit import AuditLog
from infrastructure.audit.wiring import AUDIT_LOG
from infrastructure.bootstrap import Container
from infrastructure.db import access_log, audit_checkpoints, audit_leaves
from infrastructure.identifiers import FixedClock
from tests.builders import World, dialog, world


def _log(container: Container) -> AuditLog:
    log: AuditLog = container.extras[AUDIT_LOG]
    return log


def _activity(container: Container, reads: int = 3) -> World:
    ctx = container.context
    w = world(ctx)
    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())
    for _ in range(reads):
        cases.open_case(ctx, result.case_id, cases.ReadContext(w.agent, "support"))
    sensitivity.flag_case(ctx, w.agent, result.case_id, ["HEALTH"], "mentions care")
    return w


def _size(container: Container, w: World) -> int:
    with container.engine.connect() as c:
        return int(
            c.execute(
                sa.select(sa.func.count()).where(
                    access_log.c.workspace_id == str(w.workspace_id)
                )
            ).scalar_one()
        )


def _leaf(container: Container, w: World, index: int) -> dict[str, object]:
    with container.engine.connect() as c:
        content = c.execute(
            sa.select(audit_leaves.c.leaf).where(
                (audit_leaves.c.workspace_id == str(w.workspace_id))
                & (audit_leaves.c.leaf_index == index)
            )
        ).scalar_one()
    parsed: dict[str, object] = json.loads(content)
    return parsed


def test_every_access_log_row_becomes_a_leaf_in_order(container: Container) -> None:
    w = _activity(container)

    verification = audit.verify_log(container.context, _log(container), w.workspace_id)
    size = _size(container, w)
    read = _leaf(container, w, size - 2)

    assert verification.ok
    assert verification.tree_size == size
    assert read["index"] == size - 2
    assert read["action"] == "case.read"
    assert read["actor_id"] == str(w.agent.user_id)
    assert read["sealed_address_sha256"] is None


def test_leaves_hold_no_client_address(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())
    reader = cases.ReadContext(w.agent, "support", "198.51.100.77", "NO")
    cases.open_case(ctx, result.case_id, reader)
    container.views.catch_up()

    leaf = _leaf(container, w, _size(container, w) - 1)

    assert "198.51.100.77" not in json.dumps(leaf)
    assert len(str(leaf["sealed_address_sha256"])) == 64


def test_signed_log_verifies_and_signing_again_adds_no_head(
    container: Container,
) -> None:
    ctx = container.context
    w = _activity(container)
    first = audit.sign_now(ctx, _log(container), w.workspace_id)

    again = audit.sign_now(ctx, _log(container), w.workspace_id)
    verification = audit.verify_log(ctx, _log(container), w.workspace_id)

    size = _size(container, w)
    assert again.note == first.note
    assert first.note.splitlines()[1] == str(size)
    assert verification.ok
    assert (verification.checkpoints, verification.signed_size) == (1, size)


def test_rebuilt_views_give_the_same_signed_log(container: Container) -> None:
    ctx = container.context
    w = _activity(container)
    audit.sign_now(ctx, _log(container), w.workspace_id)

    container.views.rebuild()

    assert audit.verify_log(ctx, _log(container), w.workspace_id).ok


def test_tampered_entry_is_named(container: Container) -> None:
    ctx = container.context
    w = _activity(container)
    audit.sign_now(ctx, _log(container), w.workspace_id)
    target = (audit_leaves.c.workspace_id == str(w.workspace_id)) & (
        audit_leaves.c.leaf_index == _size(container, w) - 2
    )
    with container.engine.begin() as c:
        leaf = c.execute(sa.select(audit_leaves.c.leaf).where(target)).scalar_one()
        altered = bytes(leaf).replace(b"support", b"curious")
        c.execute(sa.update(audit_leaves).where(target).values(leaf=altered))

    first = audit.verify_log(ctx, _log(container), w.workspace_id).first_break

    assert first is not None
    assert first.index == _size(container, w) - 2
    assert "leaf hash" in first.reason


def test_tampered_access_log_row_is_named(container: Container) -> None:
    ctx = container.context
    w = _activity(container)
    with container.engine.begin() as c:
        notification = c.execute(
            sa.select(audit_leaves.c.notification_id).where(
                (audit_leaves.c.workspace_id == str(w.workspace_id))
                & (audit_leaves.c.leaf_index == _size(container, w) - 2)
            )
        ).scalar_one()
        c.execute(
            sa.update(access_log)
            .where(access_log.c.notification_id == notification)
            .values(actor_id=str(w.admin.user_id))
        )

    first = audit.verify_log(ctx, _log(container), w.workspace_id).first_break

    assert first is not None
    assert first.index == _size(container, w) - 2
    assert first.reason.endswith("actor_id")


def test_last_entry_removed_with_its_row_breaks_the_signed_head(
    container: Container,
) -> None:
    ctx = container.context
    w = _activity(container)
    size = _size(container, w)
    audit.sign_now(ctx, _log(container), w.workspace_id)
    with container.engine.begin() as c:
        notification = c.execute(
            sa.delete(audit_leaves)
            .where(
                (audit_leaves.c.workspace_id == str(w.workspace_id))
                & (audit_leaves.c.leaf_index == size - 1)
            )
            .returning(audit_leaves.c.notification_id)
        ).scalar_one()
        c.execute(
            sa.delete(access_log).where(access_log.c.notification_id == notification)
        )

    first = audit.verify_log(ctx, _log(container), w.workspace_id).first_break

    assert first is not None
    assert first.index == size - 1
    assert "removed" in first.reason


def test_removed_entry_is_named(container: Container) -> None:
    ctx = container.context
    w = _activity(container)
    audit.sign_now(ctx, _log(container), w.workspace_id)
    with container.engine.begin() as c:
        c.execute(
            sa.delete(audit_leaves).where(
                (audit_leaves.c.workspace_id == str(w.workspace_id))
                & (audit_leaves.c.leaf_index == 1)
            )
        )

    first = audit.verify_log(ctx, _log(container), w.workspace_id).first_break

    assert first is not None
    assert first.index == 1
    assert "missing" in first.reason


def test_forged_tree_head_is_named(container: Container) -> None:
    ctx = container.context
    w = _activity(container)
    head = audit.sign_now(ctx, _log(container), w.workspace_id)
    size = head.tree_size
    forged = head.note.replace(f"\n{size}\n", f"\n{size + 1}\n", 1)
    with container.engine.begin() as c:
        c.execute(
            sa.insert(audit_checkpoints).values(
                workspace_id=str(w.workspace_id),
                tree_size=size + 1,
                root_hash=bytes.fromhex(head.root_hash),
                note=forged,
                signed_at=head.signed_at,
            )
        )

    first = audit.verify_log(ctx, _log(container), w.workspace_id).first_break

    assert first is not None
    assert "forged tree head" in first.reason


def test_clock_that_jumps_back_is_named(
    container: Container, clock: FixedClock
) -> None:
    ctx = container.context
    w = _activity(container)
    audit.sign_now(ctx, _log(container), w.workspace_id)
    clock.advance(dt.timedelta(days=-3))
    cases.open_case(
        ctx,
        ctx.views.cases(w.workspace_id)[0].case_id,
        cases.ReadContext(w.agent, "support"),
    )
    audit.sign_now(ctx, _log(container), w.workspace_id)
    clock.advance(dt.timedelta(days=3))

    first = audit.verify_log(ctx, _log(container), w.workspace_id).first_break

    assert first is not None
    assert "clock jumped back" in first.reason


def test_other_workspace_log_is_not_found(container: Container) -> None:
    ctx = container.context
    mine = _activity(container)
    theirs = _activity(container)

    mine_size = audit.verify_log(ctx, _log(container), mine.workspace_id).tree_size
    theirs_size = audit.verify_log(ctx, _log(container), theirs.workspace_id).tree_size

    assert (mine_size, theirs_size) == (
        _size(container, mine),
        _size(container, theirs),
    )
