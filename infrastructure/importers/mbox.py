"""Mailbox importer: mbox/mboxrd files, single .eml files and folders of them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import hashlib
import mailbox
import re
from collections.abc import Iterator
from pathlib import Path

from application.ports import (
    DialogSource,
    ImportedAttachment,
    ImportedDialog,
    ImportedMessage,
    ImportedSubject,
    ImportItem,
    ImportProblem,
)
from infrastructure.importers.errors import ImportSourceNotFoundError
from infrastructure.importers.mail_content import (
    first_address,
    header_text,
    message_ids,
    parse_date,
    read_content,
)

_MBOXRD_QUOTED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_HEADER_LINE = re.compile(rb"[!-9;-~]{1,76}:")
_LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclasses.dataclass(frozen=True)
class _Mail:
    """One readable message, before its thread decides its direction."""

    position: int
    external_id: str
    message_id: str | None
    parent_ids: tuple[str, ...]  # References, then In-Reply-To: oldest first
    in_reply_to: str | None
    author: str
    author_address: str | None
    body: str
    sent_at: dt.datetime | None
    subject: str
    attachments: tuple[ImportedAttachment, ...]


class MboxSource(DialogSource):
    """Threads RFC 5322 mail into dialogs by Message-ID, In-Reply-To and
    References. `path` is an mbox file, an .eml file or a folder searched for
    .eml files; positions in problems count messages from 1 in reading order
    (file order in an mbox, sorted relative path in a folder)."""

    name = "mbox"

    def read(self, path: str) -> Iterator[ImportItem]:
        mails: list[_Mail] = []
        seen_digests: dict[bytes, int] = {}
        for position, raw in enumerate(_raw_messages(path), start=1):
            digest = hashlib.sha256(raw).digest()
            if digest in seen_digests:
                first = seen_digests[digest]
                yield ImportProblem(
                    f"message {position}", f"exact copy of message {first}; skipped"
                )
                continue
            seen_digests[digest] = position
            try:
                mails.append(_read_mail(position, raw))
            except Exception as error:  # one unreadable message must not end the import
                yield ImportProblem(
                    f"message {position}",
                    f"unreadable message ({type(error).__name__})",
                )
        source = Path(path)
        if not seen_digests and source.is_file() and source.stat().st_size:
            yield ImportProblem("file", "no messages found: not an mbox or .eml file")
        yield from _dialogs(mails)

    def estimate(self, path: str) -> int | None:
        # Threads are only known once every message has been read.
        return None


def _raw_messages(path: str) -> Iterator[bytes]:
    source = Path(path)
    if source.is_dir():
        for eml in sorted(p for p in source.rglob("*") if _is_eml(p)):
            yield eml.read_bytes()
    elif _is_eml(source):
        yield source.read_bytes()
    elif source.is_file():
        yield from _mbox_messages(source)
    else:
        raise ImportSourceNotFoundError(path)


def _mbox_messages(source: Path) -> Iterator[bytes]:
    box = mailbox.mbox(source, create=False)
    found = 0
    try:
        for key in box.iterkeys():
            found += 1
            # mboxrd quotes body lines starting with "From " by one ">".
            yield _MBOXRD_QUOTED_FROM.sub(rb"\1", box.get_bytes(key))
    finally:
        box.close()
    if not found:
        with source.open("rb") as file:
            start = file.read(1000)
        # A lone message saved without the .eml suffix has no "From " line.
        if _HEADER_LINE.match(start):
            yield source.read_bytes()


def _is_eml(path: Path) -> bool:
    return path.suffix.lower() == ".eml" and path.is_file()


def _read_mail(position: int, raw: bytes) -> _Mail:
    message = email.message_from_bytes(raw)
    if not message.keys() and not raw.strip():
        raise ValueError("empty message")
    own_ids = message_ids(header_text(message, "Message-ID"))
    reply_ids = message_ids(header_text(message, "In-Reply-To"))
    reference_ids = message_ids(header_text(message, "References"))
    message_id = own_ids[0] if own_ids else None
    parent_ids = tuple(
        dict.fromkeys(i for i in [*reference_ids, *reply_ids] if i != message_id)
    )
    name, address = first_address(header_text(message, "From"))
    content = read_content(message)
    return _Mail(
        position=position,
        external_id=message_id or f"message-{position}",
        message_id=message_id,
        parent_ids=parent_ids,
        in_reply_to=reply_ids[-1] if reply_ids else None,
        author=name or address or "unknown sender",
        author_address=address,
        body=content.body,
        sent_at=parse_date(header_text(message, "Date")),
        subject=header_text(message, "Subject"),
        attachments=tuple(content.attachments),
    )


def _dialogs(mails: list[_Mail]) -> Iterator[ImportedDialog]:
    threads = _Threads()
    for mail in mails:
        threads.add(mail)
    for thread in threads.groups():
        yield _dialog(thread)


class _Threads:
    """Connected components over message ids (union-find): a message joins every
    id it names, so replies whose parent is missing still meet through the
    References chain they share."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._mails: list[tuple[str, _Mail]] = []

    def add(self, mail: _Mail) -> None:
        node = f"<{mail.message_id}>" if mail.message_id else f"#{mail.position}"
        self._find(node)
        for parent_id in mail.parent_ids:
            self._union(node, f"<{parent_id}>")
        self._mails.append((node, mail))

    def groups(self) -> list[list[_Mail]]:
        by_root: dict[str, list[_Mail]] = {}
        for node, mail in self._mails:
            by_root.setdefault(self._find(node), []).append(mail)
        return list(by_root.values())

    def _find(self, node: str) -> str:
        root = self._parent.setdefault(node, node)
        while root != self._parent[root]:
            root = self._parent[root]
        while node != root:
            self._parent[node], node = root, self._parent[node]
        return root

    def _union(self, first: str, second: str) -> None:
        self._parent[self._find(first)] = self._find(second)


