"""X (Twitter) Account Activity API webhooks.

The challenge-response check (CRC) answers `crc_token` with `response_token`:
"sha256=" + base64 HMAC-SHA256 of the token under the consumer secret; every
POST carries `x-twitter-webhooks-signature` in the same form over the raw body.
Direct-message events become messages; tweets, likes and follows are counted
as ignored.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping
from typing import Any

import orjson

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
    check_base64_signature,
    from_millis,
    hmac_sha256,
    load_json,
    text_of,
)

SIGNATURE_HEADER = "x-twitter-webhooks-signature"
_EVENT_LISTS = (
    "tweet_create_events",
    "favorite_events",
    "follow_events",
    "block_events",
    "mute_events",
    "direct_message_indicate_typing_events",
    "direct_message_mark_read_events",
    "tweet_delete_events",
)


def crc_response(consumer_secret: str, crc_token: str) -> str:
    digest = hmac_sha256(consumer_secret, crc_token.encode())
    return "sha256=" + base64.b64encode(digest).decode()


class XWebhook(ChannelWebhook):
    platform = "x"
    channel = "twitter"
    handshake_media_type = "application/json"

    def handshake(self, secrets: ChannelSecrets, query: Mapping[str, str]) -> str:
        token = query.get("crc_token", "")
        if not token or len(token) > 256:
            raise WebhookRejectedError(secrets.inbox_id, "missing crc_token")
        answer = {"response_token": crc_response(secrets.app_secret, token)}
        return orjson.dumps(answer).decode()

    def verify(
        self, secrets: ChannelSecrets, delivery: Delivery, now: dt.datetime
    ) -> str | None:
        header = delivery.headers.get(SIGNATURE_HEADER)
        check_base64_signature(secrets, header, delivery.body)
        return None

    def parse(self, secrets: ChannelSecrets, body: bytes) -> WebhookBatch:
        payload = as_mapping(load_json(body), "the body")
        account = text_of(payload.get("for_user_id"), "for_user_id")
        if account != secrets.account_id:
            raise UnknownAccountError(secrets.inbox_id, self.platform)
        users = payload.get("users")
        users = users if isinstance(users, dict) else {}
        ignored = sum(
            len(as_list(payload.get(name), name))
            for name in _EVENT_LISTS
            if name in payload
        )
        threads: dict[str, list[ImportedMessage]] = {}
        names: dict[str, str | None] = {}
        events = as_list(payload.get("direct_message_events"), "direct_message_events")
        for item in events:
            item = as_mapping(item, "a direct message event")
            if item.get("type") != "message_create":
                ignored += 1
                continue
            customer, message = self._message(account, item, users)
            threads.setdefault(customer, []).append(message)
            names[customer] = _user(users, customer).get("name")
        dialogs = tuple(
            ImportedDialog(
                thread_key=f"x/{account}/{customer}",
                channel=self.channel,
                subject=ImportedSubject(
                    identities=(("twitter", _handle(users, customer)),),
                    name=names.get(customer),
                ),
                messages=tuple(messages),
            )
            for customer, messages in threads.items()
        )
        return WebhookBatch(dialogs, ignored)

    def _message(
        self, account: str, item: Mapping[str, Any], users: Mapping[str, Any]
    ) -> tuple[str, ImportedMessage]:
        create = as_mapping(item.get("message_create"), "message_create")
        sender = text_of(create.get("sender_id"), "sender_id")
        target = as_mapping(create.get("target"), "message_create.target")
        recipient = text_of(target.get("recipient_id"), "recipient_id")
        data = as_mapping(create.get("message_data", {}), "message_data")
        outbound = sender == account
        customer = recipient if outbound else sender
        text = text_of(data.get("text"), "message_data.text", required=False)
        handle = _handle(users, customer)
        return customer, ImportedMessage(
            external_id=text_of(item.get("id"), "direct message id"),
            direction="outbound" if outbound else "inbound",
            author=_handle(users, sender),
            author_address=None if outbound else handle,
            body=text,
            sent_at=from_millis(item.get("created_timestamp")),
        )


def _user(users: Mapping[str, Any], user_id: str) -> Mapping[str, Any]:
    found = users.get(user_id)
    return found if isinstance(found, dict) else {}


def _handle(users: Mapping[str, Any], user_id: str) -> str:
    """The handle (without "@") a person can prove in the portal; the numeric
    id when the event does not name the user."""
    screen_name = _user(users, user_id).get("screen_name")
    return screen_name if isinstance(screen_name, str) else user_id
