"""Doubles for issue 10: a push gateway that records, and a real SMTP server on
loopback that keeps every raw message it receives."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from uuid import UUID

from application.outbound_ports import PushSender


@dataclass(frozen=True)
class PushedMessage:
    user_id: UUID
    title: str
    body: str
    data: dict[str, str]


class RecordingPushSender(PushSender):
    def __init__(self) -> None:
        self.sent: list[PushedMessage] = []

    def send(self, user_id: UUID, title: str, body: str, data: dict[str, str]) -> None:
        self.sent.append(PushedMessage(user_id, title, body, dict(data)))


class Mailbox:
    """An aiosmtpd handler keeping the raw bytes of every message."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.raw.append(envelope.original_content)
        return "250 OK"

    def parsed(self) -> list[EmailMessage]:
        return [message_from_bytes(raw, policy=policy.default) for raw in self.raw]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.parsed() if m["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
