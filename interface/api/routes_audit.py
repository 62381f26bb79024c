"""The auditor API (issue 8): verify the tamper-evident log, its signed heads and
public key, verifiable extracts, and the auditor's queries as JSON lines or CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict

from application import audit, retention
from application.audit import AuditLog, ExtractRequest
from application.ports import AccessLogEntry
from application.retention import RetentionRuns
from domain.model import Role
from infrastructure.audit.wiring import AUDIT_LOG, retention_runs_of
from infrastructure.bootstrap import Container
from interface.api.deps import Ctx, User, get_container, in_workspace

router = APIRouter(tags=["audit"])

AUDITORS = (Role.ADMINISTRATOR, Role.AUDITOR)
Output = Literal["jsonl", "csv"]
COLUMNS = (
    "entry_id",
    "occurred_at",
    "action",
    "case_id",
    "subject_id",
    "actor_id",
    "purpose",
    "client_address",
    "country",
)


def audit_log(container: Annotated[Container, Depends(get_container)]) -> AuditLog:
    log: AuditLog = container.extras[AUDIT_LOG]
    return log


Log = Annotated[AuditLog, Depends(audit_log)]


class BreakOut(BaseModel):
    index: int | None
    reason: str


class VerificationOut(BaseModel):
    ok: bool
    tree_size: int
    purged: int
    checkpoints: int
    signed_size: int
    first_break: BreakOut | None
    breaks: list[BreakOut]


class CheckpointOut(BaseModel):
    tree_size: int
    root_hash: str
    signed_at: dt.datetime
    note: str


class ExtractIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_id: UUID | None = None
    case_id: UUID | None = None
    actor_id: UUID | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@router.get(
    "/v1/workspaces/{workspace_id}/audit/verification",
    response_model=VerificationOut,
)
def verify(workspace_id: UUID, user: User, ctx: Ctx, log: Log) -> VerificationOut:
    """Checks the whole access log against its signed checkpoints and names the
    first entry where it breaks (administrators and auditors)."""
    in_workspace(user, workspace_id, *AUDITORS)
    result = audit.verify_log(ctx, log, workspace_id)
    breaks = [BreakOut(index=b.index, reason=b.reason) for b in result.breaks]
    return VerificationOut(
        ok=result.ok,
        tree_size=result.tree_size,
        purged=result.purged,
        checkpoints=result.checkpoints,
        signed_size=result.signed_size,
        first_break=breaks[0] if breaks else None,
        breaks=breaks,
    )


@router.post(
    "/v1/workspaces/{workspace_id}/audit/checkpoints",
    response_model=CheckpointOut,
    status_code=201,
)
def sign(workspace_id: UUID, user: User, ctx: Ctx, log: Log) -> CheckpointOut:
    """Signs the log's head now (once per tree size) and returns the C2SP
    checkpoint."""
    in_workspace(user, workspace_id, *AUDITORS)
    signed = audit.sign_now(ctx, log, workspace_id)
    return CheckpointOut(
        tree_size=signed.tree_size,
        root_hash=signed.root_hash,
        signed_at=signed.signed_at,
        note=signed.note,
    )


@router.get(
    "/v1/workspaces/{workspace_id}/audit/checkpoints/latest",
    response_class=PlainTextResponse,
)
def latest(workspace_id: UUID, user: User, log: Log) -> PlainTextResponse:
    """The newest signed checkpoint as a C2SP signed note (text/plain)."""
    in_workspace(user, workspace_id, *AUDITORS)
    signed = log.latest_checkpoint(workspace_id)
    if signed is None:
        return PlainTextResponse("", status_code=204)
    return PlainTextResponse(signed.note)


@router.get("/v1/audit/public-key", response_class=PlainTextResponse)
def public_key(user: User, log: Log) -> PlainTextResponse:
    """The log's Ed25519 public key as a C2SP verifier key (`name+id+key`)."""
    return PlainTextResponse(log.public_key() + "\n")


@router.post("/v1/workspaces/{workspace_id}/audit/extracts")
def extract(
    workspace_id: UUID, body: ExtractIn, user: User, ctx: Ctx, log: Log
) -> Response:
    """A verifiable extract (application/zip) for a data subject, a case, an
    agent and/or a time range; see docs/audit-extracts.md for its format."""
    in_workspace(user, workspace_id, *AUDITORS)
    made = audit.extract(
        ctx,
        log,
        workspace_id,
        ExtractRequest(
            subject_id=body.subject_id,
            case_id=body.case_id,
            actor_id=body.actor_id,
            since=body.since,
            until=body.until,
        ),
    )
    name = f"audit-{made.extract_id}.zip"
    return Response(
        made.content,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Extract-SHA256": made.sha256,
        },
    )


# Auditor queries