def _dialog(thread: list[_Mail]) -> ImportedDialog:
    ordered = sorted(thread, key=lambda m: (m.sent_at or _LATEST, m.position))
    opener = _opener(ordered)
    customer = opener.author_address
    messages = tuple(_message(m, customer) for m in _unique_ids(ordered))
    identities = (("email", customer),) if customer else ()
    name = opener.author if opener.author not in (customer, "unknown sender") else None
    return ImportedDialog(
        thread_key=_thread_key(thread),
        channel="email",
        subject=ImportedSubject(identities=identities, name=name),
        messages=messages,
    )


def _opener(ordered: list[_Mail]) -> _Mail:
    """The earliest message that answers nothing else in its thread."""
    known_ids = {m.message_id for m in ordered if m.message_id}
    for mail in ordered:
        if not known_ids.intersection(mail.parent_ids):
            return mail
    return ordered[0]


def _thread_key(thread: list[_Mail]) -> str:
    first = min(thread, key=lambda m: m.position)
    if first.parent_ids:
        return first.parent_ids[0]
    if first.message_id:
        return first.message_id
    digest = hashlib.sha256(f"message {first.position}".encode()).hexdigest()
    return f"no-message-id-{digest[:16]}"


def _unique_ids(ordered: list[_Mail]) -> Iterator[_Mail]:
    """Distinct messages that share a Message-ID keep distinct external ids."""
    counts: dict[str, int] = {}
    for mail in ordered:
        seen = counts.get(mail.external_id, 0)
        counts[mail.external_id] = seen + 1
        if seen:
            yield _with_external_id(mail, f"{mail.external_id}#{seen + 1}")
        else:
            yield mail


def _with_external_id(mail: _Mail, external_id: str) -> _Mail:
    return dataclasses.replace(mail, external_id=external_id)


def _message(mail: _Mail, customer_address: str | None) -> ImportedMessage:
    inbound = mail.author_address == customer_address
    return ImportedMessage(
        external_id=mail.external_id,
        direction="inbound" if inbound else "outbound",
        author=mail.author,
        author_address=mail.author_address,
        body=mail.body,
        sent_at=mail.sent_at,
        subject=mail.subject or None,
        attachments=mail.attachments,
        in_reply_to=mail.in_reply_to,
        references=mail.parent_ids,
    )
