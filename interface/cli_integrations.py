"""`gdprkit integrations …` (issue 9): the ServiceNow push queue, its retries,
and housekeeping of the webhook replay guard.

Registered on the main app when interface/cli.py imports this module."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, cast

import typer

from application import archive_pushes as pushes
from application.integrations import IntegrationServices
from infrastructure.bootstrap import Container
from infrastructure.integrations.wiring import EXTRAS_KEY
from interface.cli import OutputFormat, WorkspaceOption, _emit, _workspace, app, running

integrations_app = typer.Typer(
    help="ServiceNow pushes of finished access files, and webhook housekeeping."
)
app.add_typer(integrations_app, name="integrations")

PUSH_COLUMNS = [
    "push_id",
    "request_id",
    "status",
    "attempts",
    "record_id",
    "last_error",
]


def _services(container: Container) -> IntegrationServices:
    return cast(IntegrationServices, container.extras[EXTRAS_KEY])


@integrations_app.command("pushes")
def list_pushes(
    workspace: WorkspaceOption = None,
    status: Annotated[
        str | None, typer.Option(help="queued, failed or pushed.")
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TEXT,
) -> None:
    """List pushes of finished files: failed ones show their reason and the
    time of the next attempt."""
    with running() as container:
        workspace_id = _workspace(container, workspace)
        records = _services(container).views.pushes(workspace_id, status)
        rows: list[dict[str, Any]] = [
            {
                "push_id": str(r.push_id),
                "request_id": str(r.request_id),
                "export_id": str(r.export_id),
                "target": r.target,
                "status": r.status,
                "attempts": r.attempts,
                "record_id": r.record_id or "",
                "last_error": r.last_error or "",
                "next_attempt_at": r.next_attempt_at.isoformat()
                if r.next_attempt_at
                else "",
            }
            for r in records
        ]
        _emit(rows, fmt, PUSH_COLUMNS)


@integrations_app.command("retry")
def retry(
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Retry every failed push now, not only those due."
        ),
    ] = False,
) -> None:
    """Send queued pushes and failed ones whose next attempt is due (run it from
    cron or a timer). Exits 1 when any push failed again; nothing is dropped."""
    with running() as container:
        outcomes = pushes.run_pushes(
            container.context, _services(container), force=force
        )
        for outcome in outcomes:
            detail = outcome.record_id or outcome.reason or ""
            typer.echo(f"{outcome.push_id}  {outcome.status}  {detail}")
        failed = sum(o.status != "pushed" for o in outcomes)
        typer.echo(f"{len(outcomes) - failed} pushed, {failed} failed")
    if failed:
        raise typer.Exit(1)


@integrations_app.command("prune-deliveries")
def prune_deliveries(
    older_than_hours: Annotated[int, typer.Option(min=1)] = 24,
) -> None:
    """Forget signed webhook deliveries older than the freshness window needs:
    replays of those are refused as stale anyway."""
    with running() as container:
        before = container.context.clock.now() - dt.timedelta(hours=older_than_hours)
        removed = _services(container).replay.prune(before)
        typer.echo(f"forgot {removed} deliveries")
