"""Issue 6.8: a person proves two e-mail addresses and one X account in a real
browser, an agent approves, the person downloads, and the archive opened with the
password holds messages from all three identities across two inboxes, in the
HTML and in the PDF text.

Debian's Chromium is driven through Playwright's bundled driver; no browser is
downloaded (`executable_path`)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from application import access_requests as ar
from infrastructure.bootstrap import Container
from interface.api.app import create_app
from tests.access_requests.fakes import LoopbackConnector, RecordingEmailSender
from tests.access_requests.scenario import Person, pdf_text, person, unpack

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
pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(container: Container, svc: ar.AccessRequestServices) -> Iterator[str]:
    port = _free_port()
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
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run `make system-deps`")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def _prove(page: Page, kind: str, value: str, code_of: Callable[[str], str]) -> None:
    page.select_option("#kind", kind)
    page.fill("#value", value)
    page.click("button:has-text('Add and send a code')")
    page.locator("input[name=code]").first.fill(code_of(value))
    page.locator("button:has-text('Prove')").first.click()
    assert page.locator("[role=status]").inner_text() == "The identity is proven."


def test_person_proves_three_identities_agent_approves_person_downloads(
    server: str,
    browser: Browser,
    container: Container,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
    tmp_path: Path,
) -> None:
    p: Person = person(container.context)
    person_page = browser.new_context(accept_downloads=True).new_page()
    person_page.goto(f"{server}/portal/{p.world.workspace_id}?lang=en")
    person_page.click("button:has-text('Start a request')")
    status_url = person_page.url
    _prove(person_page, "email", p.home, lambda v: email.last_to(v).code)
    _prove(person_page, "email", p.work, lambda v: email.last_to(v).code)
    _prove(person_page, "twitter", p.handle, lambda v: twitter.last_to(v).code)
    person_page.click("#send-request")

    agent_page = browser.new_context().new_page()
    agent_page.goto(f"{server}/portal/{p.world.workspace_id}/agents/login")
    agent_page.fill("#token", p.world.agent_token)
    agent_page.click("button[type=submit]")
    agent_page.locator("table a").first.click()
    agent_page.click("#claim")
    agent_page.click("#approve")
    password = agent_page.locator("#password").inner_text().strip()

    person_page.goto(status_url)
    with person_page.expect_download() as download_info:
        person_page.click("#download")
    saved = tmp_path / "file.zip"
    download_info.value.save_as(saved)

    files = unpack([saved.read_bytes()], password)
    html = files["access-request.html"].decode()
    text = pdf_text(files["access-request.pdf"], password)
    expected = ["blåbærsyltetøy", "From work address", "Tweet body"]
    assert [body in html for body in expected] == [True, True, True]
    assert [body in text for body in expected] == [True, True, True]
    person_page.reload()
    assert person_page.locator("#state").inner_text() == "delivered"
