"""Meta webhooks: Facebook Messenger and Instagram messaging.

The subscription check echoes `hub.challenge` when `hub.verify_token` matches;
every delivery carries `X-Hub-Signature-256: sha256=<hex HMAC of the raw body
under the app secret>`. Meta retries a delivery for hours and signs no time, so
a replay is handled by message-id idempotency rather than a freshness window.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Mapping
from typing import Any

from application.integration_ports import (
    ChannelSecrets,
    ChannelWebhook,
    Delivery,
    UnknownAccountError,
    WebhookBatch,
    WebhookRejectedError,
)
from application.ports import ImportedDialog, ImportedMessage, ImportedSubject
from infrastructure.webhooks.signing import (
    as_list,
    as_mapping,
    check_hex_signature,
    from_millis,
    load_json,
    text_of,
)

SIGNATURE_HEADER = "x-hub-signature-256"


class _MetaWebhook(ChannelWebhook):
    object_kind: str  # "page" or "instagram"

    def handshake(self, secrets: ChannelSecrets, query: Mapping[str, str]) -> str:
        expected = secrets.verify_token or ""
        given = query.get("hub.verify_token", "")
        if query.get("hub.mode") != "subscribe" or not hmac.compare_digest(
            given.encode(), expected.encode()
        ):
            raise WebhookRejectedError(secrets.inbox_id, "verify token does not match")
        challenge = query.get("hub.challenge", "")
        if not challenge or len(challenge) > 256:
            raise WebhookRejectedError(secrets.inbox_id, "missing hub.challenge")
        return challenge

    def verify(
        self, secrets: ChannelSecrets, delivery: Delivery, now: dt.datetime
    ) -> str | None:
        header = delivery.headers.get(SIGNATURE_HEADER)
        check_hex_signature(secrets, header, delivery.body)
        return None

    def parse(self, secrets: ChannelSecrets, body: bytes) -> WebhookBatch:
        payload = as_mapping(load_json(body), "the body")
        if payload.get("object") != self.object_kind:
            raise UnknownAccountError(secrets.inbox_id, self.platform)
        threads: dict[str, list[ImportedMessage]] = {}
        ignored = 0
        for entry in as_list(payload.get("entry"), "entry"):
            entry = as_mapping(entry, "an entry")
            if text_of(entry.get("id"), "entry.id") != secrets.account_id:
                raise UnknownAccountError(secrets.inbox_id, self.platform)
            for item in as_list(entry.get("messaging"), "entry.messaging"):
                found = self._message(secrets.account_id, as_mapping(item, "messaging"))
                if found is None:
                    ignored += 1
                    continue
                customer, message = found
                threads.setdefault(customer, []).append(message)
        dialogs = tuple(
            ImportedDialog(
                thread_key=f"{self.platform}/{secrets.account_id}/{customer}",
                channel=self.channel,
                subject=ImportedSubject(identities=((self.channel, customer),)),
                messages=tuple(messages),
            )
            for customer, messages in threads.items()
        )
        return WebhookBatch(dialogs, ignored)

    def _message(
        self, account_id: str, item: Mapping[str, Any]
    ) -> tuple[str, ImportedMessage] | None:
        message = item.get("message")
        if not isinstance(message, dict):
            return None  # postbacks, reads, deliveries, referrals, opt-ins
        sender = text_of(as_mapping(item.get("sender"), "sender").get("id"), "sender")
        recipient = text_of(
            as_mapping(item.get("recipient"), "recipient").get("id"), "recipient"
        )
        echo = bool(message.get("is_echo")) or sender == account_id
        customer = recipient if echo else sender
        text = text_of(message.get("text"), "message.text", required=False)
        parts = [text] if text else []
        parts.extend(_attachment_lines(message.get("attachments")))
        if not parts:
            return None  # a reaction or sticker without text or attachment
        external_id = text_of(message.get("mid"), "message.mid", required=False)
        timestamp = item.get("timestamp")
        return customer, ImportedMessage(
            external_id=external_id or f"{sender}/{timestamp}",
            direction="outbound" if echo else "inbound",
            author=account_id if echo else customer,
            author_address=None if echo else customer,
            body="\n".join(parts),
            sent_at=from_millis(timestamp),
        )


def _attachment_lines(value: Any) -> list[str]:
    """Attachments are links on Meta's CDN that expire; the case keeps what was
    sent (type and link) without fetching anything from outside."""
    lines = []
    for attachment in as_list(value, "message.attachments"):
        attachment = as_mapping(attachment, "an attachment")
        kind = text_of(attachment.get("type"), "attachment.type", required=False)
        payload = attachment.get("payload")
        payload = payload if isinstance(payload, dict) else {}
        if "coordinates" in payload:
            coordinates = as_mapping(payload["coordinates"], "coordinates")
            lines.append(
                f"[{kind or 'location'}: {coordinates.get('lat')}, "
                f"{coordinates.get('long')}]"
            )
            continue
        url = text_of(payload.get("url"), "attachment.url", required=False)
        lines.append(f"[{kind or 'attachment'}: {url}]" if url else f"[{kind}]")
    return lines


class MessengerWebhook(_MetaWebhook):
    platform = "messenger"
    channel = "facebook"
    object_kind = "page"


class InstagramWebhook(_MetaWebhook):
    platform = "instagram"
    channel = "instagram"
    object_kind = "instagram"
