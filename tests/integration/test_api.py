"""The HTTP API on both stores: authentication, ingest, audited reads, the access
log, and every refusal as an RFC 9457 problem with nothing half written."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from httpx import Response

from application.errors import AuditWriteError
from application.ports import AccessLogEntry, AccessLogFilter
from infrastructure.bootstrap import Container, build
from infrastructure.db import users
from infrastructure.identifiers import FixedClock
from interface.api.app import create_app
from tests.builders import World, unique, world
from tests.conftest import make_settings

CLIENT_ADDRESS = "192.0.2.7"
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance"}

# Routing, authentication and query parsing refuse before the store is touched,
# so one store is enough for them; everything that writes or reads runs on both.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    app = create_app(container)
    with TestClient(
        app, raise_server_exceptions=False, client=(CLIENT_ADDRESS, 50000)
    ) as wired:
        yield wired


@pytest.fixture
def w(container: Container) -> World:
    return world(container.context)


@pytest.fixture
def small_container(
    tmp_path: Path, database_url: str, clock: FixedClock
) -> Iterator[Container]:
    settings = make_settings(tmp_path, database_url, max_body_bytes=1000)
    wired = build(settings, clock=clock, use_default_detector=False)
    yield wired
    wired.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def message(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "thread_key": unique("thread-"),
        "external_id": unique("msg-"),
        "identities": [{"kind": "email", "value": unique("c") + "@example.test"}],
        "customer_name": "Kari Nordmann",
        "author": "Kari Nordmann",
        "subject": "Parcel",
        "body": "Hello, my parcel has not arrived.",
    }
    body.update(overrides)
    return body


def messages_url(w: World) -> str:
    return f"/v1/workspaces/{w.workspace_id}/inboxes/{w.inbox_id}/messages"


def case_url(w: World, case_id: UUID | str) -> str:
    return f"/v1/workspaces/{w.workspace_id}/cases/{case_id}"


def ingest(client: TestClient, w: World, **overrides: Any) -> dict[str, Any]:
    response = client.post(
        messages_url(w), json=message(**overrides), headers=bearer(w.agent_token)
    )
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def open_case(client: TestClient, w: World, case_id: str, token: str) -> Response:
    response: Response = client.get(case_url(w, case_id), headers=bearer(token))
    return response


def access_log(client: TestClient, w: World, **params: str | int) -> dict[str, Any]:
    response = client.get(
        f"/v1/workspaces/{w.workspace_id}/access-log",
        params=params,
        headers=bearer(w.auditor_token),
    )
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def logged(container: Container, w: World, case_id: str) -> list[AccessLogEntry]:
    container.views.catch_up()
    return container.views.access_log(
        AccessLogFilter(w.workspace_id, case_id=UUID(case_id))
    )


def events(container: Container) -> int:
    position: int = container.store.recorder.max_notification_id() or 0
    return position


def problem_of(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_MEMBERS
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    assert body["type"].startswith("https://")
    return body


# Workspaces, inboxes, users


def test_create_workspace_without_operator_token_is_401(
    client: TestClient, container: Container, w: World
) -> None:
    before = events(container)
    body = {"name": "Acme", "admin_name": "Ada", "admin_email": "ada@example.test"}

    missing = client.post("/v1/workspaces", json=body)
    wrong = client.post("/v1/workspaces", json=body, headers=bearer(w.admin_token))

    problem_of(missing, 401)
    problem_of(wrong, 401)
    assert events(container) == before


def test_create_workspace_with_operator_token_returns_a_working_admin_token(
    client: TestClient, container: Container
) -> None:
    operator = container.settings.operator_token_value()
    created = client.post(
        "/v1/workspaces",
        json={"name": "Acme", "admin_name": "Ada", "admin_email": "ada@example.test"},
        headers=bearer(operator),
    )
    workspace_id = created.json()["workspace_id"]

    inbox = client.post(
        f"/v1/workspaces/{workspace_id}/inboxes",
        json={"name": "Support", "channel": "email"},
        headers=bearer(created.json()["admin_token"]),
    )

    assert created.status_code == 201
    assert inbox.status_code == 201, inbox.text
    assert inbox.json()["channel"] == "email"


def test_agent_creating_inbox_or_user_gets_403_and_writes_nothing(
    client: TestClient, container: Container, w: World
) -> None:
    before = events(container)
    base = f"/v1/workspaces/{w.workspace_id}"

    inbox = client.post(
        f"{base}/inboxes",
        json={"name": "Side door", "channel": "chat"},
        headers=bearer(w.agent_token),
    )
    user = client.post(
        f"{base}/users",
        json={"name": "Eve", "email": "eve@example.test", "role": "administrator"},
        headers=bearer(w.agent_token),
    )

    problem_of(inbox, 403)
    problem_of(user, 403)
    assert events(container) == before


def test_inbox_name_with_nul_is_422_and_writes_nothing(
    client: TestClient, container: Container, w: World
) -> None:
    before = events(container)

    response = client.post(
        f"/v1/workspaces/{w.workspace_id}/inboxes",
        json={"name": "Support\x00", "channel": "chat"},
        headers=bearer(w.admin_token),
    )

    problem_of(response, 422)
    assert events(container) == before


def test_admin_creates_user_whose_token_is_stored_only_hashed(
    client: TestClient, container: Container, w: World
) -> None:
    created = client.post(
        f"/v1/workspaces/{w.workspace_id}/users",
        json={
            "name": "Ola",
            "email": "ola@example.test",
            "role": "agent",
            "legal_basis": {"confirmed": True, "purpose": "answers the mail inbox"},
        },
        headers=bearer(w.admin_token),
    )
    token = created.json()["token"]

    with container.engine.connect() as connection:
        rows = connection.execute(sa.select(users)).all()
    stored = " ".join(str(value) for row in rows for value in row)
    cases = client.get(f"/v1/workspaces/{w.workspace_id}/cases", headers=bearer(token))

    assert created.status_code == 201
    assert token not in stored
    assert w.agent_token not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert cases.status_code == 200


# Ingest


def test_ingest_first_message_opens_a_case(client: TestClient, w: World) -> None:
    answer = ingest(client, w)

    assert (answer["opened"], answer["messages_added"]) == (True, 1)


def test_ingest_same_thread_adds_to_the_open_case(client: TestClient, w: World) -> None:
    identity = [{"kind": "email", "value": "same@example.test"}]
    first = ingest(client, w, thread_key="t-1", identities=identity)

    second = ingest(client, w, thread_key="t-1", identities=identity, body="Any news?")

    assert second["case_id"] == first["case_id"]
    assert (second["opened"], second["messages_added"]) == (False, 1)


def test_ingest_same_external_id_adds_nothing(
    client: TestClient, container: Container, w: World
) -> None:
    same = message(external_id="mail-42")
    first = ingest(client, w, **same)
    before = events(container)

    again = ingest(client, w, **same)

    listed = client.get(
        f"/v1/workspaces/{w.workspace_id}/cases", headers=bearer(w.agent_token)
    ).json()
    assert again["case_id"] == first["case_id"]
    assert again["messages_added"] == 0
    assert [c["message_count"] for c in listed] == [1]
    assert events(container) == before


def test_attachment_round_trips_and_its_download_is_an_audited_read(
    client: TestClient, container: Container, w: World
) -> None:
    content = bytes(range(256)) * 3
    attachment = {
        "filename": "receipt.pdf",
        "content_type": "application/pdf",
        "content_base64": base64.b64encode(content).decode(),
    }
    case_id = ingest(client, w, attachments=[attachment])["case_id"]
    shown = open_case(client, w, case_id, w.agent_token).json()
    message_id = shown["messages"][0]["message_id"]
    reads_before = len(logged(container, w, case_id))

    download = client.get(
        f"{case_url(w, case_id)}/messages/{message_id}/attachments/0",
        headers=bearer(w.agent_token),
    )

    entries = logged(container, w, case_id)
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["x-content-sha256"] == hashlib.sha256(content).hexdigest()
    assert shown["messages"][0]["attachments"][0]["size"] == len(content)
    assert len(entries) == reads_before + 1
    assert (entries[-1].action, entries[-1].actor_id) == ("case.read", w.agent.user_id)
    assert "attachment" in entries[-1].purpose


def test_ingest_time_without_offset_is_read_as_utc(
    client: TestClient, w: World
) -> None:
    case_id = ingest(client, w, sent_at="2026-03-01T08:30:00")["case_id"]

    shown = open_case(client, w, case_id, w.agent_token).json()

    assert shown["opened_at"] == "2026-03-01T08:30:00Z"
    assert shown["messages"][0]["sent_at"] == "2026-03-01T08:30:00Z"


# Reads and the access log


def test_list_cases_leaves_no_access_log_entry(
    client: TestClient, container: Container, w: World
) -> None:
    case_id = ingest(client, w)["case_id"]

    listed = client.get(
        f"/v1/workspaces/{w.workspace_id}/cases", headers=bearer(w.agent_token)
    )

    assert [c["case_id"] for c in listed.json()] == [case_id]
    assert "body" not in listed.text
    assert logged(container, w, case_id) == []


def test_open_case_records_exactly_one_read_with_actor_purpose_and_address(
    client: TestClient, container: Container, w: World
) -> None:
    case_id = ingest(client, w, body="Where is my parcel?")["case_id"]

    shown = open_case(client, w, case_id, w.agent_token)

    entries = logged(container, w, case_id)
    assert shown.status_code == 200
    assert [m["body"] for m in shown.json()["messages"]] == ["Where is my parcel?"]
    assert [(e.action, e.actor_id, e.purpose, e.client_address) for e in entries] == [
        ("case.read", w.agent.user_id, "GET case", CLIENT_ADDRESS)
    ]


@sqlite_only
def test_access_log_for_agent_is_403(client: TestClient, w: World) -> None:
    response = client.get(
        f"/v1/workspaces/{w.workspace_id}/access-log", headers=bearer(w.agent_token)
    )

    problem_of(response, 403)


def test_access_log_filters_by_case_subject_and_actor(
    client: TestClient, w: World
) -> None:
    first = ingest(client, w)
    second = ingest(client, w)
    open_case(client, w, first["case_id"], w.agent_token)
    open_case(client, w, second["case_id"], w.admin_token)

    by_case = access_log(client, w, case_id=first["case_id"])
    by_subject = access_log(client, w, subject_id=second["subject_id"])
    by_actor = access_log(client, w, actor_id=str(w.admin.user_id))

    assert [e["case_id"] for e in by_case["entries"]] == [first["case_id"]]
    assert [e["case_id"] for e in by_subject["entries"]] == [second["case_id"]]
    assert [e["actor_id"] for e in by_actor["entries"]] == [str(w.admin.user_id)]


def test_access_log_since_is_inclusive_and_until_exclusive(
    client: TestClient, w: World, clock: FixedClock
) -> None:
    case_id = ingest(client, w)["case_id"]
    start = clock.now()
    for _ in range(3):
        open_case(client, w, case_id, w.agent_token)
        clock.advance(dt.timedelta(hours=1))

    window = access_log(
        client,
        w,
        since=(start + dt.timedelta(hours=1)).isoformat(),
        until=(start + dt.timedelta(hours=2)).isoformat(),
    )

    assert [e["occurred_at"] for e in window["entries"]] == [
        (start + dt.timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    ]


def test_access_log_pages_with_after_and_next_after(
    client: TestClient, w: World
) -> None:
    case_id = ingest(client, w)["case_id"]
    for _ in range(3):
        open_case(client, w, case_id, w.agent_token)

    first = access_log(client, w, limit=2)
    rest = access_log(client, w, limit=2, after=first["next_after"])

    ids = [e["entry_id"] for e in first["entries"] + rest["entries"]]
    assert len(first["entries"]) == 2
    assert first["next_after"] == first["entries"][-1]["entry_id"]
    assert (len(rest["entries"]), rest["next_after"]) == (1, None)
    assert ids == sorted(set(ids))


def test_access_log_jsonl_and_csv_parse_to_the_same_entries(
    client: TestClient, w: World
) -> None:
    case_id = ingest(client, w)["case_id"]
    open_case(client, w, case_id, w.agent_token)
    open_case(client, w, case_id, w.admin_token)
    url = f"/v1/workspaces/{w.workspace_id}/access-log"

    jsonl = client.get(url, params={"format": "jsonl"}, headers=bearer(w.auditor_token))
    as_csv = client.get(url, params={"format": "csv"}, headers=bearer(w.auditor_token))

    lines = [orjson.loads(line) for line in jsonl.text.splitlines()]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert jsonl.headers["content-type"].startswith("application/x-ndjson")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert [e["actor_id"] for e in lines] == [
        str(w.agent.user_id),
        str(w.admin.user_id),
    ]
    assert [r["entry_id"] for r in rows] == [str(e["entry_id"]) for e in lines]
    assert {r["client_address"] for r in rows} == {CLIENT_ADDRESS}


@sqlite_only
def test_access_log_bad_since_is_a_422_problem(client: TestClient, w: World) -> None:
    response = client.get(
        f"/v1/workspaces/{w.workspace_id}/access-log",
        params={"since": "last tuesday"},
        headers=bearer(w.auditor_token),
    )

    assert problem_of(response, 422)["title"] == "Invalid input"


# Refusals: one problem shape, never a 500, never half a write


@pytest.mark.parametrize(
    ("content", "status"),
    [
        pytest.param(b'{"thread_key": "t", ', 400, id="malformed-json"),
        pytest.param(orjson.dumps(message(priority="high")), 422, id="unknown-field"),
        pytest.param(
            orjson.dumps(message(body=42, identities="a@example.test")),
            422,
            id="wrong-types",
        ),
        pytest.param(
            orjson.dumps(
                message(
                    attachments=[
                        {
                            "filename": "a.txt",
                            "content_type": "text/plain",
                            "content_base64": "not*base64!",
                        }
                    ]
                )
            ),
            422,
            id="invalid-base64",
        ),
        pytest.param(orjson.dumps(message(tags=["vip\x00"])), 422, id="nul-in-tag"),
        pytest.param(
            orjson.dumps(message(identities=[{"kind": "chat", "value": "a\x00b"}])),
            422,
            id="nul-in-identity",
        ),
    ],
)
def test_ingest_bad_input_is_a_problem_and_writes_nothing(
    client: TestClient, container: Container, w: World, content: bytes, status: int
) -> None:
    before = events(container)

    response = client.post(
        messages_url(w),
        content=content,
        headers={**bearer(w.agent_token), "Content-Type": "application/json"},
    )

    problem_of(response, status)
    assert events(container) == before
    assert "example.test" not in response.text


def test_body_over_limit_with_declared_length_is_413(
    small_container: Container,
) -> None:
    w = world(small_container.context)
    before = events(small_container)

    with TestClient(create_app(small_container)) as small:
        response = small.post(
            messages_url(w),
            json=message(body="x" * 2000),
            headers=bearer(w.agent_token),
        )

    problem_of(response, 413)
    assert events(small_container) == before


def test_body_over_limit_streamed_in_chunks_is_413(
    small_container: Container,
) -> None:
    w = world(small_container.context)
    before = events(small_container)
    payload = orjson.dumps(message(body="x" * 2000))
    chunks = iter([payload[i : i + 256] for i in range(0, len(payload), 256)])

    with TestClient(create_app(small_container)) as small:
        response = small.post(
            messages_url(w),
            content=chunks,
            headers={**bearer(w.agent_token), "Content-Type": "application/json"},
        )

    problem_of(response, 413)
    assert "content-length" not in response.request.headers
    assert events(small_container) == before


def test_unknown_case_and_other_workspace_case_look_the_same(
    client: TestClient, container: Container, w: World
) -> None:
    theirs = world(container.context)
    their_case = ingest(client, theirs)["case_id"]
    unknown_id = str(uuid4())

    other = problem_of(open_case(client, w, their_case, w.agent_token), 404)
    unknown = problem_of(open_case(client, w, unknown_id, w.agent_token), 404)

    assert set(other) == set(unknown)
    assert (other["type"], other["title"]) == (unknown["type"], unknown["title"])
    assert other["detail"].replace(their_case, "ID") == unknown["detail"].replace(
        unknown_id, "ID"
    )
    assert logged(container, theirs, their_case) == []


@sqlite_only
def test_unknown_route_is_a_404_problem(client: TestClient) -> None:
    problem_of(client.get("/v1/no-such-thing"), 404)


@sqlite_only
def test_wrong_method_is_a_405_problem(client: TestClient, w: World) -> None:
    response = client.delete(
        f"/v1/workspaces/{w.workspace_id}/cases", headers=bearer(w.agent_token)
    )

    problem_of(response, 405)


@sqlite_only
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param(bearer("gk_not-a-real-token"), id="unknown"),
        pytest.param({"Authorization": "Basic YWRhOnNlY3JldA=="}, id="not-bearer"),
    ],
)
def test_case_list_without_valid_token_is_401(
    client: TestClient, w: World, headers: dict[str, str]
) -> None:
    response = client.get(f"/v1/workspaces/{w.workspace_id}/cases", headers=headers)

    problem_of(response, 401)


def test_auditor_opening_a_case_is_403_and_unlogged(
    client: TestClient, container: Container, w: World
) -> None:
    case_id = ingest(client, w)["case_id"]

    response = open_case(client, w, case_id, w.auditor_token)

    problem_of(response, 403)
    assert logged(container, w, case_id) == []


def test_closing_a_closed_case_is_409(client: TestClient, w: World) -> None:
    case_id = ingest(client, w)["case_id"]
    first = client.post(f"{case_url(w, case_id)}/close", headers=bearer(w.agent_token))

    again = client.post(f"{case_url(w, case_id)}/close", headers=bearer(w.agent_token))

    assert first.status_code == 204
    problem_of(again, 409)


# Operations


def test_health_and_readiness_answer(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


@sqlite_only
def test_openapi_lists_the_v1_routes(client: TestClient) -> None:
    paths = set(client.get("/openapi.json").json()["paths"])

    assert {
        "/v1/workspaces",
        "/v1/workspaces/{workspace_id}/inboxes/{inbox_id}/messages",
        "/v1/workspaces/{workspace_id}/cases",
        "/v1/workspaces/{workspace_id}/cases/{case_id}",
        "/v1/workspaces/{workspace_id}/access-log",
    } <= paths


# Audit first


def test_open_case_when_access_record_fails_is_503_without_content(
    client: TestClient,
    container: Container,
    w: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = ingest(client, w, body="Diagnosis: confidential")["case_id"]

    def refuse(batch: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(container.context.reads, "_save", refuse)
    response = open_case(client, w, case_id, w.agent_token)

    assert problem_of(response, 503)["title"] == "Audit log unavailable"
    assert "confidential" not in response.text
    assert "Kari" not in response.text
    assert logged(container, w, case_id) == []


def test_open_case_when_submit_raises_is_503(
    client: TestClient,
    container: Container,
    w: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = ingest(client, w, body="Diagnosis: confidential")["case_id"]

    def refuse(item: object) -> None:
        raise AuditWriteError("the access record could not be written")

    monkeypatch.setattr(container.context.reads, "submit", refuse)
    response = open_case(client, w, case_id, w.agent_token)

    problem_of(response, 503)
    assert "confidential" not in response.text


# Concurrency


def test_32_concurrent_reads_are_all_logged_in_fewer_batches(
    client: TestClient, container: Container, w: World
) -> None:
    case_ids = [ingest(client, w)["case_id"] for _ in range(8)]
    start = threading.Barrier(32)
    batches_before = container.context.reads.batches

    def read(n: int) -> int:
        start.wait()
        return open_case(client, w, case_ids[n % 8], w.agent_token).status_code

    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = list(pool.map(read, range(32)))

    container.views.catch_up()
    entries = container.views.access_log(AccessLogFilter(w.workspace_id, limit=1000))
    batches = container.context.reads.batches - batches_before
    assert statuses == [200] * 32
    assert len(entries) == 32
    assert {str(e.case_id) for e in entries} == set(case_ids)
    assert batches < 32
