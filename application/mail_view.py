"""Showing an incoming mail's HTML to an agent without loading anything remote
(issue 10.4): sanitised, images held back, and a visible note saying so."""

from __future__ import annotations

import html
from dataclasses import dataclass
from uuid import UUID

from application.cases import ReadContext, record_read
from application.casework import require_case
from application.context import Context
from application.errors import NotFoundError
from application.outbound_ports import OutboundServices
from domain.model import Case


@dataclass(frozen=True)
class RenderedMessage:
    message_id: UUID
    html: str  # safe to insert into an agent's page as it is
    remote_blocked: int
    note: str | None


def message_html(
    ctx: Context,
    svc: OutboundServices,
    case_id: UUID,
    message_id: UUID,
    reader: ReadContext,
) -> RenderedMessage:
    """One message as safe HTML, as an audited read of its case. A body without
    markup is shown as escaped text. NotFoundError for unknown ids."""
    summary = require_case(ctx, reader.actor.workspace_id, case_id)
    case: Case = ctx.store.get(case_id)
    message = next((m for m in case.messages if m["message_id"] == message_id), None)
    if message is None:
        raise NotFoundError("message", message_id)
    record_read(ctx, summary, reader)
    body = message["body"].text()
    if "<" not in body:
        return RenderedMessage(message_id, f"<pre>{html.escape(body)}</pre>", 0, None)
    safe = svc.sanitiser.clean(body)
    if not safe.blocked_remote:
        return RenderedMessage(message_id, safe.html, 0, None)
    note = (
        f"{safe.blocked_remote} remote image(s) were not loaded: they could tell "
        "the sender that and where this message was opened."
    )
    shown = f'<p class="gdprkit-note" role="note">{html.escape(note)}</p>{safe.html}'
    return RenderedMessage(message_id, shown, safe.blocked_remote, note)
