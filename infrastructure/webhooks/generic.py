"""A generic signed JSON webhook for chat widgets and other systems.

Headers: `X-Gdprkit-Timestamp` (Unix seconds) and `X-Gdprkit-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>." + body under the inbox secret>`.
Deliveries outside the freshness window are stale; a signature seen before is a
replay. Body: {"messages": [{"id", "thread", "text", "direction"?, "sent_at"?,
"subject"?, "author": {"name"?, "email"?, "handle"?}}]} (docs/integrations.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from application.errors import InvalidInputError
from application.integration_ports import (
    ChannelSecrets,
    UnknownAccountError,
    WebhookBatch,
)
from application.ports import ImportedDialog, ImportedMessage, ImportedSubject
from infrastructure.webhooks.signing import (
    TimestampedWebhook,
    as_list,
    as_mapping,
    from_iso,
    load_json,
    text_of,
)

MAX_MESSAGES = 500


class GenericWebhook(TimestampedWebhook):
    platform = "generic"
    channel = "chat"

    def parse(self, secrets: ChannelSecrets, body: bytes) -> WebhookBatch:
        payload = as_mapping(load_json(body), "the body")
        account = payload.get("account")
        if secrets.account_id and text_of(account, "account") != secrets.account_id:
            raise UnknownAccountError(secrets.inbox_id, self.platform)
        items = as_list(payload.get("messages"), "messages")
        if not items or len(items) > MAX_MESSAGES:
            raise InvalidInputError(f"send 1 to {MAX_MESSAGES} messages per delivery")
        threads: dict[str, list[tuple[ImportedMessage, tuple[str, str] | None]]] = {}
        for index, item in enumerate(items):
            where = f"messages[{index}]"
            item = as_mapping(item, where)
            thread = text_of(item.get("thread"), f"{where}.thread")
            threads.setdefault(thread, []).append(self._message(item, where))
        dialogs = tuple(
            self._dialog(thread, entries) for thread, entries in threads.items()
        )
        return WebhookBatch(dialogs, 0)

    def _message(
        self, item: Mapping[str, Any], where: str
    ) -> tuple[ImportedMessage, tuple[str, str] | None]:
        direction = item.get("direction", "inbound")
        if direction not in ("inbound", "outbound"):
            raise InvalidInputError(f"{where}.direction is inbound or outbound")
        inbound = direction == "inbound"
        author = as_mapping(item.get("author", {}), f"{where}.author")
        email = text_of(author.get("email"), f"{where}.author.email", required=False)
        handle = text_of(author.get("handle"), f"{where}.author.handle", required=False)
        name = text_of(author.get("name"), f"{where}.author.name", required=False)
        identity = ("email", email) if email else ("chat", handle) if handle else None
        text = text_of(item.get("text"), f"{where}.text")
        subject = text_of(item.get("subject"), f"{where}.subject", required=False)
        message = ImportedMessage(
            external_id=text_of(item.get("id"), f"{where}.id"),
            direction=direction,
            author=name or email or handle or "unknown author",
            author_address=(email or handle or None) if inbound else None,
            body=text,
            sent_at=from_iso(item.get("sent_at")),
            subject=subject or None,
        )
        return message, identity if inbound else None

    def _dialog(
        self,
        thread: str,
        entries: list[tuple[ImportedMessage, tuple[str, str] | None]],
    ) -> ImportedDialog:
        customer = next((identity for _, identity in entries if identity), None)
        opener = next((m for m, _ in entries if m.direction == "inbound"), None)
        return ImportedDialog(
            thread_key=f"generic/{thread}",
            channel="",  # the inbox's own channel
            subject=ImportedSubject(
                identities=(customer,) if customer else (),
                name=opener.author if opener and customer else None,
            ),
            messages=tuple(message for message, _ in entries),
        )
