"""The `gdprkit` command line. Every error is one line on stderr and a non-zero
exit; every listing has `--format json` for scripts."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TextIO, cast
from uuid import UUID

import orjson
import structlog
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

# typer bundles its own click and exports no public name for usage errors.
from typer._click.exceptions import NoArgsIsHelpError, UsageError

from application import cases, erasure, sensitivity
from application import workspaces as ws
from application.errors import ApplicationError
from application.ports import AccessLogFilter, ImportProblem, UserRecord
from domain.errors import DomainError
from domain.model import Role
from domain.sensitivity import case_verdict
from infrastructure.bootstrap import Container, build
from infrastructure.settings import ConfigurationError, load_settings
from infrastructure.vault import VaultError

VERSION = "0.1.0"

app = typer.Typer(
    help=(
        "gdprkit: the privacy back end of a customer-service platform. Every read "
        "of personal data is recorded before it is shown."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
cases_app = typer.Typer(help="List cases and open them (an audited read).")
import_app = typer.Typer(help="Import real dialogs and mailboxes into an inbox.")
app.add_typer(cases_app, name="cases")
app.add_typer(import_app, name="import")


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class LogFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    JSON = "json"


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"gdprkit: error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def running(**build_options: Any) -> Iterator[Container]:
    try:
        container = build(load_settings(), **build_options)
    except (ConfigurationError, VaultError) as error:
        raise fail(str(error)) from None
    try:
        yield container
    except (ApplicationError, DomainError) as error:
        raise fail(str(error)) from None
    finally:
        container.close()


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"gdprkit {VERSION}")
        raise typer.Exit


class _CurrentStderr:
    """Log lines go to whatever stderr is now, so stdout stays pure output."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """gdprkit command line."""
    # Scripts parse stdout (`--format json`, the erasure receipt): logs go to
    # stderr.
    stderr = cast(TextIO, _CurrentStderr())
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(stderr))


def _workspace(container: Container, workspace: str | None) -> UUID:
    known = container.views.workspaces()
    if workspace is None:
        if len(known) == 1:
            return known[0].workspace_id
        raise fail(
            "say which workspace with --workspace "
            f"({len(known)} exist; `gdprkit workspaces` lists them)"
        )
    for record in known:
        if str(record.workspace_id) == workspace or record.name == workspace:
            return record.workspace_id
    raise fail(f"no workspace {workspace!r}")


def _uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise fail(f"{what} must be a UUID, not {value!r}") from None


def _emit(rows: list[dict[str, Any]], fmt: OutputFormat, columns: list[str]) -> None:
    if fmt is OutputFormat.JSON:
        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    if not rows:
        typer.echo("(none)")
        return
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    typer.echo("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for row in rows:
        typer.echo("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="Port to listen on.")
    ] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            help="Create a demo workspace with synthetic data if the store is empty."
        ),
    ] = True,
) -> None:
    """Start the HTTP API (OpenAPI at /docs)."""
    import uvicorn

    from infrastructure.integrations.wiring import EXTRAS_KEY as INTEGRATIONS
    from infrastructure.integrations.wiring import start_push_sender
    from infrastructure.outbound.wiring import EXTRAS_KEY as OUTBOUND
    from infrastructure.outbound.wiring import start_outbox_sender
    from interface.api.app import create_app
    from interface.cli_audit import start_background_scheduler
    from interface.demo import ensure_demo

    settings = load_settings()
    try:
        container = build(settings)
    except (ConfigurationError, VaultError) as error:
        raise fail(str(error)) from None
    if demo and settings.environment == "development":
        ensure_demo(container, f"http://{host}:{port}")
    # Purges and checkpoint signing run beside the API (issue 8); with several
    # API workers the leader lock lets exactly one of them purge.
    start_background_scheduler(container)
    start_outbox_sender(container.context, container.extras[OUTBOUND])  # issue 10
    start_push_sender(container.context, container.extras[INTEGRATIONS])  # issue 9
    uvicorn.run(create_app(container), host=host, port=port, log_level="warning")


@app.command()
def migrate() -> None:
    """Create or upgrade every table (alembic upgrade head)."""
    from infrastructure.migrations.runner import upgrade_head

    try:
        upgrade_head(load_settings())
    except ConfigurationError as error:
        raise fail(str(error)) from None
    typer.echo("database is at the latest revision")


@app.command()
def workspaces(
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TEXT,
) -> None:
    """List workspaces."""
    with running() as container:
        rows = [
            {
                "workspace_id": str(w.workspace_id),
                "name": w.name,
                "is_test": w.is_test,
                "created_at": w.created_at.isoformat(),
            }
            for w in container.views.workspaces()
        ]
        _emit(rows, format, ["workspace_id", "name", "is_test", "created_at"])


def _run_import(
    source_name: str, path: Path, workspace: str | None, inbox: str | None, channel: str
) -> None:
    from infrastructure.importers import importer_for

    if not path.exists():
        raise fail(f"no such file or folder: {path}")
    with running() as container:
        ctx = container.context
        workspace_id = _workspace(container, workspace)
        inbox_id = _inbox_for_import(
            container, workspace_id, inbox, source_name, channel
        )
        source = importer_for(source_name)
        try:
            total = source.estimate(str(path))
        except OSError as error:
            raise fail(f"cannot read {path}: {error.strerror or error}") from None
        imported = messages = 0
        problems: list[ImportProblem] = []
        try:
            with Progress(
                TextColumn("[bold]import " + source_name),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"),
                transient=False,
                disable=not sys.stderr.isatty(),
            ) as progress:
                task = progress.add_task("import", total=total, status="")
                for item in source.read(str(path)):
                    if isinstance(item, ImportProblem):
                        problems.append(item)
                        typer.echo(f"skipped {item.position}: {item.reason}", err=True)
                    else:
                        try:
                            result = cases.ingest_dialog(
                                ctx, workspace_id, inbox_id, item
                            )
                        except (ApplicationError, DomainError) as error:
                            problems.append(
                                ImportProblem(item.thread_key[:40], str(error))
                            )
                            continue
                        imported += 1
                        messages += result.messages_added
                    progress.update(task, advance=1, status=f"{imported} cases")
        except OSError as error:
            raise fail(f"cannot read {path}: {error.strerror or error}") from None
        if imported == 0 and not problems:
            raise fail(f"found no {source_name} dialogs in {path}")
        typer.echo(
            f"imported {imported} dialogs ({messages} messages) into inbox {inbox_id}; "
            f"{len(problems)} records skipped"
        )


def _inbox_for_import(
    container: Container,
    workspace_id: UUID,
    inbox: str | None,
    source_name: str,
    channel: str,
) -> UUID:
    existing = container.views.inboxes(workspace_id)
    if inbox is not None:
        for record in existing:
            if str(record.inbox_id) == inbox or record.name == inbox:
                return record.inbox_id
        raise fail(f"no inbox {inbox!r} in this workspace")
    name = f"Imported {source_name}"
    for record in existing:
        if record.name == name:
            return record.inbox_id
    return ws.create_inbox(container.context, workspace_id, name, channel)


WorkspaceOption = Annotated[
    str | None,
    typer.Option("--workspace", help="Workspace id or name (default: the only one)."),
]
InboxOption = Annotated[
    str | None,
    typer.Option(
        "--inbox",
        help="Inbox id or name (default: an inbox "
        "named after the format, created if absent).",
    ),
]


@import_app.command("mbox")
def import_mbox(
    path: Path, workspace: WorkspaceOption = None, inbox: InboxOption = None
) -> None:
    """Import an mbox file, an .eml file or a folder of .eml files."""
    _run_import("mbox", path, workspace, inbox, "email")


@import_app.command("tweetsumm")
def import_tweetsumm(
    path: Path, workspace: WorkspaceOption = None, inbox: InboxOption = None
) -> None:
    """Import TweetSumm customer-support threads (tweetsumm_full_dialogs.json)."""
    _run_import("tweetsumm", path, workspace, inbox, "twitter")


@import_app.command("star")
def import_star(
    path: Path, workspace: WorkspaceOption = None, inbox: InboxOption = None
) -> None:
    """Import STAR bank and doctor chats (a .jsonl file or its folder)."""
    _run_import("star", path, workspace, inbox, "chat")


@import_app.command("abcd")
def import_abcd(
    path: Path, workspace: WorkspaceOption = None, inbox: InboxOption = None
) -> None:
    """Import ABCD customer-service chats (abcd_sample.json)."""
    _run_import("abcd", path, workspace, inbox, "chat")


@cases_app.command("list")
def cases_list(
    workspace: WorkspaceOption = None,
    inbox: InboxOption = None,
    status: Annotated[str | None, typer.Option(help="open or closed")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 50,
    offset: Annotated[int, typer.Option(min=0, max=2**62)] = 0,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TEXT,
) -> None:
    """List cases without their content (not an audited read)."""
    with running() as container:
        workspace_id = _workspace(container, workspace)
        inbox_id = None
        if inbox is not None:
            inbox_id = next(
                (
                    i.inbox_id
                    for i in container.views.inboxes(workspace_id)
                    if str(i.inbox_id) == inbox or i.name == inbox
                ),
                None,
            )
            if inbox_id is None:
                raise fail(f"no inbox {inbox!r} in this workspace")
        found = cases.list_cases(
            container.context,
            workspace_id,
            inbox_id=inbox_id,
            status=status,
            limit=limit,
            offset=offset,
        )
        rows = [
            {
                "case_id": str(c.case_id),
                "channel": c.channel,
                "status": c.status,
                "messages": c.message_count,
                "sensitive": c.sensitive,
                "categories": ",".join(c.categories),
                "last_activity_at": c.last_activity_at.isoformat(),
            }
            for c in found
        ]
        _emit(
            rows,
            format,
            [
                "case_id",
                "channel",
                "status",
                "messages",
                "sensitive",
                "last_activity_at",
            ],
        )


@cases_app.command("show")
def cases_show(
    case: Annotated[str, typer.Argument(help="Case id.")],
    as_user: Annotated[
        str,
        typer.Option(
            "--as", help="User id of the reader; the read is recorded in their name."
        ),
    ],
    purpose: Annotated[str, typer.Option(help="Why you read it.")] = "cli: cases show",
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TEXT,
) -> None:
    """Show a case with its content: an audited read, like the API's."""
    case_id = _uuid(case, "CASE")
    user_id = _uuid(as_user, "--as")
    with running() as container:
        ctx = container.context
        user: UserRecord | None = ctx.views.user(user_id)
        if user is None:
            raise fail(f"no user {user_id}")
        ws.require_role(user, Role.ADMINISTRATOR, Role.AGENT)
        view = cases.open_case(
            ctx, case_id, cases.ReadContext(user, purpose, None, None)
        )
        if format is OutputFormat.JSON:
            typer.echo(
                orjson.dumps(view, option=orjson.OPT_INDENT_2, default=str).decode()
            )
            return
        typer.echo(
            f"case {view.case_id} · {view.channel} · {view.status}"
            + (f" · sensitive: {', '.join(view.categories)}" if view.sensitive else "")
        )
        for key, value in view.profile.items():
            typer.echo(f"  {key}: {value}")
        for message in view.messages:
            typer.echo(
                f"\n--- {message.direction} · {message.author} · "
                f"{message.sent_at:%Y-%m-%d %H:%M}"
            )
            if message.subject_line:
                typer.echo(f"Subject: {message.subject_line}")
            typer.echo(message.body)
            for attachment in message.attachments:
                typer.echo(
                    f"  [attachment {attachment.index}] {attachment.filename} "
                    f"({attachment.content_type}, {attachment.size} bytes)"
                )


