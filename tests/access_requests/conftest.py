"""Access-request fixtures: services with recording senders, on both stores."""

from __future__ import annotations

import pytest

from application.access_requests import AccessRequestServices
from infrastructure.bootstrap import Container
from tests.access_requests.fakes import LoopbackConnector, RecordingEmailSender


@pytest.fixture
def email() -> RecordingEmailSender:
    return RecordingEmailSender()


@pytest.fixture
def twitter() -> LoopbackConnector:
    return LoopbackConnector("twitter")


@pytest.fixture
def svc(
    container: Container, email: RecordingEmailSender, twitter: LoopbackConnector
) -> AccessRequestServices:
    services: AccessRequestServices = container.extras["access_requests"]
    services.email = email
    services.connectors = {"twitter": twitter}
    return services
