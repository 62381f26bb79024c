"""`gdprkit audit …` (issue 8): verify the tamper-evident log, sign its head,
make and check extracts, and the auditor's queries in CSV or JSON lines.

Registered on the main app when interface/cli.py imports this module."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer

from application import audit, retention
from application.audit import AuditLog, ExtractRequest
from application.ports import AccessLogEntry
from infrastructure.audit import verify_extract as offline
from infrastructure.audit.wiring import (
    AUDIT_LOG,
    LEADER_LOCK,
    retention_runs_of,
    scheduler_of,
)
from infrastructure.bootstrap import Container
from interface.cli import (
    LogFormat,
    WorkspaceOption,
    _time,
    _uuid,
    _workspace,
    app,
    fail,
    running,
)

audit_app = typer.Typer(
    help="The tamper-evident access log: verify it, sign its head, make and "
    "check extracts for auditors and regulators, and answer auditors' questions."
)
app.add_typer(audit_app, name="audit")

FormatOption = Annotated[LogFormat, typer.Option("--format")]
SinceOption = Annotated[
    str | None, typer.Option(help="ISO 8601 time, inclusive (UTC if no zone).")
]
UntilOption = Annotated[
    str | None, typer.Option(help="ISO 8601 time, exclusive (UTC if no zone).")
]


def audit_log(container: Container) -> AuditLog:
    log: AuditLog = container.extras[AUDIT_LOG]
    return log


@audit_app.command("verify")
def verify(workspace: WorkspaceOption = None) -> None:
    """Check the whole log against its signed checkpoints; exits 1 and names the
    first leaf where it breaks."""
    with running() as container:
        workspace_id = _workspace(container, workspace)
        result = audit.verify_log(container.context, audit_log(container), workspace_id)
        typer.echo(
            f"log of workspace {workspace_id}: {result.tree_size} entries "
            f"({result.purged} purged by retention), {result.checkpoints} valid "
            f"checkpoints, signed up to entry {result.signed_size}"
        )
        for item in result.breaks:
            where = "log" if item.index is None else f"entry {item.index}"
            typer.echo(f"BREAK at {where}: {item.reason}")
        first = result.first_break
        if first is not None:
            where = "" if first.index is None else f" at entry {first.index}"
            raise fail(f"the log does not verify{where}: {first.reason}")
        typer.echo("OK: every entry matches the signed checkpoints")


@audit_app.command("checkpoint")
def checkpoint(workspace: WorkspaceOption = None) -> None:
    """Sign the log's current head now and print the C2SP checkpoint."""
    with running() as container:
        signed = audit.sign_now(
            container.context,
            audit_log(container),
            _workspace(container, workspace),
        )
        typer.echo(signed.note, nl=False)


@audit_app.command("public-key")
def public_key() -> None:
    """Print the log's public key (C2SP vkey) to hand to auditors out of band."""
    with running() as container:
        typer.echo(audit_log(container).public_key())


@audit_app.command("extract")
def extract(
    output: Annotated[Path, typer.Option("--output", "-o", help="The .zip to write.")],
    workspace: WorkspaceOption = None,
    subject: Annotated[str | None, typer.Option(help="Data subject id.")] = None,
    case: Annotated[str | None, typer.Option(help="Case id.")] = None,
    agent: Annotated[str | None, typer.Option(help="User id of the agent.")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
) -> None:
    """Write a verifiable extract: the matching entries with inclusion proofs,
    every other entry as its hash only, and a freshly signed checkpoint."""
    request = ExtractRequest(
        subject_id=_uuid(subject, "--subject") if subject else None,
        case_id=_uuid(case, "--case") if case else None,
        actor_id=_uuid(agent, "--agent") if agent else None,
        since=_time(since, "--since"),
        until=_time(until, "--until"),
    )
    with running() as container:
        made = audit.extract(
            container.context,
            audit_log(container),
            _workspace(container, workspace),
            request,
        )
        try:
            output.write_bytes(made.content)
        except OSError as error:
            raise fail(f"cannot write {output}: {error.strerror}") from None
        typer.echo(
            f"wrote {output}: {made.selected} entries of {made.tree_size}, "
            f"sha256 {made.sha256}"
        )


@audit_app.command("verify-extract")
def verify_extract(
    file: Annotated[Path, typer.Argument(help="The extract's .zip file.")],
    public_key: Annotated[
        str, typer.Option(help="The log's public key: a vkey, or a file holding one.")
    ],
) -> None:
    """Verify an extract offline: needs no database and no gdprkit keys."""
    try:
        key = offline.load_key(public_key)
        report = offline.verify_extract(file, key)
    except offline.ExtractError as error:
        raise fail(f"the extract does not verify: {error}") from None
    typer.echo(report.summary())


# Auditor queries


@audit_app.command("who-read")
def who_read(
    subject: Annotated[str, typer.Argument(help="Data subject id.")],
    workspace: WorkspaceOption = None,
    format: FormatOption = LogFormat.JSONL,
) -> None:
    """Who read or exported one data subject's data, when, why and from where."""
    subject_id = _uuid(subject, "SUBJECT")
    with running() as container:
        workspace_id = _workspace(container, workspace)
        _print(
            audit.who_read_or_exported(container.context, workspace_id, subject_id),
            format,
        )


@audit_app.command("agent-activity")
def agent_activity(
    agent: Annotated[str, typer.Argument(help="User id of the agent.")],
    workspace: WorkspaceOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    format: FormatOption = LogFormat.JSONL,
) -> None:
    """Everything one agent touched in a period."""
    actor_id = _uuid(agent, "AGENT")
    with running() as container:
        workspace_id = _workspace(container, workspace)
        _print(
            audit.agent_activity(
                container.context,
                workspace_id,
                actor_id,
                _time(since, "--since"),
                _time(until, "--until"),
            ),
            format,
        )


@audit_app.command("legal-basis")
def legal_basis(
    workspace: WorkspaceOption = None, format: FormatOption = LogFormat.JSONL
) -> None:
    """Every legal-basis confirmation: who gave whom access, and why."""
    with running() as container:
        workspace_id = _workspace(container, workspace)
        _print(audit.legal_basis_confirmations(container.context, workspace_id), format)


@audit_app.command("purges")
def purges(
    workspace: WorkspaceOption = None, format: FormatOption = LogFormat.JSONL
) -> None:
    """Every retention purge, with its counts."""
    with running() as container:
        workspace_id = _workspace(container, workspace)
        _print(audit.purges(container.context, workspace_id), format)


def entry_row(entry: AccessLogEntry) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "occurred_at": entry.occurred_at.isoformat(),
        "action": entry.action,
        "case_id": _text(entry.case_id),
        "subject_id": _text(entry.subject_id),
        "actor_id": _text(entry.actor_id),
        "purpose": entry.purpose,
        "client_address": entry.client_address,
        "country": entry.country,
    }