def _acting_user(container: Container, as_user: str) -> UserRecord:
    user_id = _uuid(as_user, "--as")
    user = container.views.user(user_id)
    if user is None:
        raise fail(f"no user {user_id}")
    return user


@cases_app.command("flag")
def cases_flag(
    case: Annotated[str, typer.Argument(help="Case id.")],
    as_user: Annotated[str, typer.Option("--as", help="User id of the agent.")],
    category: Annotated[
        list[str],
        typer.Option(help="A sensitive category, e.g. HEALTH; repeat for several."),
    ],
    reason: Annotated[str, typer.Option(help="Why (recorded).")],
) -> None:
    """Flag a case sensitive by hand; automatic scans will not overturn it."""
    case_id = _uuid(case, "CASE")
    with running() as container:
        user = _acting_user(container, as_user)
        ws.require_role(user, Role.ADMINISTRATOR, Role.AGENT)
        sensitivity.flag_case(container.context, user, case_id, category, reason)
        typer.echo(f"case {case_id} flagged: {', '.join(category)}")


@cases_app.command("unflag")
def cases_unflag(
    case: Annotated[str, typer.Argument(help="Case id.")],
    as_user: Annotated[str, typer.Option("--as", help="User id of the agent.")],
    reason: Annotated[str, typer.Option(help="Why (recorded).")],
) -> None:
    """Remove a case's sensitive flag by hand; a new message with findings of
    its own flags it again."""
    case_id = _uuid(case, "CASE")
    with running() as container:
        user = _acting_user(container, as_user)
        ws.require_role(user, Role.ADMINISTRATOR, Role.AGENT)
        sensitivity.unflag_case(container.context, user, case_id, reason)
        typer.echo(f"case {case_id} unflagged")


