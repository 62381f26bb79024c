"""The SMTP adapter against a real SMTP server on loopback."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from application.ports import DeliveryError
from infrastructure.access_requests.smtp import SmtpEmailSender


class Mailbox:
    def __init__(self) -> None:
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.raw.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def test_code_mail_arrives_as_plain_utf8_text_without_tracking(
    smtp: tuple[Mailbox, int],
) -> None:
    mailbox, port = smtp
    sender = SmtpEmailSender("127.0.0.1", port, "innsyn@example.no")

    sender.send("kari@example.no", "Kode for innsyn", "Koden din er 12345678. Æøå.")

    message: Message = email.message_from_bytes(mailbox.raw[0])
    assert message["To"] == "kari@example.no"
    assert message.get_content_type() == "text/plain"
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert "12345678. Æøå." in body.decode("utf-8")
    assert b"<img" not in mailbox.raw[0]


def test_unreachable_server_is_a_delivery_error_without_the_address() -> None:
    sender = SmtpEmailSender("127.0.0.1", 1, "innsyn@example.no", timeout=2)

    with pytest.raises(DeliveryError) as failed:
        sender.send("kari@example.no", "Kode", "12345678")

    assert "kari" not in str(failed.value)
