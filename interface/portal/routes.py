"""Portal pages under /portal/{workspace}: the person's request, and a minimal
queue for agents. Forms post back with a CSRF token (double-submit cookie) and
every answer is a redirect or a page: nothing needs JavaScript."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Annotated, Any, cast
from uuid import UUID

import jinja2
from fastapi import APIRouter, Form, Request
from fastapi.responses import (
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from application import access_requests as ar
from application.errors import (
    ApplicationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from application.ports import UserRecord
from application.workspaces import require_workspace
from domain.access_requests import PROVABLE_KINDS, AccessRequest
from infrastructure.access_requests.wiring import EXTRAS_KEY
from infrastructure.bootstrap import Container
from interface.api.deps import STAFF, current_user, in_workspace
from interface.api.governance import SESSION_COOKIE, request_client
from interface.portal.texts import CHANNEL_NAMES, TEXTS

router = APIRouter(prefix="/portal/{workspace_id}", include_in_schema=False)
CSRF_COOKIE = "gdprkit_portal_csrf"
LANG_COOKIE = "gdprkit_portal_lang"
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
)
CsrfField = Annotated[str, Form(max_length=100)]
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


class CsrfError(ApplicationError):
    status = 403
    title = "Forbidden"


def _container(request: Request) -> Container:
    return cast(Container, request.app.state.container)


def _svc(request: Request) -> ar.AccessRequestServices:
    return cast(ar.AccessRequestServices, _container(request).extras[EXTRAS_KEY])


def _lang(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in TEXTS:
        return chosen
    accepted = request.headers.get("accept-language", "").lower()
    return "nb" if accepted.startswith(("nb", "no", "nn")) else "en"


def _page(
    request: Request,
    template: str,
    status: int = 200,
    *,
    lang: str | None = None,
    **values: Any,
) -> HTMLResponse:
    lang = lang or _lang(request)
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    message_key = request.query_params.get("m")
    t = TEXTS[lang]
    message = values.pop("message", None) or t.get(f"m_{message_key}")
    html = _env.get_template(template).render(
        t=t,
        lang=lang,
        csrf=csrf,
        message=message,
        error=values.pop("error", message_key not in (None, *_GOOD)),
        channels=CHANNEL_NAMES,
        **values,
    )
    response = HTMLResponse(html, status_code=status, headers=_SECURITY_HEADERS)
    path = f"/portal/{request.path_params.get('workspace_id', '')}"
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", path=path)
    if request.query_params.get("lang") in TEXTS:
        response.set_cookie(LANG_COOKIE, lang, httponly=True, samesite="strict")
    return response


_GOOD = ("code_sent", "proven", "submitted")


def _check_csrf(request: Request, given: str) -> None:
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise CsrfError("the form's CSRF token does not match")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def _not_found(request: Request) -> HTMLResponse:
    t = TEXTS[_lang(request)]
    return _page(request, "error.html", 404, heading=t["not_found"], error=True)


# The person's pages


@router.get("", response_class=HTMLResponse)
def start_page(workspace_id: UUID, request: Request) -> Response:
    ctx = _container(request).context
    try:
        workspace = require_workspace(ctx, workspace_id)
    except NotFoundError:
        return _not_found(request)
    return _page(
        request, "start.html", workspace_id=workspace_id, organisation=workspace.name
    )


@router.post("/requests")
def start(
    workspace_id: UUID,
    request: Request,
    csrf: CsrfField,
    lang: Annotated[str, Form(max_length=5)] = "en",
) -> Response:
    _check_csrf(request, csrf)
    ctx = _container(request).context
    try:
        started = ar.start_request(ctx, workspace_id, lang)
    except NotFoundError:
        return _not_found(request)
    return _redirect(f"/portal/{workspace_id}/r/{started.token}")


def _request(request: Request, workspace_id: UUID, token: str) -> AccessRequest:
    return ar.request_for_token(
        _container(request).context, _svc(request), workspace_id, token
    )


@router.get("/r/{token}", response_class=HTMLResponse)
def status_page(workspace_id: UUID, token: str, request: Request) -> Response:
    try:
        access_request = _request(request, workspace_id, token)
    except NotFoundError:
        return _not_found(request)
    live = access_request.live_export
    identities = list(access_request.identities.values())
    return _page(
        request,
        "status.html",
        lang=request.query_params.get("lang") or access_request.language,
        access_request=access_request,
        identities=identities,
        proven_count=len(access_request.proven_identities),
        open=access_request.is_open_for_identities,
        base=f"/portal/{workspace_id}/r/{token}",
        live_export=None
        if live is None
        else {"export_id": live, **access_request.exports[live]},
    )


def _status_url(request: Request, workspace_id: UUID, token: str) -> str:
    public = _container(request).settings.public_url.rstrip("/")
    return f"{public}/portal/{workspace_id}/r/{token}"


def _after(workspace_id: UUID, token: str, message: str) -> RedirectResponse:
    return _redirect(f"/portal/{workspace_id}/r/{token}?m={message}")


def _portal_step(
    request: Request, workspace_id: UUID, token: str, csrf: str, step: Any
) -> Response:
    """Runs one step and answers with the status page and a message key; errors
    become messages, never pages with stack traces or echoed input."""
    _check_csrf(request, csrf)
    try:
        access_request = _request(request, workspace_id, token)
    except NotFoundError:
        return _not_found(request)
    try:
        message = step(access_request)
    except ar.CodeRejectedError as error:
        message = error.reason.replace(" ", "_")
    except ar.TooManyRequestsError:
        message = "rate"
    except ar.GoneError:
        message = "gone"
    except InvalidInputError:
        message = "invalid"
    except ConflictError as error:
        t = TEXTS[access_request.language]
        return _page(
            request,
            "error.html",
            409,
            lang=access_request.language,
            heading=t["m_conflict"].format(detail=error.detail),
            error=True,
        )
    return _after(workspace_id, token, message)


@router.post("/r/{token}/identities")
def add_identity(
    workspace_id: UUID,
    token: str,
    request: Request,
    csrf: CsrfField,
    kind: Annotated[str, Form(max_length=16)],
    value: Annotated[str, Form(max_length=320)],
) -> Response:
    ctx = _container(request).context
    if kind not in PROVABLE_KINDS:
        return _after(workspace_id, token, "invalid")

    def step(access_request: AccessRequest) -> str:
        ar.add_identity(
            ctx,
            _svc(request),
            access_request,
            kind,
            value,
            status_url=_status_url(request, workspace_id, token),
        )
        return "code_sent"

    return _portal_step(request, workspace_id, token, csrf, step)


@router.post("/r/{token}/identities/{identity_id}/resend")
def resend(
    workspace_id: UUID, token: str, identity_id: UUID, request: Request, csrf: CsrfField
) -> Response:
    ctx = _container(request).context

    def step(access_request: AccessRequest) -> str:
        ar.send_code(
            ctx,
            _svc(request),
            access_request,
            identity_id,
            status_url=_status_url(request, workspace_id, token),
        )
        return "code_sent"

    return _portal_step(request, workspace_id, token, csrf, step)


@router.post("/r/{token}/identities/{identity_id}/proof")
def prove(
    workspace_id: UUID,
    token: str,
    identity_id: UUID,
    request: Request,
    csrf: CsrfField,
    code: Annotated[str, Form(max_length=100)],
) -> Response:
    ctx = _container(request).context

    def step(access_request: AccessRequest) -> str:
        ar.prove_identity(ctx, access_request, identity_id, code)
        return "proven"

    return _portal_step(request, workspace_id, token, csrf, step)


@router.post("/r/{token}/submit")
def submit(
    workspace_id: UUID, token: str, request: Request, csrf: CsrfField
) -> Response:
    ctx = _container(request).context

    def step(access_request: AccessRequest) -> str:
        ar.send_for_review(ctx, access_request)
        return "submitted"

    return _portal_step(request, workspace_id, token, csrf, step)


@router.get("/r/{token}/files/{export_id}")
def download(
    workspace_id: UUID, token: str, export_id: UUID, request: Request
) -> Response:
    """The person's download: recorded with address and country first."""
    try:
        access_request = _request(request, workspace_id, token)
    except NotFoundError:
        return _not_found(request)
    client = request_client(request)
    try:
        chunks = ar.download(
            _container(request).context,
            _svc(request),
            access_request,
            export_id,
            actor_id=None,
            client_address=client.address,
            country=client.country,
        )
    except (ar.GoneError, NotFoundError):
        return _after(workspace_id, token, "gone")
    name = "innsyn" if access_request.language == "nb" else "access-request"
    return StreamingResponse(
        chunks,
        media_type="application/zip",
        headers={
            **_SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="{name}.zip"',
        },
    )