@app.command()
def rescan(workspace: WorkspaceOption = None) -> None:
    """Run the current detector over existing cases (after lexicon updates),
    recording only changes. Cases flagged or unflagged by hand are left alone."""
    with running() as container:
        workspace_id = _workspace(container, workspace)
        total = len(container.views.cases(workspace_id, limit=10_000_000))
        with Progress(
            TextColumn("[bold]rescan"),
            BarColumn(),
            MofNCompleteColumn(),
            disable=not sys.stderr.isatty(),
        ) as progress:
            task = progress.add_task("rescan", total=total)
            outcome = sensitivity.rescan(
                container.context,
                workspace_id,
                on_case=lambda: progress.update(task, advance=1),
            )
        typer.echo(
            f"scanned {outcome.scanned} cases: {outcome.flagged} newly flagged, "
            f"{outcome.unflagged} unflagged, {outcome.kept_manual} kept as decided "
            "by hand"
        )


@app.command()
def detect(
    text: Annotated[
        str | None, typer.Argument(help="The text; read from stdin when omitted.")
    ] = None,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TEXT,
) -> None:
    """Show what the detector finds in a text and whether it would flag a case,
    so a phrase can be tried before the flag is trusted."""
    from infrastructure.detection import RuleBasedDetector, format_findings

    content = sys.stdin.read() if text is None else text
    detector = RuleBasedDetector()
    findings = detector.scan(content)
    verdict = case_verdict(findings)
    typer.echo(format_findings(content, findings, verdict, format.value))


