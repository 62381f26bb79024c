"""The HTTP API, versioned under /v1. Thin: parse, authorise, call the application."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hmac
import io
from collections.abc import Iterator
from typing import Annotated, Any, Literal
from uuid import UUID

import orjson
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.responses import StreamingResponse

from application import cases, erasure, external_links, sensitivity
from application import workspaces as ws
from application.errors import InvalidInputError, NotFoundError, UnauthenticatedError
from application.ports import (
    AccessLogFilter,
    ImportedAttachment,
    ImportedDialog,
    ImportedMessage,
    ImportedSubject,
)
from domain.model import Role
from infrastructure.bootstrap import Container
from interface.api import problems, routes_governance
from interface.api import schemas as s
from interface.api.deps import (
    MAX_POSITION,
    STAFF,
    BodySizeLimit,
    Credentials,
    User,
    confirmation,
    in_workspace,
    read_context,
)
from interface.api.governance import ForceHttps, governance_of
from interface.api.routes_access_requests import router as access_requests_router
from interface.api.routes_anonymisation import router as anonymisation_router
from interface.api.routes_audit import router as audit_router
from interface.api.routes_forms import router as forms_router
from interface.api.routes_integrations import router as integrations_router
from interface.api.routes_outbound import router as outbound_router
from interface.pages.routes import router as pages_router
from interface.portal.routes import router as portal_router

# Each capability adds its own APIRouter module here (interface/api/routes_*.py).
ROUTERS: list[APIRouter] = []
ROUTERS.extend((anonymisation_router, forms_router))
ROUTERS.append(routes_governance.router)
ROUTERS.append(audit_router)
ROUTERS.append(access_requests_router)
ROUTERS.append(portal_router)
ROUTERS.append(integrations_router)
ROUTERS.extend((outbound_router, pages_router))  # issue 10


def create_app(container: Container) -> FastAPI:
    ctx = container.context
    settings = container.settings
    app = FastAPI(
        title="gdprkit",
        version="0.1.0",
        description=(
            "Privacy back end for customer-service platforms. Every read of a "
            "case's content is recorded before it is shown."
        ),
    )
    app.state.container = container
    problems.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        ForceHttps,
        enabled=settings.https_only,
        hsts_max_age=settings.hsts_max_age,
        trusted_proxies=governance_of(container).guard.trusted_proxies,
    )

    reader = read_context
    staff = STAFF

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> Response:
        try:
            with container.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            container.store.recorder.max_notification_id()
        except Exception:
            return problems.problem(
                503, "Not ready", "the database is unreachable", "/readyz"
            )
        return Response(
            orjson.dumps({"status": "ready"}), media_type="application/json"
        )

    @app.post("/v1/workspaces", status_code=201, response_model=s.WorkspaceCreated)
    def create_workspace(
        body: s.WorkspaceCreate,
        credentials: Credentials,
    ) -> s.WorkspaceCreated:
        """Creates a workspace and its first administrator (operator token only)."""
        expected = settings.operator_token_value()
        given = credentials.credentials if credentials else ""
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise UnauthenticatedError("creating workspaces needs the operator token")
        workspace_id = ws.create_workspace(ctx, body.name, is_test=body.is_test)
        admin = ws.create_user(
            ctx,
            workspace_id,
            name=body.admin_name,
            email=body.admin_email,
            role=Role.ADMINISTRATOR.value,
            created_by=None,
        )
        return s.WorkspaceCreated(
            workspace_id=workspace_id,
            admin_user_id=admin.user_id,
            admin_token=admin.token,
        )

    @app.post(
        "/v1/workspaces/{workspace_id}/inboxes",
        status_code=201,
        response_model=s.InboxOut,
    )
    def create_inbox(workspace_id: UUID, body: s.InboxCreate, user: User) -> s.InboxOut:
        """Creates an inbox for one channel (administrators)."""
        in_workspace(user, workspace_id, Role.ADMINISTRATOR)
        inbox_id = ws.create_inbox(ctx, workspace_id, body.name, body.channel)
        return s.InboxOut(inbox_id=inbox_id, name=body.name, channel=body.channel)

    @app.get("/v1/workspaces/{workspace_id}/inboxes", response_model=list[s.InboxOut])
    def list_inboxes(workspace_id: UUID, user: User) -> list[s.InboxOut]:
        """Lists the workspace's inboxes."""
        in_workspace(user, workspace_id, *Role)
        return [
            s.InboxOut(inbox_id=i.inbox_id, name=i.name, channel=i.channel)
            for i in ctx.views.inboxes(workspace_id)
        ]

    @app.post(
        "/v1/workspaces/{workspace_id}/users",
        status_code=201,
        response_model=s.UserCreated,
    )
    def create_user(
        workspace_id: UUID, body: s.UserCreate, user: User
    ) -> s.UserCreated:
        """Creates a user; the token in the answer is shown only this once.
        `legal_basis` is required (422 without): why the user needs access."""
        in_workspace(user, workspace_id, Role.ADMINISTRATOR)
        issued = ws.create_user(
            ctx,
            workspace_id,
            name=body.name,
            email=body.email,
            role=body.role,
            created_by=user.user_id,
            legal_basis=confirmation(body.legal_basis),
        )
        return s.UserCreated(user_id=issued.user_id, token=issued.token)

    @app.post(
        "/v1/workspaces/{workspace_id}/inboxes/{inbox_id}/messages",
        status_code=201,
        response_model=s.IngestOut,
    )
    def ingest_message(
        workspace_id: UUID, inbox_id: UUID, body: s.MessageIn, user: User
    ) -> s.IngestOut:
        """Receives a message: adds it to the open case of the same customer and
        thread, or opens a case. Redelivering the same external id adds nothing."""
        in_workspace(user, workspace_id, *staff)
        inbox = ws.require_inbox(ctx, workspace_id, inbox_id)
        dialog = ImportedDialog(
            thread_key=body.thread_key,
            channel=inbox.channel,
            subject=ImportedSubject(
                identities=tuple((i.kind, i.value) for i in body.identities),
                name=body.customer_name,
            ),
            messages=(
                ImportedMessage(
                    external_id=body.external_id,
                    direction=body.direction,
                    author=body.author,
                    author_address=None,
                    body=body.body,
                    sent_at=body.sent_at,
                    subject=body.subject,
                    attachments=tuple(
                        ImportedAttachment(
                            a.filename,
                            a.content_type,
                            base64.b64decode(a.content_base64),
                        )
                        for a in body.attachments
                    ),
                ),
            ),
            tags=tuple(body.tags),
        )
        result = cases.ingest_dialog(ctx, workspace_id, inbox_id, dialog)
        return s.IngestOut(
            case_id=result.case_id,
            subject_id=result.subject_id,
            opened=result.opened,
            messages_added=result.messages_added,
            flagged=list(result.flagged),
        )

    @app.get(
        "/v1/workspaces/{workspace_id}/cases", response_model=list[s.CaseSummaryOut]
    )
    def list_cases(
        workspace_id: UUID,
        user: User,
        inbox_id: UUID | None = None,
        status: Literal["open", "closed"] | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
    ) -> list[s.CaseSummaryOut]:
        """Lists cases without their content (not an audited read)."""
        in_workspace(user, workspace_id, *staff)
        found = cases.list_cases(
            ctx,
            workspace_id,
            inbox_id=inbox_id,
            status=status,
            limit=limit,
            offset=offset,
        )
        return [_summary_out(summary) for summary in found]

    @app.get("/v1/workspaces/{workspace_id}/cases/{case_id}", response_model=s.CaseOut)
    def open_case(
        workspace_id: UUID, case_id: UUID, user: User, request: Request
    ) -> s.CaseOut:
        """Opens a case with its content. The read is recorded in the access log
        first; if that fails, nothing is returned (503)."""
        in_workspace(user, workspace_id, *staff)
        view = cases.open_case(ctx, case_id, reader(user, request, "GET case"))
        return _case_out(view)

    @app.get(
        "/v1/workspaces/{workspace_id}/cases/{case_id}/messages/{message_id}"
        "/attachments/{index}"
    )
    def download_attachment(
        workspace_id: UUID,
        case_id: UUID,
        message_id: UUID,
        index: int,
        user: User,
        request: Request,
    ) -> Response:
        """Downloads one attachment (an audited read of its case)."""
        in_workspace(user, workspace_id, *staff)
        view, content = cases.attachment_content(
            ctx, case_id, message_id, index, reader(user, request, "GET attachment")
        )
        if content is None:
            raise NotFoundError("attachment content (erased)", f"{message_id}/{index}")
        return Response(
            content,
            media_type="application/octet-stream",
            headers={
                "Content-Disposition": "attachment",
                "X-Content-SHA256": view.sha256,
            },
        )

    @app.post("/v1/workspaces/{workspace_id}/cases/{case_id}/assign", status_code=204)
    def assign(workspace_id: UUID, case_id: UUID, body: s.Assign, user: User) -> None:
        """Assigns the case to a user of the workspace; a user new to the case
        needs `legal_basis` (422 without)."""
        in_workspace(user, workspace_id, *staff)
        cases.assign_case(
            ctx, user, case_id, body.assignee_id, confirmation(body.legal_basis)
        )

    @app.post("/v1/workspaces/{workspace_id}/cases/{case_id}/forward", status_code=204)
    def forward(workspace_id: UUID, case_id: UUID, body: s.Forward, user: User) -> None:
        """Forwards the case to a user or an external address; a user new to the
        case needs `legal_basis` (422 without). An address gets a no-login link by
        e-mail (see `external-links`)."""
        in_workspace(user, workspace_id, *staff)
        if body.recipient_id is None and body.recipient_address:
            external_links.forward_to_address(
                ctx,
                container.extras["outbound"],
                user,
                case_id,
                body.recipient_address,
            )
            return
        cases.forward_case(
            ctx,
            user,
            case_id,
            recipient_id=body.recipient_id,
            recipient_address=body.recipient_address,
            legal_basis=confirmation(body.legal_basis),
        )

    @app.post("/v1/workspaces/{workspace_id}/cases/{case_id}/tags", status_code=204)
    def tag(workspace_id: UUID, case_id: UUID, body: s.TagsIn, user: User) -> None:
        """Adds tags; `personal_tags` name people and are sealed like message text."""
        in_workspace(user, workspace_id, *staff)
        cases.tag_case(ctx, user, case_id, body.tags, body.personal_tags)

    @app.post("/v1/workspaces/{workspace_id}/cases/{case_id}/close", status_code=204)
    def close(workspace_id: UUID, case_id: UUID, user: User) -> None:
        """Closes the case (409 if it is closed already)."""
        in_workspace(user, workspace_id, *staff)
        cases.close_case(ctx, user, case_id)

    @app.post("/v1/workspaces/{workspace_id}/cases/{case_id}/reopen", status_code=204)
    def reopen(workspace_id: UUID, case_id: UUID, user: User) -> None:
        """Reopens a closed case (409 if it is open)."""
        in_workspace(user, workspace_id, *staff)
        cases.reopen_case(ctx, user, case_id)

    @app.post("/v1/workspaces/{workspace_id}/cases/{case_id}/flag", status_code=204)
    def flag(workspace_id: UUID, case_id: UUID, body: s.FlagIn, user: User) -> None:
        """Flags the case sensitive by hand (reason required). Later automatic
        scans of the same messages do not overturn it."""
        in_workspace(user, workspace_id, *staff)
        sensitivity.flag_case(ctx, user, case_id, body.categories, body.reason)

    @app.post("/v1/workspaces/{workspace_id}/cases/{case_id}/unflag", status_code=204)
    def unflag(workspace_id: UUID, case_id: UUID, body: s.UnflagIn, user: User) -> None:
        """Removes the sensitive flag by hand (reason required); a new message
        with findings of its own flags the case again."""
        in_workspace(user, workspace_id, *staff)
        sensitivity.unflag_case(ctx, user, case_id, body.reason)

    @app.get(
        "/v1/workspaces/{workspace_id}/subjects", response_model=s.SubjectLookupOut
    )
    def find_subject(
        workspace_id: UUID,
        user: User,
        kind: Annotated[
            str,
            Query(
                pattern="^(email|phone|facebook|twitter|instagram"
                "|youtube|chat|webform)$"
            ),
        ],
        value: Annotated[str, Query(min_length=1, max_length=320)],
    ) -> s.SubjectLookupOut:
        """Finds a data subject by one identity, through the blind index."""
        in_workspace(user, workspace_id, Role.ADMINISTRATOR)
        subject_id = ctx.views.subject_by_digest(
            workspace_id, ctx.hasher.digest(kind, value)
        )
        if subject_id is None:
            raise NotFoundError("data subject with that identity", kind)
        return s.SubjectLookupOut(subject_id=subject_id)

    @app.post(
        "/v1/workspaces/{workspace_id}/subjects/{subject_id}/erasure",
        response_model=s.ErasureReceiptOut,
    )
    def erase_subject(
        workspace_id: UUID, subject_id: UUID, body: s.ErasureIn, user: User
    ) -> s.ErasureReceiptOut:
        """Erases a data subject (art. 17) by destroying their keys; returns the
        receipt. 409 when a legal hold applies or the subject is already erased."""
        in_workspace(user, workspace_id, Role.ADMINISTRATOR)
        receipt = erasure.erase_subject(
            ctx,
            workspace_id,
            subject_id,
            reason=body.reason,
            request_ref=body.request_ref,
            actor_id=user.user_id,
        )
        return s.ErasureReceiptOut(
            subject_id=receipt.subject_id,
            request_ref=receipt.request_ref,
            erased_at=receipt.erased_at,
            keys_destroyed=receipt.keys_destroyed,
            cases_erased=list(receipt.cases_erased),
            cases_kept_shared=list(receipt.cases_kept_shared),
            stores=[
                s.StoreTouchedOut(store=t.store, action=t.action, count=t.count)
                for t in receipt.stores
            ],
        )

    @app.put(
        "/v1/workspaces/{workspace_id}/subjects/{subject_id}/legal-hold",
        status_code=204,
    )
    def place_hold(
        workspace_id: UUID, subject_id: UUID, body: s.LegalHoldIn, user: User
    ) -> None:
        """Places a legal hold: erasure is refused until it is released."""
        in_workspace(user, workspace_id, Role.ADMINISTRATOR)
        erasure.place_subject_hold(
            ctx, workspace_id, subject_id, body.reason, user.user_id
        )

    @app.delete(
        "/v1/workspaces/{workspace_id}/subjects/{subject_id}/legal-hold",
        status_code=204,
    )
    def release_hold(workspace_id: UUID, subject_id: UUID, user: User) -> None:
        """Releases the legal hold."""
        in_workspace(user, workspace_id, Role.ADMINISTRATOR)
        erasure.release_subject_hold(ctx, workspace_id, subject_id, user.user_id)

    @app.get("/v1/workspaces/{workspace_id}/access-log", response_model=None)
    def access_log(
        workspace_id: UUID,
        user: User,
        case_id: UUID | None = None,
        subject_id: UUID | None = None,
        actor_id: UUID | None = None,
        since: str | None = None,
        until: str | None = None,
        after: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
        format: Literal["json", "jsonl", "csv"] = "json",
    ) -> Any:
        """Who touched which case, when, why and from where (auditors only).
        Paginate with `after` = the last `entry_id` seen (`next_after`)."""
        in_workspace(user, workspace_id, Role.AUDITOR)
        ctx.views.catch_up()
        query = AccessLogFilter(
            workspace_id,
            case_id=case_id,
            subject_id=subject_id,
            actor_id=actor_id,
            since=_parse_time(since, "since"),
            until=_parse_time(until, "until"),
            after_entry=after,
            limit=limit,
        )
        entries = [_entry_out(entry) for entry in ctx.views.access_log(query)]
        if format == "jsonl":
            return Response(
                b"".join(
                    orjson.dumps(e.model_dump(mode="json")) + b"\n" for e in entries
                ),
                media_type="application/x-ndjson",
            )
        if format == "csv":
            return StreamingResponse(_csv(entries), media_type="text/csv")
        next_after = entries[-1].entry_id if len(entries) == limit else None
        return s.AccessLogPage(entries=entries, next_after=next_after)

    for router in ROUTERS:
        app.include_router(router)
    return app


