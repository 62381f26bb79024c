"""The portal pages and the queue API over HTTP (SQLite; the two-store runs are
in test_flow and test_queue)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from application import access_requests as ar
from infrastructure.bootstrap import Container
from interface.api.app import create_app
from tests.access_requests.fakes import LoopbackConnector, RecordingEmailSender
from tests.access_requests.scenario import Person, person, unpack

CLIENT_ADDRESS = "193.69.1.10"  # a Norwegian address, admitted by the firewall
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def client(container: Container, svc: ar.AccessRequestServices) -> Iterator[TestClient]:
    with TestClient(
        create_app(container),
        raise_server_exceptions=False,
        client=(CLIENT_ADDRESS, 50000),
    ) as wired:
        yield wired


def csrf(page: Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def identity_ids(page: Response) -> list[str]:
    return re.findall(r"/identities/([0-9a-f-]{36})/proof", page.text)


def portal_request(
    client: TestClient,
    p: Person,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> str:
    start = client.get(f"/portal/{p.world.workspace_id}?lang=nb")
    started = client.post(
        f"/portal/{p.world.workspace_id}/requests",
        data={"csrf": csrf(start), "lang": "nb"},
        follow_redirects=False,
    )
    base = started.headers["location"]
    for kind, value in (("email", p.home), ("twitter", p.handle)):
        page = client.get(base)
        client.post(
            f"{base}/identities",
            data={"csrf": csrf(page), "kind": kind, "value": value},
        )
        page = client.get(base)
        code = (
            email.last_to(value) if kind == "email" else twitter.last_to(value)
        ).code
        client.post(
            f"{base}/identities/{identity_ids(page)[0]}/proof",
            data={"csrf": csrf(page), "code": code},
        )
    page = client.get(base)
    client.post(f"{base}/submit", data={"csrf": csrf(page)})
    return str(base)


def test_person_proves_identities_and_downloads_after_approval_over_http(
    client: TestClient,
    container: Container,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    p = person(container.context)
    base = portal_request(client, p, email, twitter)
    queue = client.get(
        f"/v1/workspaces/{p.world.workspace_id}/access-requests",
        headers={"Authorization": f"Bearer {p.world.agent_token}"},
    ).json()
    request_id = queue[0]["request_id"]

    approved = client.post(
        f"/v1/workspaces/{p.world.workspace_id}/access-requests/{request_id}/approve",
        headers={"Authorization": f"Bearer {p.world.agent_token}"},
    ).json()
    page = client.get(base)
    link = re.search(r'href="([^"]+/files/[^"]+)"', page.text)
    assert link is not None
    download = client.get(link.group(1))

    assert [q["state"] for q in queue] == ["ready_for_review"]
    assert "Filen din" in page.text
    files = unpack([download.content], approved["password"])
    assert "blåbærsyltetøy" in files["innsyn.html"].decode()
    assert "Tweet body" in files["innsyn.html"].decode()
    status = client.get(
        f"/v1/workspaces/{p.world.workspace_id}/access-requests/{request_id}",
        headers={"Authorization": f"Bearer {p.world.agent_token}"},
    ).json()
    assert status["state"] == "delivered"
    assert [e["status"] for e in status["exports"]] == ["live"]


def test_form_without_the_csrf_token_is_refused(
    client: TestClient, container: Container
) -> None:
    p = person(container.context)
    client.get(f"/portal/{p.world.workspace_id}")

    refused = client.post(
        f"/portal/{p.world.workspace_id}/requests", data={"csrf": "forged"}
    )

    assert refused.status_code == 403


def test_unknown_workspace_and_unknown_link_show_not_found(
    client: TestClient, container: Container
) -> None:
    p = person(container.context)

    missing = client.get("/portal/00000000-0000-4000-8000-000000000000")
    wrong_link = client.get(f"/portal/{p.world.workspace_id}/r/not-a-token")

    assert (missing.status_code, wrong_link.status_code) == (404, 404)


def test_wrong_code_shows_a_message_and_nothing_of_the_input(
    client: TestClient,
    container: Container,
    email: RecordingEmailSender,
) -> None:
    p = person(container.context)
    start = client.get(f"/portal/{p.world.workspace_id}?lang=en")
    base = client.post(
        f"/portal/{p.world.workspace_id}/requests",
        data={"csrf": csrf(start), "lang": "en"},
        follow_redirects=False,
    ).headers["location"]
    page = client.get(base)
    client.post(
        f"{base}/identities",
        data={"csrf": csrf(page), "kind": "email", "value": p.home},
    )
    page = client.get(base)

    answer = client.post(
        f"{base}/identities/{identity_ids(page)[0]}/proof",
        data={"csrf": csrf(page), "code": "<b>12345678</b>"},
    )

    assert "The code is wrong." in answer.text
    assert "<b>12345678" not in answer.text


def test_pages_carry_no_scripts_and_a_strict_policy(
    client: TestClient, container: Container
) -> None:
    p = person(container.context)

    page = client.get(f"/portal/{p.world.workspace_id}")

    assert "<script" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert 'lang="en"' in page.text


def test_queue_api_is_not_for_auditors_or_other_workspaces(
    client: TestClient, container: Container
) -> None:
    p, other = person(container.context), person(container.context)
    path = f"/v1/workspaces/{p.world.workspace_id}/access-requests"

    auditor = client.get(
        path, headers={"Authorization": f"Bearer {p.world.auditor_token}"}
    )
    foreign = client.get(
        path, headers={"Authorization": f"Bearer {other.world.agent_token}"}
    )

    assert (auditor.status_code, foreign.status_code) == (403, 404)