@app.command("access-log")
def access_log(
    workspace: WorkspaceOption = None,
    case: Annotated[str | None, typer.Option("--case")] = None,
    subject: Annotated[str | None, typer.Option("--subject")] = None,
    actor: Annotated[str | None, typer.Option("--actor")] = None,
    since: Annotated[str | None, typer.Option(help="ISO 8601 time, inclusive")] = None,
    until: Annotated[str | None, typer.Option(help="ISO 8601 time, exclusive")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1_000_000)] = 10_000,
    format: Annotated[LogFormat, typer.Option("--format")] = LogFormat.JSONL,
) -> None:
    """Print the access log: who touched which case, when, why, from where."""
    with running() as container:
        container.views.catch_up()
        query = AccessLogFilter(
            workspace_id=_workspace(container, workspace),
            case_id=_uuid(case, "--case") if case else None,
            subject_id=_uuid(subject, "--subject") if subject else None,
            actor_id=_uuid(actor, "--actor") if actor else None,
            since=_time(since, "--since"),
            until=_time(until, "--until"),
            limit=limit,
        )
        entries = container.views.access_log(query)
        rows = [
            {
                "entry_id": e.entry_id,
                "occurred_at": e.occurred_at.isoformat(),
                "action": e.action,
                "case_id": _s(e.case_id),
                "subject_id": _s(e.subject_id),
                "actor_id": _s(e.actor_id),
                "purpose": e.purpose,
                "client_address": e.client_address,
                "country": e.country,
            }
            for e in entries
        ]
        if format is LogFormat.JSON:
            typer.echo(json.dumps(rows, indent=2))
        elif format is LogFormat.JSONL:
            for row in rows:
                typer.echo(json.dumps(row))
        else:
            writer = csv.DictWriter(
                sys.stdout, fieldnames=list(rows[0]) if rows else ["entry_id"]
            )
            writer.writeheader()
            writer.writerows(rows)


