"""Ports the application owns; infrastructure implements them.

Every port is a small abstract class. Adapters subclass it, so a fake cannot drift
from the contract. Value objects that cross a port live here too.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from domain.sensitivity import Finding


class SensitivityDetector(abc.ABC):
    """Finds personal and special-category data in free text.

    `scan` never raises on any input (empty, binary junk, megabytes) and runs in
    time linear in the length of the text.
    """

    @abc.abstractmethod
    def scan(self, text: str) -> list[Finding]: ...


@dataclass(frozen=True)
class ImportedAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class ImportedMessage:
    """One message of a dialog, as read from a source format."""

    external_id: str
    direction: str  # "inbound" (from the customer) or "outbound" (from an agent)
    author: str  # display name or handle of whoever wrote it
    author_address: str | None  # e-mail address or handle, when the format has one
    body: str
    sent_at: dt.datetime | None = None
    subject: str | None = None
    attachments: tuple[ImportedAttachment, ...] = ()
    in_reply_to: str | None = None  # external_id of the message it answers
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportedSubject:
    """The customer behind a dialog, with whatever the source knows of them."""

    identities: tuple[tuple[str, str], ...]  # (kind, value): ("email", "a@b.no")
    name: str | None = None
    details: dict[str, str] = field(default_factory=dict)  # phone, address, ...


@dataclass(frozen=True)
class ImportedDialog:
    """A whole thread: becomes one case, written atomically."""

    thread_key: str  # stable id of the thread within its source
    channel: str  # email, facebook, twitter, instagram, youtube, chat, webform
    subject: ImportedSubject
    messages: tuple[ImportedMessage, ...]
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportProblem:
    """A record that could not be read: where it is and why, never its content."""

    position: str  # e.g. "message 17" or "line 204"
    reason: str


ImportItem = ImportedDialog | ImportProblem


class DialogSource(abc.ABC):
    """Reads one source format and yields dialogs or problems, never raising on
    a bad record: it reports the record's position and goes on."""

    name: str  # "mbox", "tweetsumm", "star", "abcd"

    @abc.abstractmethod
    def read(self, path: str) -> Iterator[ImportItem]: ...

    def estimate(self, path: str) -> int | None:
        """How many items `read` will yield, for a progress bar; None if unknown."""
        return None