# The agents' pages (sign-in with an API token until issue 7's login replaces it)


def _agent(request: Request, workspace_id: UUID) -> UserRecord | None:
    try:
        user = current_user(request, None)
        in_workspace(user, workspace_id, *STAFF)
    except ApplicationError:
        return None
    return user


def _login(workspace_id: UUID) -> RedirectResponse:
    return _redirect(f"/portal/{workspace_id}/agents/login")


@router.get("/agents/login", response_class=HTMLResponse)
def login_page(workspace_id: UUID, request: Request) -> Response:
    return _page(request, "agent_login.html", lang="en", workspace_id=workspace_id)


@router.post("/agents/login")
def login(
    workspace_id: UUID,
    request: Request,
    csrf: CsrfField,
    token: Annotated[str, Form(max_length=200)],
) -> Response:
    _check_csrf(request, csrf)
    response = _redirect(f"/portal/{workspace_id}/agents/queue")
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict")
    return response


@router.get("/agents/queue", response_class=HTMLResponse)
def queue_page(workspace_id: UUID, request: Request) -> Response:
    user = _agent(request, workspace_id)
    if user is None:
        return _login(workspace_id)
    items = ar.queue(_container(request).context, _svc(request), workspace_id)
    return _page(
        request,
        "agent_queue.html",
        lang="en",
        workspace_id=workspace_id,
        items=items,
        me=user.user_id,
    )


