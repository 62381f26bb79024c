"""Integration fixtures: the services with loopback HTTP allowed and no real
sleeping between ServiceNow retries, and an HTTP client on the app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from application.integrations import IntegrationServices
from infrastructure.bootstrap import Container
from infrastructure.integrations.servicenow import ServiceNowClient
from interface.api.app import create_app


class SleepRecorder:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def integ(container: Container, sleeps: SleepRecorder) -> IntegrationServices:
    services: IntegrationServices = container.extras["integrations"]
    services.allow_plain_http_loopback = True
    services.ticketing = ServiceNowClient(
        timeout_seconds=0.5, max_tries=3, backoff_seconds=1.0, sleep=sleeps
    )
    return services


@pytest.fixture
def api(container: Container, integ: IntegrationServices) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client


# The access-request fixtures (services with recording senders), for the pushes
# and sources that hang off an approved request.
from tests.access_requests.conftest import email, svc, twitter  # noqa: E402, F401