@router.get("/v1/workspaces/{workspace_id}/audit/subjects/{subject_id}/readers")
def who_read(
    workspace_id: UUID,
    subject_id: UUID,
    user: User,
    ctx: Ctx,
    format: Annotated[Output, Query()] = "jsonl",
) -> StreamingResponse:
    """Who read or exported one data subject's data."""
    in_workspace(user, workspace_id, *AUDITORS)
    return _stream(audit.who_read_or_exported(ctx, workspace_id, subject_id), format)


@router.get("/v1/workspaces/{workspace_id}/audit/agents/{actor_id}/activity")
def agent_activity(
    workspace_id: UUID,
    actor_id: UUID,
    user: User,
    ctx: Ctx,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    format: Annotated[Output, Query()] = "jsonl",
) -> StreamingResponse:
    """Everything one agent touched in a period."""
    in_workspace(user, workspace_id, *AUDITORS)
    entries = audit.agent_activity(ctx, workspace_id, actor_id, since, until)
    return _stream(entries, format)


@router.get("/v1/workspaces/{workspace_id}/audit/legal-basis")
def legal_basis(
    workspace_id: UUID,
    user: User,
    ctx: Ctx,
    format: Annotated[Output, Query()] = "jsonl",
) -> StreamingResponse:
    """Every legal-basis confirmation."""
    in_workspace(user, workspace_id, *AUDITORS)
    return _stream(audit.legal_basis_confirmations(ctx, workspace_id), format)


@router.get("/v1/workspaces/{workspace_id}/audit/purges")
def purges(
    workspace_id: UUID,
    user: User,
    ctx: Ctx,
    format: Annotated[Output, Query()] = "jsonl",
) -> StreamingResponse:
    """Every retention purge, with its counts."""
    in_workspace(user, workspace_id, *AUDITORS)
    return _stream(audit.purges(ctx, workspace_id), format)


def _stream(entries: Iterable[AccessLogEntry], format: Output) -> StreamingResponse:
    # Materialised first: a failure then answers with a problem, not a cut file.
    rows = [_row(entry) for entry in entries]
    if format == "csv":
        return StreamingResponse(_csv(rows), media_type="text/csv")
    return StreamingResponse(
        (json.dumps(row) + "\n" for row in rows), media_type="application/jsonl"
    )


def _csv(rows: list[dict[str, object]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    yield buffer.getvalue()


def _row(entry: AccessLogEntry) -> dict[str, object]:
    return {
        "entry_id": entry.entry_id,
        "occurred_at": entry.occurred_at.isoformat(),
        "action": entry.action,
        "case_id": None if entry.case_id is None else str(entry.case_id),
        "subject_id": None if entry.subject_id is None else str(entry.subject_id),
        "actor_id": None if entry.actor_id is None else str(entry.actor_id),
        "purpose": entry.purpose,
        "client_address": entry.client_address,
        "country": entry.country,
    }


# Retention


class PlannedItemOut(BaseModel):
    kind: str
    target: str
    action: str
    why: str


class PurgeOut(BaseModel):
    dry_run: bool
    run_id: UUID | None
    resumed: bool
    items: list[PlannedItemOut]
    counts: dict[str, int]


def retention_runs(
    container: Annotated[Container, Depends(get_container)],
) -> RetentionRuns:
    return retention_runs_of(container)


Runs = Annotated[RetentionRuns, Depends(retention_runs)]


@router.get("/v1/workspaces/{workspace_id}/retention")
def retention_policy(workspace_id: UUID, user: User, ctx: Ctx) -> dict[str, Any]:
    """The workspace's retention policy, defaults filled in."""
    in_workspace(user, workspace_id, *AUDITORS)
    return retention.policy_of(ctx, workspace_id).as_settings()


@router.patch("/v1/workspaces/{workspace_id}/retention")
def change_retention(
    workspace_id: UUID, body: dict[str, Any], user: User, ctx: Ctx
) -> dict[str, Any]:
    """Changes retention settings (administrators); recorded as an event.
    Keys: closed_case_days, closed_case_action (anonymise|erase), inboxes
    ({inbox_id: {closed_case_days, closed_case_action}}), access_log_months,
    access_request_days, test_grace_days."""
    in_workspace(user, workspace_id, Role.ADMINISTRATOR)
    return retention.change_policy(ctx, workspace_id, body, user.user_id).as_settings()


@router.post("/v1/workspaces/{workspace_id}/retention/purges", response_model=PurgeOut)
def purge(
    workspace_id: UUID,
    user: User,
    ctx: Ctx,
    log: Log,
    runs: Runs,
    dry_run: bool = False,
) -> PurgeOut:
    """Runs the workspace's purge now, or with dry_run=true lists what would go
    (administrators)."""
    in_workspace(user, workspace_id, Role.ADMINISTRATOR)
    report = retention.purge_workspace(ctx, runs, log, workspace_id, dry_run=dry_run)
    return PurgeOut(
        dry_run=report.dry_run,
        run_id=report.run_id,
        resumed=report.resumed,
        items=[
            PlannedItemOut(
                kind=item.kind, target=item.target, action=item.action, why=item.why
            )
            for item in report.items
        ],
        counts=report.counts,
    )
