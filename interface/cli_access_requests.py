"""`gdprkit access-requests …` (issue 6): the queue for scripts, and the expiry
sweep a scheduler (cron, systemd timer) runs to delete files past their date.

Registered on the main app when interface/cli.py imports this module."""

from __future__ import annotations

from typing import Annotated, cast

import typer

from application import access_requests as ar
from infrastructure.access_requests.wiring import EXTRAS_KEY
from infrastructure.bootstrap import Container
from interface.cli import (
    OutputFormat,
    WorkspaceOption,
    _emit,
    _workspace,
    app,
    running,
)

access_app = typer.Typer(help="Access requests (art. 15): the queue and link expiry.")
app.add_typer(access_app, name="access-requests")


def _svc(container: Container) -> ar.AccessRequestServices:
    return cast(ar.AccessRequestServices, container.extras[EXTRAS_KEY])


@access_app.command("list")
def list_requests(
    workspace: WorkspaceOption = None,
    state: Annotated[str | None, typer.Option(help="Only this state.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TEXT,
) -> None:
    """The queue, earliest deadline first, overdue ones marked."""
    with running() as container:
        workspace_id = _workspace(container, workspace)
        items = ar.queue(container.context, _svc(container), workspace_id, state=state)
        rows = [
            {
                "request_id": str(i.request_id),
                "state": i.state,
                "due_at": i.due_at.isoformat(),
                "overdue": i.overdue,
                "assignee_id": None if i.assignee_id is None else str(i.assignee_id),
                "group_id": str(i.group_id),
                "proven": f"{i.identities_proven}/{i.identities_total}",
            }
            for i in items
        ]
        _emit(rows, fmt, ["request_id", "state", "due_at", "overdue", "proven"])


@access_app.command("expire-links")
def expire_links() -> None:
    """Expires download links past their date and deletes their files."""
    with running() as container:
        expired = ar.expire_links(container.context, _svc(container))
    typer.echo(f"expired {expired} link(s)")
