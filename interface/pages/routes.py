"""Public pages of issue 10, server-rendered without scripts: the page a
no-login link opens, web forms and the FAQ. Each answer carries a
Content-Security-Policy that admits only what the workspace's tracker setting
allows (nothing foreign by default)."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import jinja2
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from application import external_links as links
from application import forms, public_pages
from application.errors import InvalidInputError, NotFoundError
from application.notifications import case_reference
from application.outbound_ports import OutboundServices
from infrastructure.bootstrap import Container
from infrastructure.outbound.wiring import EXTRAS_KEY
from interface.api.governance import request_client

router = APIRouter(include_in_schema=False)
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
)
_CLOSED_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
COOKIE_PREFIX = "gdprkit_form_"
COOKIE_DAYS = 30


def _container(request: Request) -> Container:
    return cast(Container, request.app.state.container)


def _svc(request: Request) -> OutboundServices:
    return cast(OutboundServices, _container(request).extras[EXTRAS_KEY])


def _render(template: str, status: int, policy: str, **values: Any) -> HTMLResponse:
    values.setdefault("trackers", ())
    values.setdefault("organisation", "gdprkit")
    return HTMLResponse(
        _env.get_template(template).render(**values),
        status_code=status,
        headers={
            "Content-Security-Policy": policy,
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "X-Robots-Tag": "noindex",
        },
    )


def _message(status: int, heading: str, text: str) -> HTMLResponse:
    return _render(
        "message.html", status, _CLOSED_POLICY, heading=heading, text=text, error=True
    )


# No-login links


@router.get("/external/cases/{case_id}/{token}", response_class=HTMLResponse)
def open_external_link(case_id: UUID, token: str, request: Request) -> Response:
    ctx = _container(request).context
    client = request_client(request)
    visitor = links.Visitor(client.address, client.country)
    try:
        view = links.open_link(ctx, _svc(request), case_id, token, visitor)
    except links.LinkGoneError as gone:
        return _message(
            410,
            "This link no longer works",
            f"The link has {_GONE_WORDS.get(gone.reason, 'stopped working')}. "
            "Ask the person who sent it for a new one. This attempt was recorded.",
        )
    except NotFoundError:
        return _message(404, "Link not found", "This link is not valid.")
    return _render(
        "external_case.html",
        200,
        _CLOSED_POLICY,
        view=view,
        reference=case_reference(case_id),
    )


_GONE_WORDS = {"expired": "expired", "revoked": "been revoked"}


# Forms


@router.get("/pages/{workspace_id}/forms/{form_id}", response_class=HTMLResponse)
def form_page(workspace_id: UUID, form_id: UUID, request: Request) -> Response:
    try:
        page = public_pages.form_page(
            _container(request).context, workspace_id, form_id
        )
    except NotFoundError:
        return _message(404, "Form not found", "There is no such form.")
    values = _remembered(request, page) if page.stores_values_in_cookies else {}
    return _form(page, values, 200)


@router.post("/pages/{workspace_id}/forms/{form_id}", response_class=HTMLResponse)
async def submit_form(workspace_id: UUID, form_id: UUID, request: Request) -> Response:
    ctx = _container(request).context
    try:
        page = public_pages.form_page(ctx, workspace_id, form_id)
    except NotFoundError:
        return _message(404, "Form not found", "There is no such form.")
    posted = await request.form()
    names = {f["name"] for f in page.fields}
    values = {k: str(v) for k, v in posted.items() if k in names and isinstance(v, str)}
    try:
        forms.submit_form(ctx, workspace_id, form_id, values)
    except InvalidInputError as error:
        return _form(page, values, 422, error=error.detail)
    response = RedirectResponse(
        f"/pages/{workspace_id}/forms/{form_id}/sent",
        status_code=303,
        headers={"Cache-Control": "no-store"},
    )
    remembered = public_pages.values_to_remember(page, values)
    if remembered:
        response.set_cookie(
            _cookie_name(page),
            base64.urlsafe_b64encode(orjson.dumps(remembered)).decode(),
            max_age=COOKIE_DAYS * 86400,
            path=f"/pages/{workspace_id}/forms/{form_id}",
            httponly=True,
            samesite="strict",
        )
    return response


@router.get("/pages/{workspace_id}/forms/{form_id}/sent", response_class=HTMLResponse)
def form_sent(workspace_id: UUID, form_id: UUID, request: Request) -> Response:
    try:
        policy = public_pages.page_policy(_container(request).context, workspace_id)
    except NotFoundError:
        return _message(404, "Form not found", "There is no such form.")
    return _render(
        "message.html",
        200,
        policy.content_security_policy,
        trackers=policy.trackers,
        organisation=policy.organisation,
        heading="Thank you",
        text="Your message has been received.",
    )


def _form(
    page: public_pages.FormPage,
    values: dict[str, str],
    status: int,
    error: str | None = None,
) -> HTMLResponse:
    return _render(
        "form.html",
        status,
        page.policy.content_security_policy,
        trackers=page.policy.trackers,
        organisation=page.policy.organisation,
        page=page,
        values=values,
        error=error,
    )


def _cookie_name(page: public_pages.FormPage) -> str:
    return f"{COOKIE_PREFIX}{page.form_id.hex}"


def _remembered(request: Request, page: public_pages.FormPage) -> dict[str, str]:
    raw = request.cookies.get(_cookie_name(page), "")
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(raw.encode())) if raw else {}
    except (binascii.Error, orjson.JSONDecodeError, ValueError):
        return {}
    if not isinstance(decoded, dict):
        return {}
    return public_pages.values_to_remember(
        page, {str(k): str(v) for k, v in decoded.items()}
    )


# FAQ


@router.get("/pages/{workspace_id}/faq", response_class=HTMLResponse)
def faq(workspace_id: UUID, request: Request) -> Response:
    try:
        page = public_pages.faq_page(_container(request).context, workspace_id)
    except NotFoundError:
        return _message(404, "Not found", "There is no such page.")
    return _render(
        "faq.html",
        200,
        page.policy.content_security_policy,
        trackers=page.policy.trackers,
        organisation=page.policy.organisation,
        entries=page.entries,
    )
