"""Signature checks shared by the webhook adapters. Every comparison is
constant-time, and every refusal names the reason, never the secret."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import orjson

from application.errors import InvalidInputError
from application.integration_ports import (
    ChannelSecrets,
    ChannelWebhook,
    Delivery,
    WebhookRejectedError,
)

TIMESTAMP_HEADER = "x-gdprkit-timestamp"
SIGNATURE_HEADER = "x-gdprkit-signature"


def hmac_sha256(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def check_hex_signature(
    secrets: ChannelSecrets, header: str | None, message: bytes
) -> None:
    """`sha256=<hex>` over `message`, as Meta and the generic scheme send it."""
    given = _signature_value(secrets, header)
    try:
        given_bytes = bytes.fromhex(given)
    except ValueError:
        raise WebhookRejectedError(secrets.inbox_id, "malformed signature") from None
    if not hmac.compare_digest(given_bytes, hmac_sha256(secrets.app_secret, message)):
        raise WebhookRejectedError(secrets.inbox_id, "signature does not match")


def check_base64_signature(
    secrets: ChannelSecrets, header: str | None, message: bytes
) -> None:
    """`sha256=<base64>` over `message`, as X sends it."""
    given = _signature_value(secrets, header)
    try:
        given_bytes = base64.b64decode(given, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookRejectedError(secrets.inbox_id, "malformed signature") from None
    if not hmac.compare_digest(given_bytes, hmac_sha256(secrets.app_secret, message)):
        raise WebhookRejectedError(secrets.inbox_id, "signature does not match")


def _signature_value(secrets: ChannelSecrets, header: str | None) -> str:
    if not header:
        raise WebhookRejectedError(secrets.inbox_id, "the delivery is not signed")
    scheme, _, value = header.strip().partition("=")
    if scheme.lower() != "sha256" or not value:
        raise WebhookRejectedError(secrets.inbox_id, "signature scheme must be sha256")
    return value


def check_timestamped(
    secrets: ChannelSecrets,
    delivery: Delivery,
    now: dt.datetime,
    freshness_seconds: int,
) -> str:
    """The generic scheme: HMAC over "<unix seconds>." + body, refused outside the
    freshness window either way (a clock ahead is as suspect as one behind).
    Returns the signature as the replay key."""
    stamp = delivery.headers.get(TIMESTAMP_HEADER, "").strip()
    if not stamp:
        raise WebhookRejectedError(secrets.inbox_id, "the delivery is not timestamped")
    if not stamp.isdigit() or len(stamp) > 12:
        raise WebhookRejectedError(secrets.inbox_id, "malformed timestamp")
    age = abs(now.timestamp() - int(stamp))
    if age > freshness_seconds:
        raise WebhookRejectedError(
            secrets.inbox_id,
            f"stale delivery: signed {int(age)} s away from now, "
            f"limit {freshness_seconds} s",
        )
    header = delivery.headers.get(SIGNATURE_HEADER)
    check_hex_signature(secrets, header, stamp.encode() + b"." + delivery.body)
    return hashlib.sha256((header or "").strip().lower().encode()).hexdigest()


def sign_timestamped(secret: str, body: bytes, at: dt.datetime) -> dict[str, str]:
    """The headers a sender of the generic scheme adds (used by our own poller
    and by tests)."""
    stamp = str(int(at.timestamp()))
    digest = hmac_sha256(secret, stamp.encode() + b"." + body).hex()
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: f"sha256={digest}"}


def load_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidInputError("the webhook body is not JSON") from None


def as_mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInputError(f"{where} must be a JSON object")
    return value


def as_list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInputError(f"{where} must be a JSON array")
    return value


def text_of(value: Any, where: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if isinstance(value, int | str) and not isinstance(value, bool):
        return str(value)
    raise InvalidInputError(f"{where} must be a string")


def from_millis(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000, dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def from_iso(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class TimestampedWebhook(ChannelWebhook):
    """Senders that sign a timestamp together with the body (the generic JSON
    webhook and the YouTube and mail relays): stale or unsigned deliveries are
    refused the same way for all of them."""

    def __init__(self, freshness_seconds: int) -> None:
        self.freshness_seconds = freshness_seconds

    def verify(
        self, secrets: ChannelSecrets, delivery: Delivery, now: dt.datetime
    ) -> str | None:
        return check_timestamped(secrets, delivery, now, self.freshness_seconds)
