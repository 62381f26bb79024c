"""The status API for other systems (issue 9.4) and the integrations CLI, on
both stores: client tokens, recorded reads and downloads, workspaces apart."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from application import access_requests as ar
from application import archive_pushes as pushes
from application.integrations import IntegrationServices
from application.ports import AccessLogFilter
from infrastructure.bootstrap import Container
from infrastructure.settings import Settings
from interface.cli import app
from tests.access_requests.fakes import LoopbackConnector, RecordingEmailSender
from tests.access_requests.scenario import Person, person, proven_request
from tests.builders import world
from tests.integrations.fake_servicenow import fake_servicenow

runner = CliRunner()


def client_token(api: TestClient, p: Person, *, may_download: bool) -> str:
    answer = api.post(
        f"/v1/workspaces/{p.world.workspace_id}/integrations/clients",
        json={"name": "Ticketing", "may_download": may_download},
        headers={"Authorization": f"Bearer {p.world.admin_token}"},
    )
    assert answer.status_code == 201, answer.text
    token: str = answer.json()["token"]
    return token


def approved(
    container: Container,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> tuple[Person, Any, ar.Approval]:
    ctx = container.context
    p = person(ctx)
    request = proven_request(ctx, svc, email, twitter, p)
    return p, request, ar.approve(ctx, svc, p.world.agent, request.id)


def test_client_reads_status_and_the_read_is_logged(
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    p, request, approval = approved(container, svc, email, twitter)
    token = client_token(api, p, may_download=False)

    answer = api.get(
        f"/v1/integrations/access-requests/{request.id}",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert answer.status_code == 200
    assert answer.json()["state"] == "approved"
    assert [f["export_id"] for f in answer.json()["files"]] == [str(approval.export_id)]
    log = container.context.views.access_log(AccessLogFilter(p.world.workspace_id))
    assert "access_request.status_read" in [e.action for e in log]


def test_client_with_download_grant_fetches_the_file_and_it_is_recorded(
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    p, request, approval = approved(container, svc, email, twitter)
    token = client_token(api, p, may_download=True)

    answer = api.get(
        f"/v1/integrations/access-requests/{request.id}/files/{approval.export_id}",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert answer.status_code == 200
    assert answer.content == b"".join(svc.exports.open(approval.export_id))
    events = [type(e).__name__ for e in container.context.store.events.get(request.id)]
    assert events[-1] == "Downloaded"


def test_client_without_download_grant_gets_403(
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    p, request, approval = approved(container, svc, email, twitter)
    token = client_token(api, p, may_download=False)

    answer = api.get(
        f"/v1/integrations/access-requests/{request.id}/files/{approval.export_id}",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert answer.status_code == 403


def test_client_of_another_workspace_sees_the_request_as_missing(
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    _, request, _ = approved(container, svc, email, twitter)
    other = person(container.context)
    token = client_token(api, other, may_download=True)

    answer = api.get(
        f"/v1/integrations/access-requests/{request.id}",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert answer.status_code == 404


@pytest.mark.parametrize("token", [None, "gki_not-a-real-token"])
def test_status_without_a_valid_token_is_401(
    token: str | None, container: Container, integ: IntegrationServices, api: TestClient
) -> None:
    w = world(container.context)
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    answer = api.get(
        f"/v1/integrations/access-requests/{w.workspace_id}", headers=headers
    )

    assert answer.status_code == 401


def test_revoked_client_token_is_refused(
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    p, request, _ = approved(container, svc, email, twitter)
    created = api.post(
        f"/v1/workspaces/{p.world.workspace_id}/integrations/clients",
        json={"name": "Old tool"},
        headers={"Authorization": f"Bearer {p.world.admin_token}"},
    ).json()
    api.delete(
        f"/v1/workspaces/{p.world.workspace_id}/integrations/clients/"
        f"{created['client_id']}",
        headers={"Authorization": f"Bearer {p.world.admin_token}"},
    )

    answer = api.get(
        f"/v1/integrations/access-requests/{request.id}",
        headers={"Authorization": f"Bearer {created['token']}"},
    )

    assert answer.status_code == 401


# The command line


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    values = {
        "GDPRKIT_ENVIRONMENT": "test",
        "GDPRKIT_DATABASE_URL": settings.database_url,
        "GDPRKIT_MASTER_KEY": settings.master_key,
        "GDPRKIT_BLIND_INDEX_KEY": settings.blind_index_key,
        "GDPRKIT_OPERATOR_TOKEN": settings.operator_token,
        "GDPRKIT_SIGNING_KEY": settings.signing_key,
        "GDPRKIT_DATA_DIR": str(settings.data_dir),
        "GDPRKIT_INTEGRATIONS_ALLOW_LOOPBACK_HTTP": "true",
        "GDPRKIT_SERVICENOW_MAX_TRIES": "1",
        "GDPRKIT_SERVICENOW_TIMEOUT_SECONDS": "2",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return settings


def gdprkit(*args: str) -> Result:
    return runner.invoke(app, list(args), prog_name="gdprkit")


def test_cli_retry_pushes_what_failed_and_lists_it_pushed(
    env: Settings,
    container: Container,
    integ: IntegrationServices,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    with fake_servicenow() as (url, state):
        p = person(ctx)
        pushes.configure_servicenow(
            ctx,
            integ,
            p.world.admin,
            instance_url=url,
            table="sn_privacy_request",
            auth_mode="basic",
            username=state.username,
            secret=state.password,
        )
        request = proven_request(ctx, svc, email, twitter, p)
        ar.approve(ctx, svc, p.world.agent, request.id)
        state.fail_next(500, times=3)  # every try of the in-process attempt
        pushes.run_pushes(ctx, integ)

        retried = gdprkit("integrations", "retry", "--force")
        listed = gdprkit(
            "integrations",
            "pushes",
            "--workspace",
            str(p.world.workspace_id),
            "--format",
            "json",
        )

    assert retried.exit_code == 0, retried.stderr
    assert retried.stdout.endswith("1 pushed, 0 failed\n")
    assert [r["status"] for r in orjson.loads(listed.stdout)] == ["pushed"]


def test_cli_retry_exits_1_when_a_push_fails_again(
    env: Settings,
    container: Container,
    integ: IntegrationServices,
    svc: ar.AccessRequestServices,
    email: RecordingEmailSender,
    twitter: LoopbackConnector,
) -> None:
    ctx = container.context
    with fake_servicenow() as (url, state):
        p = person(ctx)
        pushes.configure_servicenow(
            ctx,
            integ,
            p.world.admin,
            instance_url=url,
            table="sn_privacy_request",
            auth_mode="basic",
            username=state.username,
            secret=state.password,
        )
        request = proven_request(ctx, svc, email, twitter, p)
        ar.approve(ctx, svc, p.world.agent, request.id)
        state.fail_next(500, times=5)

        retried = gdprkit("integrations", "retry")

    assert retried.exit_code == 1
    assert retried.stdout.endswith("0 pushed, 1 failed\n")
    assert [r.status for r in integ.views.pushes(p.world.workspace_id)] == ["failed"]