def _parse_time(value: str | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"{name} is not an ISO 8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _csv(entries: list[s.AccessLogEntryOut]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = list(s.AccessLogEntryOut.model_fields)
    writer.writerow(columns)
    for entry in entries:
        data = entry.model_dump(mode="json")
        writer.writerow(["" if data[c] is None else data[c] for c in columns])
    yield buffer.getvalue()


def _summary_out(summary: Any) -> s.CaseSummaryOut:
    return s.CaseSummaryOut(
        case_id=summary.case_id,
        inbox_id=summary.inbox_id,
        channel=summary.channel,
        subject_id=summary.subject_id,
        status=summary.status,
        opened_at=summary.opened_at,
        closed_at=summary.closed_at,
        last_activity_at=summary.last_activity_at,
        message_count=summary.message_count,
        assignee_id=summary.assignee_id,
        sensitive=summary.sensitive,
        categories=list(summary.categories),
        tags=list(summary.tags),
    )


def _case_out(view: cases.CaseView) -> s.CaseOut:
    return s.CaseOut(
        case_id=view.case_id,
        inbox_id=view.inbox_id,
        channel=view.channel,
        status=view.status,
        subject_id=view.subject_id,
        opened_at=view.opened_at,
        closed_at=view.closed_at,
        assignee_id=view.assignee_id,
        profile=view.profile,
        tags=list(view.tags),
        sensitive=view.sensitive,
        categories=list(view.categories),
        flag_source=view.flag_source,
        flag_rules=list(view.flag_rules),
        flag_reason=view.flag_reason,
        messages=[
            s.MessageOut(
                message_id=m.message_id,
                direction=m.direction,
                author=m.author,
                subject=m.subject_line,
                body=m.body,
                sent_at=m.sent_at,
                attachments=[
                    s.AttachmentOut(
                        index=a.index,
                        filename=a.filename,
                        content_type=a.content_type,
                        size=a.size,
                        sha256=a.sha256,
                    )
                    for a in m.attachments
                ],
            )
            for m in view.messages
        ],
    )


def _entry_out(entry: Any) -> s.AccessLogEntryOut:
    return s.AccessLogEntryOut(
        entry_id=entry.entry_id,
        action=entry.action,
        case_id=entry.case_id,
        subject_id=entry.subject_id,
        actor_id=entry.actor_id,
        purpose=entry.purpose,
        client_address=entry.client_address,
        country=entry.country,
        occurred_at=entry.occurred_at,
    )
