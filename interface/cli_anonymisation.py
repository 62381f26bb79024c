"""`gdprkit cases anonymise` and `gdprkit cases anonymise-closed` (issue 5).

Registered on the `cases` sub-app when interface/cli.py imports this module."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from application import anonymisation as anon
from domain.model import Role
from infrastructure.bootstrap import Container
from interface.cli import (
    WorkspaceOption,
    _acting_user,
    _uuid,
    _workspace,
    cases_app,
    fail,
    running,
)

AsOption = Annotated[
    str | None,
    typer.Option("--as", help="User id of whoever anonymises (recorded)."),
]


@cases_app.command("anonymise")
def cases_anonymise(
    case: Annotated[str, typer.Argument(help="Case id.")],
    reason: Annotated[str, typer.Option(help="Why (recorded with the event).")],
    confirm_open: Annotated[
        bool,
        typer.Option(
            "--confirm-open", help="Anonymise the case even though it is open."
        ),
    ] = False,
    as_user: AsOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Anonymise a case for good: a sensitive case is redacted, any other loses
    the customer's profile. Prints what was done, in counts."""
    case_id = _uuid(case, "CASE")
    with running() as container:
        actor_id = _actor(container, as_user)
        outcome = anon.anonymise_case(
            container.context,
            _workspace(container, workspace),
            case_id,
            reason=reason,
            actor_id=actor_id,
            allow_open=confirm_open,
        )
        typer.echo(
            orjson.dumps(outcome, option=orjson.OPT_INDENT_2, default=str).decode()
        )


@cases_app.command("anonymise-closed")
def cases_anonymise_closed(
    reason: Annotated[str, typer.Option(help="Why (recorded with every case).")],
    inbox: Annotated[
        str | None, typer.Option(help="Only cases of this inbox (id or name).")
    ] = None,
    closed_before: Annotated[
        str | None,
        typer.Option(help="Only cases closed before this ISO 8601 date or time."),
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Only cases with this tag.")] = None,
    job: Annotated[
        str | None,
        typer.Option(help="Resume this job id (or start a new job with this id)."),
    ] = None,
    as_user: AsOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Anonymise every closed case matching all filters, as a resumable job,
    with a progress bar; prints the job's outcome."""
    before = _time(closed_before)
    job_id = None if job is None else _uuid(job, "--job")
    with running() as container:
        workspace_id = _workspace(container, workspace)
        inbox_id = None if inbox is None else _inbox(container, workspace_id, inbox)
        actor_id = _actor(container, as_user)
        with Progress(
            TextColumn("anonymising"),
            BarColumn(),
            MofNCompleteColumn(),
            transient=True,
            redirect_stdout=False,
        ) as bar:
            task = bar.add_task("cases", total=None)

            def report(progress: anon.JobProgress) -> None:
                bar.update(task, total=progress.total, completed=progress.done)

            outcome = anon.anonymise_closed_cases(
                container.context,
                workspace_id,
                inbox_id=inbox_id,
                closed_before=before,
                tag=tag,
                reason=reason,
                actor_id=actor_id,
                job_id=job_id,
                on_progress=report,
            )
        typer.echo(
            orjson.dumps(outcome, option=orjson.OPT_INDENT_2, default=str).decode()
        )


def _actor(container: Container, as_user: str | None) -> UUID | None:
    if as_user is None:
        return None
    user = _acting_user(container, as_user)
    if user.role not in (Role.ADMINISTRATOR, Role.AGENT):
        raise fail(f"user {user.user_id} is an {user.role}; anonymising needs staff")
    return user.user_id


def _inbox(container: Container, workspace_id: UUID, inbox: str) -> UUID:
    for record in container.views.inboxes(workspace_id):
        if inbox in (str(record.inbox_id), record.name):
            return record.inbox_id
    raise fail(f"no inbox {inbox!r} in this workspace")


def _time(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--closed-before is not an ISO 8601 date: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
