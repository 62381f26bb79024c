"""External data sources on both stores: a loopback source asked during
gathering with digests or clear identifiers, its records in the file, every
call recorded, and a failing or hanging source named in the file as
unavailable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from application import access_requests as ar
from application.external_sources import identifier_digest, register_source
from application.integrations import IntegrationServices
from infrastructure.bootstrap import Container
from tests.access_requests.fakes import LoopbackConnector, RecordingEmailSender
from tests.access_requests.scenario import (
    Person,
    download_all,
    person,
    proven_request,
    unpack,
)
from tests.integrations.fake_source import FakeSourceState, fake_source

SOURCE_SECRET = "source-token-0123456789abcdef"
RECORD = {
    "category": "order",
    "label": "Order 4711",
    "occurred_at": "2026-10-30T12:00:00Z",
    "fields": {"Product": "Blåbærsyltetøy", "Amount": 129},
}


@pytest.fixture
def source() -> Iterator[tuple[str, FakeSourceState]]:
    with fake_source(SOURCE_SECRET) as running:
        yield running


def approved_file(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
    p: Person,
) -> dict[str, Any]:
    ctx = container.context
    request = proven_request(ctx, svc, email, twitter, p)
    approval = ar.approve(ctx, svc, p.world.agent, request.id)
    chunks = download_all(ctx, svc, p, request.id, approval.export_id)
    data: dict[str, Any] = orjson.loads(unpack(chunks, approval.password)["data.json"])
    return data


def test_source_answering_digests_puts_its_records_in_the_file(
    container: Container,
    integ: IntegrationServices,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
    source: tuple[str, FakeSourceState],
) -> None:
    ctx = container.context
    url, state = source
    p = person(ctx)
    digest = identifier_digest(SOURCE_SECRET, "email", p.home)
    state.records_by_digest[digest] = [RECORD]
    register_source(
        ctx, integ, p.world.admin, name="Webshop", url=url, secret=SOURCE_SECRET
    )

    data = approved_file(container, svc, email, twitter, p)

    assert [r["label"] for r in data["external_records"]] == ["Order 4711"]
    assert data["external_records"][0]["source"] == "Webshop"
    assert data["source_gaps"] == []
    sent = state.received[0]["identities"]
    assert {"kind": "email", "digest": digest} in sent
    assert p.home not in orjson.dumps(sent).decode()
    calls = integ.views.source_calls(p.world.workspace_id)
    assert [(c.name, c.outcome, c.records) for c in calls] == [
        ("Webshop", "answered", 1)
    ]


def test_source_set_to_clear_receives_normalised_identifiers(
    container: Container,
    integ: IntegrationServices,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
    source: tuple[str, FakeSourceState],
) -> None:
    ctx = container.context
    url, state = source
    p = person(ctx)
    state.records_by_value[p.handle.casefold()] = [RECORD]
    register_source(
        ctx,
        integ,
        p.world.admin,
        name="CRM",
        url=url,
        secret=SOURCE_SECRET,
        identifiers="clear",
    )

    data = approved_file(container, svc, email, twitter, p)

    assert {"kind": "twitter", "value": p.handle.casefold()} in state.received[0][
        "identities"
    ]
    assert len(data["external_records"]) == 1


@pytest.mark.parametrize(
    ("breakage", "reason"),
    [
        ({"status": 500}, "answered HTTP 500"),
        ({"hang_seconds": 2.0}, "no answer within 0.5 s"),
        ({"raw_answer": b"<html>oops</html>"}, "answer is not JSON"),
        ({"raw_answer": b'{"rows": []}'}, 'answer lacks a "records" list'),
    ],
)
def test_failing_source_is_named_unavailable_in_the_file(
    breakage: dict[str, Any],
    reason: str,
    container: Container,
    integ: IntegrationServices,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
    source: tuple[str, FakeSourceState],
) -> None:
    ctx = container.context
    url, state = source
    for name, value in breakage.items():
        setattr(state, name, value)
    p = person(ctx)
    register_source(
        ctx,
        integ,
        p.world.admin,
        name="Billing",
        url=url,
        secret=SOURCE_SECRET,
        timeout_seconds=0.5,
    )

    data = approved_file(container, svc, email, twitter, p)

    assert data["source_gaps"] == [f"external source: Billing unavailable ({reason})"]
    calls = integ.views.source_calls(p.world.workspace_id)
    assert [(c.outcome, c.reason) for c in calls] == [("unavailable", reason)]


def test_source_with_a_wrong_token_is_unavailable_not_empty(
    container: Container,
    integ: IntegrationServices,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
    source: tuple[str, FakeSourceState],
) -> None:
    ctx = container.context
    url, _ = source
    p = person(ctx)
    register_source(
        ctx, integ, p.world.admin, name="Old", url=url, secret="another-token-000000"
    )

    data = approved_file(container, svc, email, twitter, p)

    assert data["source_gaps"] == [
        "external source: Old unavailable (answered HTTP 401)"
    ]


def test_source_over_plain_http_outside_loopback_is_refused(
    container: Container, integ: IntegrationServices, api: TestClient
) -> None:
    from tests.builders import world

    w = world(container.context)

    answer = api.post(
        f"/v1/workspaces/{w.workspace_id}/integrations/sources",
        json={"name": "CRM", "url": "http://crm.example", "secret": SOURCE_SECRET},
        headers={"Authorization": f"Bearer {w.admin_token}"},
    )

    assert answer.status_code == 422


def test_source_api_lists_without_the_secret_and_removes(
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    source: tuple[str, FakeSourceState],
) -> None:
    from tests.builders import world

    w = world(container.context)
    url, _ = source
    auth = {"Authorization": f"Bearer {w.admin_token}"}
    base = f"/v1/workspaces/{w.workspace_id}/integrations/sources"

    created = api.post(
        base, json={"name": "CRM", "url": url, "secret": SOURCE_SECRET}, headers=auth
    )
    listed = api.get(base, headers=auth)
    removed = api.delete(f"{base}/{created.json()['endpoint_id']}", headers=auth)
    after = api.get(base, headers=auth)

    assert created.status_code == 201
    assert SOURCE_SECRET not in created.text + listed.text
    assert [s["name"] for s in listed.json()] == ["CRM"]
    assert removed.status_code == 204
    assert after.json() == []
