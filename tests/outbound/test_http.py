"""Issue 10 over HTTP: settings and their history, forwarding by the existing
forward route, the link page's 200/404/410, forms and FAQ headers, and incoming
HTML mail without remote images."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from application import cases, forms
from application.outbound_ports import OutboundServices
from application.ports import ImportedDialog, ImportedMessage, ImportedSubject
from infrastructure.bootstrap import Container
from infrastructure.identifiers import FixedClock
from interface.api.app import create_app
from tests.builders import World, dialog, world
from tests.outbound.fakes import Mailbox

CLIENT_ADDRESS = "193.69.1.10"  # a Norwegian address, admitted by the firewall
PARTNER = "auditor@partner.example"
TRACKED_MAIL = (
    '<p onclick="x()">Hello <b>there</b></p>'
    '<img src="https://tracker.example/open.gif?u=42" width="1" height="1">'
    '<img src="http://cdn.example/logo.png"><script>steal()</script>'
    '<a href="https://shop.example/">shop</a>'
)
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def client(container: Container, outbound: OutboundServices) -> Iterator[TestClient]:
    with TestClient(
        create_app(container),
        raise_server_exceptions=False,
        client=(CLIENT_ADDRESS, 50000),
    ) as wired:
        yield wired


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _forward(client: TestClient, w: World, case_id: UUID) -> str:
    answer = client.post(
        f"/v1/workspaces/{w.workspace_id}/cases/{case_id}/external-links",
        json={"recipient_address": PARTNER},
        headers=_auth(w.agent_token),
    )
    assert answer.status_code == 201
    url: str = answer.json()["url"]
    return url.split("://", 1)[1].split("/", 1)[1]


def test_settings_changes_show_who_changed_what_and_when(
    container: Container, client: TestClient, clock: FixedClock
) -> None:
    w = world(container.context)
    base = f"/v1/workspaces/{w.workspace_id}/settings"

    changed = client.put(
        f"{base}/external_link_days", json={"value": 3}, headers=_auth(w.admin_token)
    )
    refused = client.put(
        f"{base}/external_link_days", json={"value": 0}, headers=_auth(w.admin_token)
    )
    by_agent = client.put(
        f"{base}/block_trackers", json={"value": False}, headers=_auth(w.agent_token)
    )
    shown = client.get(base, headers=_auth(w.auditor_token)).json()

    assert (changed.status_code, refused.status_code, by_agent.status_code) == (
        200,
        422,
        403,
    )
    assert shown["settings"]["external_link_days"] == 3
    assert shown["settings"]["hide_notification_content"] is True
    assert [(c["key"], c["value"], c["actor_id"]) for c in shown["changes"]] == [
        ("external_link_days", 3, str(w.admin.user_id))
    ]


def test_settings_of_another_workspace_are_not_found(
    container: Container, client: TestClient
) -> None:
    w = world(container.context)
    stranger = world(container.context)

    answer = client.get(
        f"/v1/workspaces/{w.workspace_id}/settings", headers=_auth(stranger.admin_token)
    )

    assert answer.status_code == 404


def test_existing_forward_route_sends_a_link_for_an_address(
    container: Container, client: TestClient, mailbox: Mailbox
) -> None:
    w = world(container.context)
    case = cases.ingest_dialog(container.context, w.workspace_id, w.inbox_id, dialog())

    answer = client.post(
        f"/v1/workspaces/{w.workspace_id}/cases/{case.case_id}/forward",
        json={"recipient_address": PARTNER},
        headers=_auth(w.agent_token),
    )
    listed = client.get(
        f"/v1/workspaces/{w.workspace_id}/cases/{case.case_id}/external-links",
        headers=_auth(w.agent_token),
    ).json()

    assert answer.status_code == 204
    assert f"/external/cases/{case.case_id}/" in mailbox.to(PARTNER)[0].get_content()
    assert [(link["opened"], link["revoked_at"]) for link in listed] == [(0, None)]


def test_link_page_opens_then_answers_410_once_revoked(
    container: Container, client: TestClient
) -> None:
    w = world(container.context)
    case = cases.ingest_dialog(
        container.context, w.workspace_id, w.inbox_id, dialog(body="Where is it?")
    )
    path = _forward(client, w, case.case_id)
    opened = client.get(f"/{path}")
    link_id = client.get(
        f"/v1/workspaces/{w.workspace_id}/cases/{case.case_id}/external-links",
        headers=_auth(w.agent_token),
    ).json()[0]["link_id"]
    revoked = client.post(
        f"/v1/workspaces/{w.workspace_id}/external-links/{link_id}/revoke",
        json={"reason": "wrong recipient"},
        headers=_auth(w.agent_token),
    )

    gone = client.get(f"/{path}")
    forged = client.get(f"/{path[:-2]}xx")

    assert opened.status_code == 200
    assert "Where is it?" in opened.text
    assert opened.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in opened.headers
    assert revoked.status_code == 204
    assert gone.status_code == 410
    assert "revoked" in gone.text and "Where is it?" not in gone.text
    assert forged.status_code == 404


def test_form_page_without_cookie_setting_sets_no_cookie_and_warns(
    container: Container, client: TestClient
) -> None:
    ctx = container.context
    w = world(ctx, channel="webform")
    form_id = forms.define_form(
        ctx,
        w.workspace_id,
        w.inbox_id,
        "Contact",
        [{"name": "email", "role": "email"}, {"name": "text", "role": "message"}],
        w.admin.user_id,
    )
    page = client.get(f"/pages/{w.workspace_id}/forms/{form_id}")

    sent = client.post(
        f"/pages/{w.workspace_id}/forms/{form_id}",
        data={"email": "kari@example.test", "text": "Hello"},
        follow_redirects=False,
    )

    assert page.status_code == 200
    assert 'id="no-cookie-note"' in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "set-cookie" not in page.headers and "set-cookie" not in sent.headers
    assert sent.status_code == 303


def test_message_html_blocks_remote_images_and_scripts_with_a_note(
    container: Container, client: TestClient
) -> None:
    ctx = container.context
    w = world(ctx)
    result = cases.ingest_dialog(
        ctx,
        w.workspace_id,
        w.inbox_id,
        ImportedDialog(
            thread_key="html-1",
            channel="email",
            subject=ImportedSubject(identities=(("email", "n@example.test"),)),
            messages=(ImportedMessage("m1", "inbound", "N", None, TRACKED_MAIL),),
        ),
    )
    message_id = ctx.store.get(result.case_id).messages[0]["message_id"]

    shown = client.get(
        f"/v1/workspaces/{w.workspace_id}/cases/{result.case_id}/messages/"
        f"{message_id}/html",
        headers=_auth(w.agent_token),
    ).json()

    assert shown["remote_blocked"] == 2
    assert "tracker.example" not in shown["html"]
    assert "cdn.example" not in shown["html"]
    assert "script" not in shown["html"] and "onclick" not in shown["html"]
    assert 'role="note"' in shown["html"]
    assert '<a href="https://shop.example/"' in shown["html"]