@router.get("/agents/requests/{request_id}", response_class=HTMLResponse)
def request_page(workspace_id: UUID, request_id: UUID, request: Request) -> Response:
    if _agent(request, workspace_id) is None:
        return _login(workspace_id)
    try:
        item = ar.queue_item(
            _container(request).context, _svc(request), workspace_id, request_id
        )
    except NotFoundError:
        return _not_found(request)
    message = request.query_params.get("done")
    return _page(
        request,
        "agent_request.html",
        lang="en",
        workspace_id=workspace_id,
        item=item,
        message=message,
        error=False,
    )


@router.post("/agents/requests/{request_id}/{action}")
def agent_action(
    workspace_id: UUID,
    request_id: UUID,
    action: str,
    request: Request,
    csrf: CsrfField,
    reason: Annotated[str, Form(max_length=500)] = "",
    assignee_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    _check_csrf(request, csrf)
    user = _agent(request, workspace_id)
    if user is None:
        return _login(workspace_id)
    ctx = _container(request).context
    try:
        if action == "approve":
            approval = ar.approve(ctx, _svc(request), user, request_id)
            return _page(
                request,
                "agent_approved.html",
                lang="en",
                workspace_id=workspace_id,
                approval=approval,
            )
        if action == "claim":
            ar.claim(ctx, user, request_id)
        elif action == "assign":
            ar.assign(ctx, user, request_id, _uuid(assignee_id))
        elif action == "extend":
            ar.extend_deadline(ctx, user, request_id, reason)
        elif action == "reject":
            ar.reject(ctx, user, request_id, reason)
        else:
            return _not_found(request)
    except ApplicationError as error:
        return _page(
            request,
            "error.html",
            error.status,
            lang="en",
            heading=error.detail,
            error=True,
        )
    return _redirect(
        f"/portal/{workspace_id}/agents/requests/{request_id}?done={action}"
    )


def _uuid(value: str) -> UUID:
    try:
        return UUID(value.strip())
    except ValueError:
        raise InvalidInputError("the assignee must be a user id") from None