def _print(entries: Iterable[AccessLogEntry], format: LogFormat) -> None:
    rows = (entry_row(entry) for entry in entries)
    if format is LogFormat.JSON:
        typer.echo(json.dumps(list(rows), indent=2))
        return
    if format is LogFormat.JSONL:
        for row in rows:
            typer.echo(json.dumps(row))
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(ENTRY_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)


ENTRY_COLUMNS = (
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


def _text(value: UUID | None) -> str | None:
    return None if value is None else str(value)


# Retention (issue 8): the policy, purges and the scheduler

retention_app = typer.Typer(help="Retention: how long closed cases and logs stay.")
app.add_typer(retention_app, name="retention")


@retention_app.command("show")
def retention_show(workspace: WorkspaceOption = None) -> None:
    """Print the workspace's retention policy (defaults filled in) as JSON."""
    with running() as container:
        policy = retention.policy_of(
            container.context, _workspace(container, workspace)
        )
        typer.echo(json.dumps(policy.as_settings(), indent=2))


@retention_app.command("set")
def retention_set(
    settings: Annotated[
        str,
        typer.Argument(
            help='JSON object of changes, e.g. \'{"closed_case_days": 180, '
            '"closed_case_action": "erase"}\''
        ),
    ],
    workspace: WorkspaceOption = None,
) -> None:
    """Change the retention policy; the change is recorded as an event."""
    try:
        changes = json.loads(settings)
    except ValueError:
        raise fail("the settings are not a JSON object") from None
    if not isinstance(changes, dict):
        raise fail("the settings are not a JSON object")
    with running() as container:
        policy = retention.change_policy(
            container.context, _workspace(container, workspace), changes, None
        )
        typer.echo(json.dumps(policy.as_settings(), indent=2))


@app.command("purge")
def purge(
    workspace: WorkspaceOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would go; change nothing.")
    ] = False,
) -> None:
    """Run the retention purge now (every workspace unless --workspace); resumes
    an interrupted run. Only one process purges at a time."""
    with running() as container:
        ctx = container.context
        targets = (
            [_workspace(container, workspace)]
            if workspace
            else [w.workspace_id for w in container.views.workspaces()]
        )
        lock = container.extras[LEADER_LOCK]
        with lock.hold() as leader:
            if not leader and not dry_run:
                raise fail("another process is purging now; try again later")
            for workspace_id in targets:
                report = retention.purge_workspace(
                    ctx,
                    retention_runs_of(container),
                    audit_log(container),
                    workspace_id,
                    dry_run=dry_run,
                )
                _print_purge(report)


def _print_purge(report: retention.PurgeReport) -> None:
    verb = "would purge" if report.dry_run else "purged"
    typer.echo(f"workspace {report.workspace_id}: {verb} {len(report.items)} items")
    for item in report.items:
        typer.echo(f"  {item.action:9} {item.kind:10} {item.target}  ({item.why})")
    if report.counts:
        resumed = " (resumed an interrupted run)" if report.resumed else ""
        counts = ", ".join(f"{k} {n}" for k, n in sorted(report.counts.items()))
        typer.echo(f"  run {report.run_id}{resumed}: {counts}")


@app.command("scheduler")
def scheduler() -> None:
    """Run the scheduler alone (purges and checkpoint signing at the configured
    intervals); `gdprkit serve` runs the same scheduler in the background."""
    with running() as container:
        jobs = scheduler_of(container)
        typer.echo(
            f"scheduler: purges every {jobs.purge_minutes:g} min, checkpoints every "
            f"{jobs.checkpoint_minutes:g} min (Ctrl-C to stop)"
        )
        try:
            jobs.start(blocking=True)
        except (KeyboardInterrupt, SystemExit):
            typer.echo("scheduler stopped")


def start_background_scheduler(container: Container) -> None:
    """For `gdprkit serve`: purges and signing run beside the API."""
    scheduler_of(container).start(blocking=False)
