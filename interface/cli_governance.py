"""Commands of access governance (issue 7): the legal-basis ledger and the
security events, for auditors and administrators at the console."""

from __future__ import annotations

from typing import Annotated

import typer

from infrastructure.governance import AccessGovernance
from interface.cli import OutputFormat, _emit, _workspace, app, fail, running


@app.command("legal-basis")
def legal_basis(
    workspace: Annotated[
        str | None, typer.Option(help="Workspace id or name (needed if several).")
    ] = None,
    format: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """Print the legal-basis ledger: who granted whom access, to what, when and
    why."""
    output = _format(format)
    with running(use_default_detector=False) as container:
        workspace_id = _workspace(container, workspace)
        governance: AccessGovernance = container.extras["governance"]
        rows = [
            {
                "entry": entry.entry_id,
                "confirmed_at": entry.confirmed_at.isoformat(),
                "grantor": str(entry.grantor_id or "operator"),
                "grantee": str(entry.grantee_id),
                "scope": entry.scope,
                "case": str(entry.case_id or ""),
                "role": entry.role or "",
                "purpose": entry.purpose,
            }
            for entry in governance.views.ledger(workspace_id)
        ]
    columns = ["confirmed_at", "grantor", "grantee", "scope", "case", "role", "purpose"]
    _emit(rows, output, columns)


@app.command("security-events")
def security_events(
    workspace: Annotated[
        str | None, typer.Option(help="Workspace id or name (needed if several).")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(help="Only this kind, e.g. sessions.concurrent_countries"),
    ] = None,
    format: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """Print logins, failures, lockouts, second-factor changes, refused requests
    and sessions from different countries at once."""
    output = _format(format)
    with running(use_default_detector=False) as container:
        workspace_id = _workspace(container, workspace)
        governance: AccessGovernance = container.extras["governance"]
        rows = [
            {
                "occurred_at": event.occurred_at.isoformat(),
                "kind": event.kind,
                "user": str(event.user_id or ""),
                "country": event.country or "",
                "detail": event.detail,
            }
            for event in governance.views.security_events(workspace_id, kind)
        ]
    _emit(rows, output, ["occurred_at", "kind", "user", "country", "detail"])


def _format(value: str) -> OutputFormat:
    try:
        return OutputFormat(value)
    except ValueError:
        raise fail(f"--format must be text or json, not {value!r}") from None
