"""Retention purges (GDPR art. 5(1)(e)): closed cases past retention are
anonymised or erased through the same use cases as a manual action, log periods
past retention are shredded by destroying their period keys, and expired test
workspaces are purged after their grace period.

A purge run fixes its plan when it starts and records each item as it goes, so
an interrupted run resumes and never acts on an item twice; only the process
that holds the leader lock purges.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections import Counter
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import structlog
from eventsourcing.application import AggregateNotFoundError

from application import anonymisation, erasure
from application.audit import AuditLog
from application.casework import legal_hold_on
from application.context import Context
from application.errors import (
    ApplicationError,
    InvalidInputError,
    LegalHoldError,
    NotFoundError,
)
from application.ports import WorkspaceRecord
from application.workspaces import require_workspace
from domain.accounts import DEFAULT_TEST_EXPIRY_DAYS, policy_id_for
from domain.model import Case, Workspace, log_period_owner
from domain.retention import (
    SETTING_KEY,
    CaseAction,
    InvalidRetentionError,
    ItemKind,
    PurgeRun,
    RetentionPolicy,
)

REASON = "retention"

logger = structlog.get_logger(__name__)


class LeaderLock(abc.ABC):
    """Lets exactly one process purge at a time."""

    @abc.abstractmethod
    def hold(self) -> AbstractContextManager[bool]:
        """Yields True while this process holds the lock, False if another does."""


class RetentionRuns(abc.ABC):
    @abc.abstractmethod
    def unfinished(self, workspace_id: UUID) -> UUID | None:
        """The run of this workspace that started and never completed."""


@dataclass(frozen=True)
class PlannedItem:
    kind: str
    target: str
    action: str
    why: str

    def as_event(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "target": self.target,
            "action": self.action,
            "why": self.why,
        }


@dataclass(frozen=True)
class PurgeReport:
    workspace_id: UUID
    dry_run: bool
    items: tuple[PlannedItem, ...]
    run_id: UUID | None = None
    resumed: bool = False
    counts: dict[str, int] = field(default_factory=dict)


# The policy


def policy_of(ctx: Context, workspace_id: UUID) -> RetentionPolicy:
    require_workspace(ctx, workspace_id)
    workspace: Workspace = ctx.store.get(workspace_id)
    return RetentionPolicy.from_settings(dict(workspace.settings.get(SETTING_KEY, {})))


def change_policy(
    ctx: Context, workspace_id: UUID, changes: dict[str, Any], actor_id: UUID | None
) -> RetentionPolicy:
    """Merges `changes` into the workspace's retention; one event records the
    whole new policy. Raises InvalidInputError on an unknown or bad value."""
    current = policy_of(ctx, workspace_id).as_settings()
    try:
        policy = RetentionPolicy.from_settings({**current, **changes})
    except InvalidRetentionError as error:
        raise InvalidInputError(str(error)) from None
    workspace: Workspace = ctx.store.get(workspace_id)
    workspace.change_setting(
        key=SETTING_KEY, value=policy.as_settings(), actor_id=actor_id
    )
    ctx.save(workspace)
    return policy


# Planning


def plan_purge(ctx: Context, log: AuditLog, workspace_id: UUID) -> list[PlannedItem]:
    """What a purge run would do now, holds already left out."""
    record = require_workspace(ctx, workspace_id)
    policy = policy_of(ctx, workspace_id)
    now = ctx.clock.now()
    if record.is_test and _test_purge_due(ctx, record, policy, now):
        return _test_workspace_items(ctx, log, workspace_id)
    items = []
    for summary in ctx.views.cases(workspace_id, status="closed", limit=10**9):
        expired = summary.closed_at is not None and policy.case_expired(
            summary.inbox_id, summary.closed_at, now
        )
        if not expired or summary.anonymised_mode is not None:
            continue
        case: Case = ctx.store.get(summary.case_id)
        if case.content_shredded or _held(ctx, case):
            continue
        rule = policy.case_rule(summary.inbox_id)
        items.append(
            PlannedItem(
                ItemKind.CASE.value,
                str(case.id),
                rule.closed_case_action,
                f"closed more than {rule.closed_case_days} days ago",
            )
        )
    oldest_kept = policy.oldest_kept_period(now)
    items.extend(
        PlannedItem(
            ItemKind.LOG_PERIOD.value,
            period,
            "shred",
            f"access log older than {policy.access_log_months} months",
        )
        for period in log.log_periods(workspace_id)
        if period < oldest_kept
    )
    return items


def _test_purge_due(
    ctx: Context, record: WorkspaceRecord, policy: RetentionPolicy, now: dt.datetime
) -> bool:
    # The expiry itself belongs to access governance (issue 7), which keeps it
    # in the workspace's access policy; the grace period after it is retention's.
    try:
        governance = ctx.store.get(policy_id_for(record.workspace_id))
        days = int(governance.settings["test_expiry_days"])
    except (AggregateNotFoundError, KeyError):
        days = DEFAULT_TEST_EXPIRY_DAYS
    grace = dt.timedelta(days=days + policy.test_grace_days)
    return now >= record.created_at + grace


def _test_workspace_items(
    ctx: Context, log: AuditLog, workspace_id: UUID
) -> list[PlannedItem]:
    summaries = ctx.views.cases(workspace_id, limit=10**9)
    subjects = sorted({str(s.subject_id) for s in summaries if s.subject_id})
    why = "test workspace past its expiry and grace period"
    return [
        *(PlannedItem(ItemKind.SUBJECT.value, s, "erase", why) for s in subjects),
        *(
            PlannedItem(ItemKind.CASE.value, str(s.case_id), "erase", why)
            for s in summaries
            if s.subject_id is None
        ),
        *(
            PlannedItem(ItemKind.LOG_PERIOD.value, period, "shred", why)
            for period in log.log_periods(workspace_id)
        ),
    ]


def _held(ctx: Context, case: Case) -> bool:
    return legal_hold_on(ctx, case) is not None


# Running


def purge_workspace(
    ctx: Context,
    runs: RetentionRuns,
    log: AuditLog,
    workspace_id: UUID,
    *,
    dry_run: bool = False,
) -> PurgeReport:
    """Runs (or resumes) the workspace's purge; with `dry_run` only reports the
    plan. Every item goes through the same use case as the manual action."""
    unfinished = None if dry_run else runs.unfinished(workspace_id)
    if unfinished is not None:
        run: PurgeRun = ctx.store.get(unfinished)
        items = tuple(_item(planned) for planned in run.planned)
    else:
        items = tuple(plan_purge(ctx, log, workspace_id))
        if dry_run or not items:
            return PurgeReport(workspace_id, dry_run, items)
        run = PurgeRun(
            aggregate_id=uuid4(),
            workspace_id=workspace_id,
            started_at=ctx.clock.now(),
            planned=[item.as_event() for item in items],
        )
        ctx.save(run)
    policy = policy_of(ctx, workspace_id)
    for planned in run.remaining:
        item = _item(planned)
        outcome = _act(ctx, workspace_id, run.id, item, policy)
        run.record_item(
            workspace_id=workspace_id,
            kind=item.kind,
            target=item.target,
            outcome=outcome,
        )
        ctx.save(run)
    counts = dict(Counter(_count_key(run, key) for key in run.done))
    run.complete(workspace_id=workspace_id, counts=counts, completed_at=ctx.clock.now())
    ctx.save(run)
    return PurgeReport(
        workspace_id, False, items, run.id, unfinished is not None, counts
    )


def purge_all(
    ctx: Context, runs: RetentionRuns, log: AuditLog, lock: LeaderLock
) -> list[PurgeReport] | None:
    """Purges every workspace, or returns None when another process leads."""
    with lock.hold() as leader:
        if not leader:
            return None
        reports = []
        for workspace in ctx.views.workspaces():
            # One workspace's failure must not stop the purges of the others;
            # its run stays unfinished and resumes next time.
            try:
                reports.append(purge_workspace(ctx, runs, log, workspace.workspace_id))
            except Exception:
                logger.exception(
                    "retention.workspace_purge_failed",
                    workspace=str(workspace.workspace_id),
                )
        return reports


def _item(planned: dict[str, str]) -> PlannedItem:
    return PlannedItem(
        planned["kind"], planned["target"], planned["action"], planned["why"]
    )


def _count_key(run: PurgeRun, key: str) -> str:
    kind = key.split(":", 1)[0]
    return f"{kind}.{run.done[key]}"


def _act(
    ctx: Context,
    workspace_id: UUID,
    run_id: UUID,
    item: PlannedItem,
    policy: RetentionPolicy,
) -> str:
    """Does one item and says what happened; a repeat finds it done already."""
    reason = f"{REASON}: {item.why}"
    try:
        if item.kind == ItemKind.LOG_PERIOD:
            return _shred_period(ctx, workspace_id, item.target)
        if item.kind == ItemKind.SUBJECT:
            return _erase_subject(ctx, workspace_id, UUID(item.target), run_id, reason)
        if item.action == CaseAction.ANONYMISE:
            anonymisation.anonymise_case(
                ctx, workspace_id, UUID(item.target), reason=reason, actor_id=None
            )
            return "anonymised"
        return _erase_case(ctx, workspace_id, UUID(item.target), run_id, reason, policy)
    except anonymisation.AlreadyAnonymisedError:
        return "already"
    except LegalHoldError:
        return "kept (legal hold)"
    except NotFoundError:
        return "gone"
    except ApplicationError as error:
        # A case reopened since the plan was made, for one: left for next time.
        return f"skipped ({error.title.lower()})"


def _shred_period(ctx: Context, workspace_id: UUID, period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    at = dt.datetime(year, month, 1, tzinfo=dt.UTC)
    ctx.shredder.shred([log_period_owner(workspace_id, at)])
    return "shredded"


def _erase_subject(
    ctx: Context, workspace_id: UUID, subject_id: UUID, run_id: UUID, reason: str
) -> str:
    subject = erasure.load_subject(ctx, workspace_id, subject_id)
    if subject.erased:
        return "already"
    erasure.erase_subject(
        ctx,
        workspace_id,
        subject_id,
        reason=reason,
        request_ref=f"retention/{run_id}",
        actor_id=None,
    )
    return "erased"


def _erase_case(
    ctx: Context,
    workspace_id: UUID,
    case_id: UUID,
    run_id: UUID,
    reason: str,
    policy: RetentionPolicy,
) -> str:
    """Erases a case: with its subject when none of the subject's cases is kept,
    else by shredding the case's own keys as a subject's erasure does."""
    case: Case = ctx.store.get(case_id)
    if case.workspace_id != workspace_id:
        raise NotFoundError("case", case_id)
    if case.content_shredded:
        return "already"
    if case.legal_hold:
        raise LegalHoldError(case_id, case.legal_hold)
    if case.subject_id is not None:
        others = ctx.views.cases(workspace_id, subject_id=case.subject_id, limit=10**6)
        now = ctx.clock.now()
        if all(
            other.closed_at is not None
            and policy.case_expired(other.inbox_id, other.closed_at, now)
            for other in others
        ):
            return _erase_subject(ctx, workspace_id, case.subject_id, run_id, reason)
    owners = erasure.sole_case_owners(case)
    ctx.shredder.shred(owners)
    case.erase(reason=reason, shredded_owner_ids=owners, actor_id=None)
    ctx.save(case)
    return "erased"
