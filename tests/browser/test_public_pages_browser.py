"""Issue 10.3 and 10.4 in a real browser (Debian's Chromium through Playwright,
no browser download): a form that may not use cookies leaves the cookie jar
empty and says so; one that may, remembers non-sensitive values; with trackers
blocked no request leaves for any host but the server, though the workspace has
Google and Facebook tags configured."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest
import uvicorn

from application import forms
from application.privacy_settings import change_privacy_setting
from infrastructure.bootstrap import Container
from interface.api.app import create_app
from tests.builders import World, world
from tests.outbound.fakes import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TRACKERS = [
    {"kind": "google_analytics", "id": "G-TEST123"},
    {"kind": "google_tag_manager", "id": "GTM-TEST9"},
    {"kind": "facebook_pixel", "id": "1234567890"},
]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.fixture
def server(container: Container) -> Iterator[str]:
    port = free_port()
    running = uvicorn.Server(
        uvicorn.Config(
            create_app(container), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run `make system-deps`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


class RequestLog:
    """Records every URL the page asks for; only the test server is let through."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.urls: list[str] = []

    def __call__(self, route: Any) -> None:
        url = route.request.url
        self.urls.append(url)
        if url.startswith(self.server + "/"):
            route.continue_()
        else:
            route.abort()

    def foreign(self) -> list[str]:
        return [url for url in self.urls if not url.startswith(self.server + "/")]


def _contact_form(container: Container, *, cookies: bool) -> tuple[World, UUID]:
    ctx = container.context
    w = world(ctx, channel="webform")
    form_id = forms.define_form(
        ctx,
        w.workspace_id,
        w.inbox_id,
        "Contact us",
        [
            {"name": "name", "label": "Name", "role": "name"},
            {"name": "email", "label": "E-mail", "role": "email", "required": True},
            {"name": "order", "label": "Order number"},
            {"name": "health", "label": "Anything medical", "sensitive": True},
            {"name": "text", "label": "Message", "role": "message"},
        ],
        w.admin.user_id,
    )
    admin = w.admin.user_id
    change_privacy_setting(ctx, w.workspace_id, "trackers", TRACKERS, admin)
    change_privacy_setting(
        ctx, w.workspace_id, "faq", [{"question": "Hours?", "answer": "9-16"}], admin
    )
    if cookies:
        change_privacy_setting(
            ctx, w.workspace_id, "form_value_cookies", [str(form_id)], admin
        )
    return w, form_id


def _fill_and_send(page: Any) -> None:
    page.fill("#f-name", "Kari Nordmann")
    page.fill("#f-email", "kari@example.test")
    page.fill("#f-order", "A-1001")
    page.fill("#f-health", "asthma")
    page.fill("#f-text", "My parcel is late")
    page.click("#send")
    page.wait_for_load_state()


def test_form_without_cookies_keeps_the_jar_empty_and_nothing_leaves(
    server: str, browser: Any, container: Container
) -> None:
    w, form_id = _contact_form(container, cookies=False)
    context = browser.new_context()
    requests = RequestLog(server)
    context.route("**/*", requests)
    page = context.new_page()
    form_url = f"{server}/pages/{w.workspace_id}/forms/{form_id}"

    page.goto(form_url)
    note = page.locator("#no-cookie-note").inner_text()
    _fill_and_send(page)
    sent_heading = page.locator("h1").inner_text()
    page.goto(form_url)
    refilled = page.input_value("#f-order")
    page.goto(f"{server}/pages/{w.workspace_id}/faq")
    storage = page.evaluate("() => window.localStorage.length")

    assert "fill it in again" in note
    assert sent_heading == "Thank you"
    assert refilled == ""
    assert context.cookies() == []
    assert storage == 0
    assert requests.foreign() == []
    assert len(requests.urls) >= 4


def test_form_with_cookies_remembers_only_plain_values(
    server: str, browser: Any, container: Container
) -> None:
    w, form_id = _contact_form(container, cookies=True)
    context = browser.new_context()
    requests = RequestLog(server)
    context.route("**/*", requests)
    page = context.new_page()
    form_url = f"{server}/pages/{w.workspace_id}/forms/{form_id}"

    page.goto(form_url)
    _fill_and_send(page)
    page.goto(form_url)
    jar = context.cookies()
    remembered = orjson.loads(base64.urlsafe_b64decode(jar[0]["value"]))

    assert page.locator("#no-cookie-note").count() == 0
    assert page.input_value("#f-order") == "A-1001"
    assert remembered == {
        "name": "Kari Nordmann",
        "email": "kari@example.test",
        "order": "A-1001",
        "text": "My parcel is late",
    }
    assert jar[0]["httpOnly"] is True
    assert requests.foreign() == []


def test_allowing_trackers_is_what_makes_the_page_reach_third_parties(
    server: str, browser: Any, container: Container
) -> None:
    w, _ = _contact_form(container, cookies=False)
    change_privacy_setting(
        container.context, w.workspace_id, "block_trackers", False, w.admin.user_id
    )
    context = browser.new_context()
    requests = RequestLog(server)
    context.route("**/*", requests)
    page = context.new_page()

    page.goto(f"{server}/pages/{w.workspace_id}/faq")
    page.wait_for_load_state("load")

    hosts = {url.split("/")[2] for url in requests.foreign()}
    assert {"www.googletagmanager.com", "connect.facebook.net"} <= hosts
