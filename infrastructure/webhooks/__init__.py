"""Channel webhooks (issue 9.1): one adapter per platform protocol."""

from __future__ import annotations

from application.integration_ports import ChannelWebhook
from infrastructure.webhooks.email import EmailWebhook
from infrastructure.webhooks.generic import GenericWebhook
from infrastructure.webhooks.meta import InstagramWebhook, MessengerWebhook
from infrastructure.webhooks.x import XWebhook
from infrastructure.webhooks.youtube import YouTubeWebhook


def all_webhooks(freshness_seconds: int = 300) -> dict[str, ChannelWebhook]:
    adapters: list[ChannelWebhook] = [
        MessengerWebhook(),
        InstagramWebhook(),
        XWebhook(),
        YouTubeWebhook(freshness_seconds),
        GenericWebhook(freshness_seconds),
        EmailWebhook(freshness_seconds),
    ]
    return {adapter.platform: adapter for adapter in adapters}
