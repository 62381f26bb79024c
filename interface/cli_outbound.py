"""`gdprkit notifications …` (issue 10): send the outbox now, show its state, and
revoke a no-login link. Registered when interface/cli.py imports this module."""

from __future__ import annotations

from typing import Annotated

import typer

from application import external_links, notifications
from application.outbound_ports import OutboundServices
from application.ports import UserRecord
from infrastructure.bootstrap import Container
from infrastructure.outbound.wiring import EXTRAS_KEY
from interface.cli import WorkspaceOption, _uuid, _workspace, app, fail, running

notifications_app = typer.Typer(
    help="Notifications and no-login links (issue 10).", no_args_is_help=True
)
app.add_typer(notifications_app, name="notifications")


def _svc(container: Container) -> OutboundServices:
    services: OutboundServices = container.extras[EXTRAS_KEY]
    return services


@notifications_app.command("send")
def send() -> None:
    """Queue notifications for new case events and send everything due."""
    with running() as container:
        report = notifications.dispatch_due(container.context, _svc(container))
    typer.echo(
        f"queued {report.queued}, delivered {report.delivered}, "
        f"failed {report.failed} (failed ones are retried later)"
    )


@notifications_app.command("outbox")
def outbox(
    workspace: WorkspaceOption = None,
    status: Annotated[
        str | None, typer.Option(help="queued, failing or delivered")
    ] = None,
    limit: int = 100,
) -> None:
    """List notifications and their delivery state (never their content)."""
    if status not in (None, "queued", "failing", "delivered"):
        raise fail("--status is one of queued, failing, delivered")
    with running() as container:
        found = notifications.outbox(
            container.context,
            _svc(container),
            _workspace(container, workspace),
            status=status,
            limit=limit,
        )
    for n in found:
        typer.echo(
            f"{n.notification_id}  {n.status:9}  {n.channel:5}  {n.kind:9}  "
            f"attempts={n.attempts}  next={n.next_attempt_at or '-'}  "
            f"error={n.last_error or '-'}"
        )


@notifications_app.command("revoke-link")
def revoke_link(
    link: Annotated[str, typer.Argument(help="Link id.")],
    reason: Annotated[str, typer.Option(help="Why (recorded with the event).")],
    as_user: Annotated[
        str, typer.Option("--as", help="User id of whoever revokes (recorded).")
    ],
) -> None:
    """Revoke a no-login link at once."""
    link_id = _uuid(link, "LINK")
    user_id = _uuid(as_user, "--as")
    with running() as container:
        user: UserRecord | None = container.views.user(user_id)
        if user is None:
            raise fail(f"no user {user_id}")
        external_links.revoke_link(container.context, user, link_id, reason)
    typer.echo(f"revoked {link_id}")
