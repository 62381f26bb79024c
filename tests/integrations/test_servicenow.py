"""ServiceNow: the client against a fake instance on 127.0.0.1 that checks the
requests like the real Table, Attachment and OAuth APIs, and the outbox that
pushes every approved file and never drops a failed one."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from application import access_requests as ar
from application import archive_pushes as pushes
from application.integration_ports import (
    ArchiveUpload,
    PushError,
    TicketingCredentials,
)
from application.integrations import IntegrationServices
from infrastructure.bootstrap import Container
from infrastructure.identifiers import FixedClock
from infrastructure.integrations.servicenow import ServiceNowClient
from infrastructure.integrations.wiring import start_push_sender
from tests.access_requests.fakes import LoopbackConnector, RecordingEmailSender
from tests.access_requests.scenario import person, proven_request
from tests.integrations.conftest import SleepRecorder
from tests.integrations.fake_servicenow import FakeServiceNowState, fake_servicenow

TABLE = "sn_privacy_request"


@pytest.fixture
def instance() -> Iterator[tuple[str, FakeServiceNowState]]:
    with fake_servicenow() as running:
        yield running


def basic(
    url: str, state: FakeServiceNowState, table: str = TABLE
) -> TicketingCredentials:
    return TicketingCredentials(url, table, "basic", state.username, state.password, "")


def oauth(url: str, state: FakeServiceNowState) -> TicketingCredentials:
    return TicketingCredentials(
        url, TABLE, "oauth", "", state.client_secret, state.client_id
    )


def upload(
    correlation: str = "req-1", content: bytes = b"PK\x03\x04zip"
) -> ArchiveUpload:
    return ArchiveUpload(
        correlation_id=correlation,
        fields={"short_description": "Access request"},
        file_name="access-request.zip",
        content_type="application/zip",
        content=content,
    )


def client(sleeps: SleepRecorder, *, tries: int = 3) -> ServiceNowClient:
    return ServiceNowClient(
        timeout_seconds=0.5, max_tries=tries, backoff_seconds=1.0, sleep=sleeps
    )


# The client


def test_basic_push_creates_a_record_and_attaches_the_file(
    instance: tuple[str, FakeServiceNowState], sleeps: SleepRecorder
) -> None:
    url, state = instance

    receipt = client(sleeps).push(basic(url, state), upload(content=b"archive-bytes"))

    record = state.records[TABLE][receipt.record_id]
    assert record["correlation_id"] == "req-1"
    assert state.attachments[0]["table_sys_id"] == receipt.record_id
    assert state.attachments[0]["content"] == b"archive-bytes"
    assert state.attachments[0]["content_type"] == "application/zip"
    assert receipt.tries == 2


def test_oauth_push_fetches_a_token_with_client_credentials(
    instance: tuple[str, FakeServiceNowState], sleeps: SleepRecorder
) -> None:
    url, state = instance

    receipt = client(sleeps).push(oauth(url, state), upload())

    assert ("POST", "/oauth_token.do", 200) in state.requests
    assert receipt.record_id in state.records[TABLE]


def test_second_push_of_the_same_request_updates_its_record(
    instance: tuple[str, FakeServiceNowState], sleeps: SleepRecorder
) -> None:
    url, state = instance
    first = client(sleeps).push(basic(url, state), upload("req-7"))

    second = client(sleeps).push(basic(url, state), upload("req-7"))

    assert second.record_id == first.record_id
    assert len(state.records[TABLE]) == 1
    assert len(state.attachments) == 2


def test_wrong_password_fails_at_once_without_retrying(
    instance: tuple[str, FakeServiceNowState], sleeps: SleepRecorder
) -> None:
    url, state = instance
    wrong = TicketingCredentials(url, TABLE, "basic", state.username, "nope", "")

    with pytest.raises(PushError) as raised:
        client(sleeps).push(wrong, upload())

    assert raised.value.status_code == 401
    assert not raised.value.retryable
    assert sleeps.waits == []
    assert state.records == {}


def test_rate_limit_waits_as_long_as_retry_after_says(
    instance: tuple[str, FakeServiceNowState], sleeps: SleepRecorder
) -> None:
    url, state = instance
    state.fail_next(429, retry_after="7")

    receipt = client(sleeps).push(basic(url, state), upload())

    assert sleeps.waits == [7.0]
    assert receipt.record_id in state.records[TABLE]


def test_server_errors_are_retried_with_exponential_backoff(
    instance: tuple[str, FakeServiceNowState], sleeps: SleepRecorder
) -> None:
    url, state = instance
    state.fail_next(500, times=2)

    receipt = client(sleeps, tries=4).push(basic(url, state), upload())

    assert sleeps.waits == [1.0, 2.0]
    assert receipt.record_id in state.records[TABLE]


def test_persistent_server_error_gives_up_as_retryable(
    instance: tuple[str, FakeServiceNowState], sleeps: SleepRecorder
) -> None:
    url, state = instance
    state.fail_next(503, times=10)

    with pytest.raises(PushError) as raised:
        client(sleeps, tries=3).push(basic(url, state), upload())

    assert raised.value.retryable
    assert raised.value.tries == 3
    assert raised.value.status_code == 503


def test_hanging_instance_times_out_and_is_retried(
    instance: tuple[str, FakeServiceNowState], sleeps: SleepRecorder
) -> None:
    url, state = instance
    state.hang_seconds = 1.5
    state.hang_next()

    receipt = client(sleeps).push(basic(url, state), upload())

    assert sleeps.waits == [1.0]
    assert receipt.record_id in state.records[TABLE]


def test_unknown_table_is_refused_without_retrying(
    instance: tuple[str, FakeServiceNowState], sleeps: SleepRecorder
) -> None:
    url, state = instance

    with pytest.raises(PushError) as raised:
        client(sleeps).push(basic(url, state, table="no_such_table"), upload())

    assert raised.value.status_code == 400
    assert sleeps.waits == []


def test_unreachable_instance_is_retryable(sleeps: SleepRecorder) -> None:
    with fake_servicenow() as (url, state):
        pass  # the server is gone once the block ends

    with pytest.raises(PushError) as raised:
        client(sleeps).push(basic(url, state), upload())

    assert raised.value.retryable
    assert "cannot reach" in raised.value.reason


# The outbox, from an approved request to a ServiceNow record


def configure(
    api: TestClient,
    token: str,
    workspace_id: object,
    url: str,
    state: FakeServiceNowState,
) -> dict[str, object]:
    answer = api.put(
        f"/v1/workspaces/{workspace_id}/integrations/servicenow",
        json={
            "instance_url": url,
            "table": TABLE,
            "auth_mode": "basic",
            "username": state.username,
            "secret": state.password,
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()
    return result


def test_approved_file_is_pushed_with_its_bytes_and_recorded(
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
    instance: tuple[str, FakeServiceNowState],
) -> None:
    ctx = container.context
    url, state = instance
    p = person(ctx)
    configured = configure(api, p.world.admin_token, p.world.workspace_id, url, state)
    request = proven_request(ctx, svc, email, twitter, p)
    approval = ar.approve(ctx, svc, p.world.agent, request.id)

    outcomes = pushes.run_pushes(ctx, integ)

    assert state.password not in str(configured)
    assert [o.status for o in outcomes] == ["pushed"]
    stored = b"".join(svc.exports.open(approval.export_id))
    assert state.attachments[0]["content"] == stored
    record = state.records[TABLE][outcomes[0].record_id or ""]
    assert record["correlation_id"] == str(request.id)
    listed = integ.views.pushes(p.world.workspace_id)
    assert [(r.status, r.record_id) for r in listed] == [
        ("pushed", outcomes[0].record_id)
    ]
    events = [type(e).__name__ for e in ctx.store.events.get(listed[0].push_id)]
    assert events == ["Queued", "Pushed"]


def test_failed_push_stays_queued_with_its_reason_and_succeeds_on_retry(
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
    instance: tuple[str, FakeServiceNowState],
    clock: FixedClock,
) -> None:
    ctx = container.context
    url, state = instance
    p = person(ctx)
    configure(api, p.world.admin_token, p.world.workspace_id, url, state)
    request = proven_request(ctx, svc, email, twitter, p)
    ar.approve(ctx, svc, p.world.agent, request.id)
    state.fail_next(500, times=3)

    failed = pushes.run_pushes(ctx, integ)
    not_yet = pushes.run_pushes(ctx, integ)
    clock.advance(dt.timedelta(hours=1))
    retried = pushes.run_pushes(ctx, integ)

    assert [o.status for o in failed] == ["failed"]
    assert not_yet == []
    assert [o.status for o in retried] == ["pushed"]
    listed = integ.views.pushes(p.world.workspace_id)
    assert listed[0].attempts == 2
    assert listed[0].last_error is None


def test_push_list_shows_a_failure_to_the_admin(
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
    instance: tuple[str, FakeServiceNowState],
) -> None:
    ctx = container.context
    url, state = instance
    p = person(ctx)
    configure(api, p.world.admin_token, p.world.workspace_id, url, state)
    request = proven_request(ctx, svc, email, twitter, p)
    ar.approve(ctx, svc, p.world.agent, request.id)
    state.password = "rotated-in-servicenow"
    auth = {"Authorization": f"Bearer {p.world.admin_token}"}

    ran = api.post(
        f"/v1/workspaces/{p.world.workspace_id}/integrations/pushes/run", headers=auth
    )

    assert ran.status_code == 200
    assert ran.json()[0]["status"] == "failed"
    assert "refused the credentials (401)" in ran.json()[0]["last_error"]
    assert ran.json()[0]["next_attempt_at"] is not None


def test_plain_http_instance_is_refused_outside_loopback(
    container: Container, integ: IntegrationServices, api: TestClient
) -> None:
    from tests.builders import world

    w = world(container.context)

    answer = api.put(
        f"/v1/workspaces/{w.workspace_id}/integrations/servicenow",
        json={
            "instance_url": "http://example.service-now.com",
            "table": TABLE,
            "auth_mode": "basic",
            "username": "u",
            "secret": "p",
        },
        headers={"Authorization": f"Bearer {w.admin_token}"},
    )

    assert answer.status_code == 422
    assert "https" in answer.json()["detail"]


def test_serve_pushes_approved_files_without_anyone_asking(
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
    instance: tuple[str, FakeServiceNowState],
) -> None:
    ctx = container.context
    url, state = instance
    p = person(ctx)
    configure(api, p.world.admin_token, p.world.workspace_id, url, state)
    request = proven_request(ctx, svc, email, twitter, p)
    ar.approve(ctx, svc, p.world.agent, request.id)

    sender = start_push_sender(ctx, integ, interval_seconds=0.2)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not state.attachments:
        time.sleep(0.1)
    sender.shutdown(wait=True)

    assert len(state.attachments) == 1
    assert [r.status for r in integ.views.pushes(p.world.workspace_id)] == ["pushed"]
