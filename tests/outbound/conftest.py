"""Issue 10 fixtures: outbound services whose e-mail goes through the real SMTP
adapter to an aiosmtpd server on loopback, and whose push is recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from application.outbound_ports import OutboundServices
from infrastructure.access_requests.smtp import SmtpEmailSender
from infrastructure.bootstrap import Container
from infrastructure.outbound.wiring import EXTRAS_KEY
from tests.outbound.fakes import Mailbox, RecordingPushSender, free_port


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def mailbox(smtp_port: int) -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def push() -> RecordingPushSender:
    return RecordingPushSender()


@pytest.fixture
def outbound(
    container: Container, smtp_port: int, push: RecordingPushSender
) -> OutboundServices:
    services: OutboundServices = container.extras[EXTRAS_KEY]
    services.email = SmtpEmailSender(
        "127.0.0.1", smtp_port, "support@example.test", timeout=5
    )
    services.push = push
    return services