def _s(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def _time(value: str | None, option: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} is not an ISO 8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@app.command()
def erase(
    subject: Annotated[
        str, typer.Argument(help="Data subject id (see `gdprkit subjects find`).")
    ],
    reason: Annotated[str, typer.Option(help="Why: e.g. 'art. 17 request'.")],
    request_ref: Annotated[str, typer.Option(help="Your reference for the request.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Erase a data subject (art. 17) by destroying their keys; prints the receipt."""
    subject_id = _uuid(subject, "SUBJECT")
    with running() as container:
        receipt = erasure.erase_subject(
            container.context,
            _workspace(container, workspace),
            subject_id,
            reason=reason,
            request_ref=request_ref,
            actor_id=None,
        )
        typer.echo(
            orjson.dumps(receipt, option=orjson.OPT_INDENT_2, default=str).decode()
        )


@app.command("find-subject")
def find_subject(
    kind: Annotated[str, typer.Argument(help="email, phone, twitter, facebook, ...")],
    value: Annotated[str, typer.Argument(help="The identifier.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Find a data subject's id by one identity (through the blind index)."""
    with running() as container:
        workspace_id = _workspace(container, workspace)
        subject_id = container.views.subject_by_digest(
            workspace_id, container.context.hasher.digest(kind, value)
        )
        if subject_id is None:
            raise fail("no data subject with that identity")
        typer.echo(str(subject_id))


@app.command("restore-check")
def restore_check() -> None:
    """After restoring a backup: destroy again every key the erasure ledger names."""
    with running() as container:
        records, destroyed = erasure.reapply_ledger(container.context)
        typer.echo(
            f"re-applied {records} erasures from the ledger; "
            f"{destroyed} restored keys destroyed again"
        )


@app.command("rotate-master-key")
def rotate_master_key(
    new_key_file: Annotated[
        Path, typer.Option(help="File with the new base64 32-byte master key.")
    ],
) -> None:
    """Rewrap every data key under a new master key. Resumable: run it again after
    an interruption. Afterwards point GDPRKIT_MASTER_KEY_FILE at the new key."""
    from infrastructure.db import create_db_engine
    from infrastructure.settings import _read_key_file
    from infrastructure.vault import KeyVault

    settings = load_settings()
    try:
        new_key = _read_key_file(new_key_file, "--new-key-file")
        old_key = settings.master_key_bytes()
    except ConfigurationError as error:
        raise fail(str(error)) from None
    engine = create_db_engine(settings.database_url)
    vault = KeyVault(engine, new_key, previous_master_keys=[old_key])
    remaining = vault.count_not_current()
    with Progress(
        TextColumn("[bold]rewrap"),
        BarColumn(),
        MofNCompleteColumn(),
        disable=not sys.stderr.isatty(),
    ) as progress:
        task = progress.add_task("rewrap", total=remaining)
        while True:
            try:
                done = vault.rewrap_batch()
            except VaultError as error:
                raise fail(str(error)) from None
            if not done:
                break
            progress.update(task, advance=done)
    engine.dispose()
    typer.echo(
        f"rewrapped {remaining} data keys under master key {vault.kek_id}; "
        "now set GDPRKIT_MASTER_KEY_FILE to the new key and keep the old one "
        "until the last backup that needs it has expired"
    )


@app.command("projections")
def projections(
    rebuild: Annotated[
        bool,
        typer.Option(help="Empty every view and project the whole event store again."),
    ] = False,
) -> None:
    """Bring the read models up to date (or rebuild them from scratch)."""
    with running() as container:
        applied = container.views.rebuild() if rebuild else container.views.catch_up()
        typer.echo(f"applied {applied} events")


# Commands of other capabilities register themselves on the sub-apps above, so
# they are imported once `app` exists.
from interface import (  # noqa: E402
    cli_access_requests,  # noqa: F401
    cli_anonymisation,  # noqa: F401
    cli_audit,  # noqa: F401
    cli_governance,  # noqa: F401
    cli_integrations,  # noqa: F401
    cli_outbound,  # noqa: F401
)


def main() -> None:
    """Runs the command line; usage mistakes are one line and exit status 2."""
    command = typer.main.get_command(app)
    try:
        # Without standalone mode an Exit comes back as the return value.
        code = command.main(prog_name="gdprkit", standalone_mode=False)
    except NoArgsIsHelpError:
        raise SystemExit(0) from None  # the help was printed
    except UsageError as error:
        where = error.ctx.command_path if error.ctx else "gdprkit"
        typer.echo(
            f"gdprkit: error: {error.format_message()} (see `{where} --help`)",
            err=True,
        )
        raise SystemExit(2) from None
    except typer.Exit as done:
        raise SystemExit(done.exit_code) from None
    except typer.Abort:
        typer.echo("gdprkit: error: aborted", err=True)
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
