"""Anonymisation and forms through HTTP, on both stores (issue 5)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from infrastructure.bootstrap import Container
from interface.api.app import create_app
from tests.builders import World, unique, world

FNR = "15076500565"


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=False) as wired:
        yield wired


@pytest.fixture
def w(container: Container) -> World:
    return world(container.context)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _case(client: TestClient, w: World, body: str, *, close: bool = True) -> str:
    ws = f"/v1/workspaces/{w.workspace_id}"
    answer = client.post(
        f"{ws}/inboxes/{w.inbox_id}/messages",
        headers=bearer(w.agent_token),
        json={
            "thread_key": unique("thread-"),
            "external_id": unique("msg-"),
            "identities": [{"kind": "email", "value": "kari@nordmann.test"}],
            "customer_name": "Kari Nordmann",
            "direction": "inbound",
            "author": "Kari Nordmann",
            "body": body,
            "tags": ["billing"],
        },
    )
    case_id: str = answer.json()["case_id"]
    if close:
        client.post(f"{ws}/cases/{case_id}/close", headers=bearer(w.agent_token))
    return case_id


def _anonymise(client: TestClient, w: World, case_id: str, **extra: Any) -> Any:
    return client.post(
        f"/v1/workspaces/{w.workspace_id}/cases/{case_id}/anonymise",
        headers=bearer(w.agent_token),
        json={"reason": "case closed", **extra},
    )


def test_sensitive_case_is_anonymised_through_the_api(
    client: TestClient, w: World
) -> None:
    ws = f"/v1/workspaces/{w.workspace_id}"
    case_id = _case(client, w, f"Kari Nordmann, fnr {FNR}, har diabetes.")
    client.post(
        f"{ws}/cases/{case_id}/flag",
        headers=bearer(w.agent_token),
        json={"categories": ["HEALTH"], "reason": "diabetes"},
    )

    answer = _anonymise(client, w, case_id)
    case = client.get(f"{ws}/cases/{case_id}", headers=bearer(w.agent_token)).json()
    listed = client.get(f"{ws}/anonymisations", headers=bearer(w.agent_token)).json()

    assert answer.status_code == 200
    assert answer.json()["mode"] == "sensitive"
    assert (
        case["messages"][0]["body"] == "<PERSON>, fnr <NO_NATIONAL_ID>, har <HEALTH>."
    )
    assert case["profile"] == {}
    assert [row["case_id"] for row in listed] == [case_id]


def test_anonymising_twice_answers_409(client: TestClient, w: World) -> None:
    case_id = _case(client, w, "Hello")
    _anonymise(client, w, case_id)

    again = _anonymise(client, w, case_id)

    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")


def test_open_case_needs_confirm_open(client: TestClient, w: World) -> None:
    case_id = _case(client, w, "Hello", close=False)

    refused = _anonymise(client, w, case_id)
    confirmed = _anonymise(client, w, case_id, confirm_open=True)

    assert refused.status_code == 409
    assert confirmed.status_code == 200
    assert confirmed.json()["mode"] == "profile"


def test_case_of_another_workspace_answers_404(
    client: TestClient, container: Container, w: World
) -> None:
    other = world(container.context)
    case_id = _case(client, other, "Hello")

    answer = _anonymise(client, w, case_id)

    assert answer.status_code == 404


def test_bulk_job_runs_and_reports_progress(client: TestClient, w: World) -> None:
    ws = f"/v1/workspaces/{w.workspace_id}"
    for _ in range(2):
        _case(client, w, "Hello")
    job_id = "0b6f6a2e-7d1c-4f0e-8a5b-3c2d1e0f9a87"

    started = client.post(
        f"{ws}/anonymisation-jobs",
        headers=bearer(w.admin_token),
        json={"reason": "retention", "tag": "billing", "job_id": job_id},
    )
    progress = client.get(
        f"{ws}/anonymisation-jobs/{job_id}", headers=bearer(w.admin_token)
    )
    by_agent = client.post(
        f"{ws}/anonymisation-jobs", headers=bearer(w.agent_token), json={"reason": "x"}
    )

    assert started.status_code == 200
    assert (started.json()["anonymised"], started.json()["finished"]) == (2, True)
    assert progress.json()["total"] == 2
    assert by_agent.status_code == 403


def test_form_definition_submission_and_field_removal(
    client: TestClient, container: Container
) -> None:
    w = world(container.context, channel="webform")
    ws = f"/v1/workspaces/{w.workspace_id}"
    defined = client.post(
        f"{ws}/forms",
        headers=bearer(w.admin_token),
        json={
            "inbox_id": str(w.inbox_id),
            "name": "Contact",
            "fields": [
                {"name": "email", "role": "email", "required": True},
                {"name": "message", "role": "message", "placeholder": "Your text"},
                {"name": "order", "label": "Order number"},
                {"name": "diagnosis", "sensitive": True},
            ],
        },
    )
    form_id = defined.json()["form_id"]
    submitted = client.post(
        f"{ws}/forms/{form_id}/submissions",
        headers=bearer(w.agent_token),
        json={
            "values": {
                "email": "ola@example.test",
                "message": "Hi",
                "order": "A-1",
                "diagnosis": "astma",
            }
        },
    )
    case_id = submitted.json()["case_id"]
    client.post(
        f"{ws}/cases/{case_id}/anonymise",
        headers=bearer(w.agent_token),
        json={"reason": "done", "confirm_open": True},
    )
    fields = client.get(
        f"{ws}/cases/{case_id}/form-fields", headers=bearer(w.agent_token)
    ).json()

    assert defined.status_code == 201
    assert submitted.status_code == 201
    assert [(f["name"], f["value"]) for f in fields] == [("order", "A-1")]


def test_form_with_a_bad_field_answers_422(
    client: TestClient, container: Container
) -> None:
    w = world(container.context, channel="webform")

    answer = client.post(
        f"/v1/workspaces/{w.workspace_id}/forms",
        headers=bearer(w.admin_token),
        json={
            "inbox_id": str(w.inbox_id),
            "name": "Bad",
            "fields": [{"name": "Not A Name"}],
        },
    )

    assert answer.status_code == 422


def test_always_remove_list_is_set_and_read(client: TestClient, w: World) -> None:
    url = f"/v1/workspaces/{w.workspace_id}/anonymisation/always-remove"

    put = client.put(url, headers=bearer(w.admin_token), json={"fields": ["member_no"]})
    got = client.get(url, headers=bearer(w.agent_token))

    assert put.status_code == 200
    assert got.json() == {"fields": ["member_no"]}
