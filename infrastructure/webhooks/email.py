"""Inbound e-mail as a mail relay posts it: the raw RFC 5322 message as the body
(Content-Type message/rfc822), signed with the generic timestamped scheme. The
message is read by the same code as the mailbox importer."""

from __future__ import annotations

import email
import email.message
import hashlib

from application.errors import InvalidInputError
from application.integration_ports import (
    ChannelSecrets,
    UnknownAccountError,
    WebhookBatch,
)
from application.ports import ImportedDialog, ImportedMessage, ImportedSubject
from infrastructure.importers.mail_content import (
    first_address,
    header_text,
    message_ids,
    parse_date,
    read_content,
)
from infrastructure.webhooks.signing import TimestampedWebhook

_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


class EmailWebhook(TimestampedWebhook):
    platform = "email"
    channel = "email"

    def parse(self, secrets: ChannelSecrets, body: bytes) -> WebhookBatch:
        if not body.strip():
            raise InvalidInputError("the body holds no mail")
        message = email.message_from_bytes(body)
        if not message.keys():
            raise InvalidInputError("the body is not an RFC 5322 message")
        if secrets.account_id and not _addressed_to(message, secrets.account_id):
            raise UnknownAccountError(secrets.inbox_id, self.platform)
        return WebhookBatch((_dialog(message, body),), 0)


def _addressed_to(message: email.message.Message, address: str) -> bool:
    wanted = address.casefold()
    recipients = " ".join(header_text(message, name) for name in _RECIPIENT_HEADERS)
    return wanted in recipients.casefold()


def _dialog(message: email.message.Message, raw: bytes) -> ImportedDialog:
    own_ids = message_ids(header_text(message, "Message-ID"))
    reply_ids = message_ids(header_text(message, "In-Reply-To"))
    reference_ids = message_ids(header_text(message, "References"))
    message_id = own_ids[0] if own_ids else None
    parents = tuple(
        dict.fromkeys(i for i in [*reference_ids, *reply_ids] if i != message_id)
    )
    name, address = first_address(header_text(message, "From"))
    content = read_content(message)
    # Without a Message-ID the content identifies the mail, so a relay that
    # posts it twice still adds it once.
    external_id = message_id or "sha256-" + hashlib.sha256(raw).hexdigest()
    thread_key = parents[0] if parents else external_id
    subject_line = header_text(message, "Subject")
    return ImportedDialog(
        thread_key=thread_key,
        channel="email",
        subject=ImportedSubject(
            identities=(("email", address),) if address else (),
            name=name if name and name != address else None,
        ),
        messages=(
            ImportedMessage(
                external_id=external_id,
                direction="inbound",
                author=name or address or "unknown sender",
                author_address=address,
                body=content.body,
                sent_at=parse_date(header_text(message, "Date")),
                subject=subject_line or None,
                attachments=tuple(content.attachments),
                in_reply_to=reply_ids[-1] if reply_ids else None,
                references=parents,
            ),
        ),
    )
