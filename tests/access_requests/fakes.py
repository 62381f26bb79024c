"""Fakes for the ports access requests send through: they keep what was sent so
a test can read the code the person would have received."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from application.ports import ChannelConnector, DeliveryError, EmailSender

_CODE = re.compile(r"\b(\d{8})\b")


@dataclass
class Sent:
    to: str
    subject: str
    body: str

    @property
    def code(self) -> str:
        match = _CODE.search(self.body)
        if match is None:
            raise AssertionError("the message carries no code")
        return match.group(1)


@dataclass
class RecordingEmailSender(EmailSender):
    sent: list[Sent] = field(default_factory=list)
    failing: bool = False

    def send(self, to: str, subject: str, body: str) -> None:
        if self.failing:
            raise DeliveryError("email", "connection refused")
        self.sent.append(Sent(to, subject, body))

    def last_to(self, to: str) -> Sent:
        return [s for s in self.sent if s.to == to][-1]


class LoopbackConnector(ChannelConnector):
    """A social channel that delivers direct messages into a list."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.sent: list[Sent] = []

    def send_direct_message(self, handle: str, text: str) -> None:
        self.sent.append(Sent(handle, self.kind, text))

    def last_to(self, handle: str) -> Sent:
        return [s for s in self.sent if s.to == handle][-1]
