"""Numbers too large for the database are refused as input, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from infrastructure.bootstrap import Container
from interface.api.app import create_app
from tests.builders import world

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("cases?offset=" + HUGE, "agent"),
        ("access-log?after=" + HUGE, "auditor"),
        ("anonymisations?offset=" + HUGE, "agent"),
        ("access-requests?offset=" + HUGE, "agent"),
    ],
    ids=["cases", "access-log", "anonymisations", "access-requests"],
)
def test_position_beyond_64_bits_is_invalid_input(
    container: Container, path: str, role: str
) -> None:
    w = world(container.context)
    token = {"agent": w.agent_token, "auditor": w.auditor_token}[role]
    client = TestClient(create_app(container))

    answer = client.get(
        f"/v1/workspaces/{w.workspace_id}/{path}",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
