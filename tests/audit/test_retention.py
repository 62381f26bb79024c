"""Retention purges on both stores: closed cases past retention go through the
manual use cases, log periods are shredded and stay verifiable, holds exempt,
runs resume without acting twice, one leader purges, and the scheduler purges
on schedule under a controlled clock."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from application import anonymisation, audit, cases, erasure, retention
from application import workspaces as ws
from application.audit import ExtractRequest
from application.errors import InvalidInputError
from application.retention import PurgeReport
from domain.model import Case, DataSubject, log_period_owner
from domain.retention import PurgeRun
from infrastructure.audit import verify_extract as offline
from infrastructure.audit.wiring import (
    LEADER_LOCK,
    audit_log_of,
    retention_runs_of,
    scheduler_of,
)
from infrastructure.bootstrap import Container
from infrastructure.db import access_log
from infrastructure.identifiers import FixedClock
from tests.builders import World, dialog, unique, world

YEAR_AND_A_BIT = dt.timedelta(days=400)


def _closed_case(container: Container, w: World | None = None) -> tuple[World, Case]:
    ctx = container.context
    w = w or world(ctx)
    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())
    cases.open_case(ctx, result.case_id, cases.ReadContext(w.agent, "support"))
    cases.close_case(ctx, w.agent, result.case_id)
    case: Case = ctx.store.get(result.case_id)
    return w, case


def _purge(container: Container, w: World, *, dry_run: bool = False) -> PurgeReport:
    return _purge_id(container, w.workspace_id, dry_run=dry_run)


def _purge_id(
    container: Container, workspace_id: UUID, *, dry_run: bool = False
) -> PurgeReport:
    return retention.purge_workspace(
        container.context,
        retention_runs_of(container),
        audit_log_of(container),
        workspace_id,
        dry_run=dry_run,
    )


def test_case_within_retention_stays(container: Container) -> None:
    w, _ = _closed_case(container)

    report = _purge(container, w)

    assert report.items == ()
    assert report.run_id is None


def test_case_past_retention_is_anonymised_and_the_purge_logged_with_counts(
    container: Container, clock: FixedClock
) -> None:
    w, case = _closed_case(container)
    clock.advance(YEAR_AND_A_BIT)

    report = _purge(container, w)
    summary = container.context.views.case_summary(case.id)
    logged = list(audit.purges(container.context, w.workspace_id))

    assert report.counts == {"case.anonymised": 1}
    assert summary is not None
    assert summary.anonymised_mode == "profile"
    assert [entry.action for entry in logged] == ["retention.purged"]
    assert "case.anonymised 1" in logged[0].purpose


def test_erase_policy_erases_the_subject_through_erasure(
    container: Container, clock: FixedClock
) -> None:
    ctx = container.context
    w, case = _closed_case(container)
    retention.change_policy(
        ctx, w.workspace_id, {"closed_case_action": "erase"}, w.admin.user_id
    )
    clock.advance(YEAR_AND_A_BIT)

    report = _purge(container, w)
    assert case.subject_id is not None
    subject: DataSubject = ctx.store.get(case.subject_id)

    assert report.counts == {"case.erased": 1}
    assert subject.erased


def test_inbox_rule_overrides_the_workspace_default(
    container: Container, clock: FixedClock
) -> None:
    ctx = container.context
    w, _ = _closed_case(container)
    retention.change_policy(
        ctx,
        w.workspace_id,
        {"inboxes": {str(w.inbox_id): {"closed_case_days": 30}}},
        w.admin.user_id,
    )
    clock.advance(dt.timedelta(days=31))

    report = _purge(container, w, dry_run=True)

    assert [item.why for item in report.items] == ["closed more than 30 days ago"]


def test_legal_hold_on_the_subject_exempts_the_case(
    container: Container, clock: FixedClock
) -> None:
    w, case = _closed_case(container)
    assert case.subject_id is not None
    erasure.place_subject_hold(
        container.context, w.workspace_id, case.subject_id, "litigation", None
    )
    clock.advance(YEAR_AND_A_BIT)

    report = _purge(container, w)

    assert report.items == ()


def test_dry_run_lists_and_changes_nothing(
    container: Container, clock: FixedClock
) -> None:
    w, case = _closed_case(container)
    clock.advance(YEAR_AND_A_BIT)

    report = _purge(container, w, dry_run=True)
    again = _purge(container, w, dry_run=True)

    assert [(i.kind, i.target, i.action) for i in report.items] == [
        ("case", str(case.id), "anonymise")
    ]
    assert again.items == report.items


def test_log_period_past_retention_is_shredded_and_still_verifies(
    container: Container, clock: FixedClock, tmp_path: Path
) -> None:
    ctx = container.context
    log = audit_log_of(container)
    w = world(ctx)
    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())
    reader = cases.ReadContext(w.agent, "support", "198.51.100.9", "NO")
    cases.open_case(ctx, result.case_id, reader)
    audit.sign_now(ctx, log, w.workspace_id)
    old_period = clock.now()
    clock.advance(dt.timedelta(days=800))
    cases.open_case(ctx, result.case_id, cases.ReadContext(w.agent, "later"))

    report = _purge(container, w)
    verification = audit.verify_log(ctx, log, w.workspace_id)
    made = audit.extract(
        ctx, log, w.workspace_id, ExtractRequest(case_id=result.case_id)
    )
    path = tmp_path / "after-purge.zip"
    path.write_bytes(made.content)
    key = offline.NoteKey.parse(log.public_key())
    checked = offline.verify_extract(path, key, now=clock.now())
    with container.engine.connect() as c:
        old_rows = c.execute(
            sa.select(sa.func.count()).where(
                (access_log.c.workspace_id == str(w.workspace_id))
                & (access_log.c.period == f"{old_period:%Y-%m}")
            )
        ).scalar_one()

    assert report.counts["log_period.shredded"] == 1
    assert ctx.shredder.count_keys([log_period_owner(w.workspace_id, old_period)]) == 0
    assert old_rows == 0
    assert verification.ok, verification.breaks
    assert verification.purged > 0
    assert checked.purged == verification.purged
    assert checked.selected == 1


def test_interrupted_run_resumes_and_never_acts_twice(
    container: Container, clock: FixedClock
) -> None:
    ctx = container.context
    w, first = _closed_case(container)
    _closed_case(container, w)
    clock.advance(YEAR_AND_A_BIT)
    planned = _purge(container, w, dry_run=True).items
    run = PurgeRun(
        aggregate_id=uuid4(),
        workspace_id=w.workspace_id,
        started_at=clock.now(),
        planned=[item.as_event() for item in planned],
    )
    ctx.save(run)
    # The crash: the first case was anonymised, its record never written.
    anonymisation.anonymise_case(
        ctx, w.workspace_id, first.id, reason="retention", actor_id=None
    )

    report = _purge(container, w)

    assert report.resumed
    assert report.run_id == run.id
    assert report.counts == {"case.already": 1, "case.anonymised": 1}
    assert retention_runs_of(container).unfinished(w.workspace_id) is None


def test_only_one_process_leads(container: Container) -> None:
    lock = container.extras[LEADER_LOCK]

    with lock.hold() as first, lock.hold() as second:
        held = (first, second)
    with lock.hold() as after:
        released = after

    assert held == (True, False)
    assert released


def test_expired_test_workspace_is_purged_after_the_grace_period(
    container: Container, clock: FixedClock
) -> None:
    ctx = container.context
    workspace_id = ws.create_workspace(ctx, unique("Trial "), is_test=True)
    inbox_id = ws.create_inbox(ctx, workspace_id, unique("Inbox "), "email")
    result = cases.ingest_dialog(ctx, workspace_id, inbox_id, dialog())
    clock.advance(dt.timedelta(days=30 + 13))
    early = _purge_id(container, workspace_id, dry_run=True).items
    clock.advance(dt.timedelta(days=2))

    report = _purge_id(container, workspace_id)
    subject: DataSubject = ctx.store.get(result.subject_id)

    assert early == ()
    assert report.counts["subject.erased"] == 1
    assert subject.erased


def test_bad_retention_setting_is_refused(container: Container) -> None:
    w = world(container.context)

    with pytest.raises(InvalidInputError, match="closed_case_days"):
        retention.change_policy(
            container.context, w.workspace_id, {"closed_case_days": 0}, None
        )


@pytest.mark.parametrize(
    "change",
    [
        {"closed_case_days": 999_999_999},
        {"closed_case_days": 99_999_999_999_999_999_999},
        {"access_log_months": 100_000_000},
        {"inboxes": {"00000000-0000-0000-0000-000000000001": None}},
        {"inboxes": []},
    ],
    ids=["days-beyond-a-century", "beyond-64-bits", "months", "null-rule", "list"],
)
def test_absurd_retention_setting_is_refused(
    container: Container, change: dict[str, object]
) -> None:
    w = world(container.context)

    with pytest.raises(InvalidInputError):
        retention.change_policy(container.context, w.workspace_id, change, None)


def test_scheduler_purges_on_schedule(container: Container, clock: FixedClock) -> None:
    w, case = _closed_case(container)
    scheduler = scheduler_of(container)
    scheduler.purge_minutes = 0.1 / 60
    scheduler.checkpoint_minutes = 0.1 / 60
    running = scheduler.start(blocking=False)
    try:
        _wait(lambda: scheduler.purges_run >= 2)
        kept = container.context.views.case_summary(case.id)
        clock.advance(YEAR_AND_A_BIT)
        seen = scheduler.purges_run
        _wait(lambda: scheduler.purges_run >= seen + 2)
    finally:
        running.shutdown(wait=True)
    purged = container.context.views.case_summary(case.id)
    head = audit_log_of(container).latest_checkpoint(w.workspace_id)

    assert kept is not None
    assert kept.anonymised_mode is None
    assert purged is not None
    assert purged.anonymised_mode == "profile"
    assert head is not None


def _wait(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.05)


def test_purge_counts_are_json_in_the_run_table(
    container: Container, clock: FixedClock
) -> None:
    w, _ = _closed_case(container)
    clock.advance(YEAR_AND_A_BIT)
    _purge(container, w)

    with container.engine.connect() as c:
        counts = c.execute(sa.text("SELECT counts FROM retention_runs")).scalar_one()

    assert json.loads(counts) == {"case.anonymised": 1}
