"""Push notifications through the platform's push gateway: one JSON POST per
message to a configured URL (a gateway such as Gorush or ntfy maps users to their
devices)."""

from __future__ import annotations

from uuid import UUID

import httpx

from application.outbound_ports import PushSender
from application.ports import DeliveryError


class HttpPushGateway(PushSender):
    def __init__(self, url: str, token: str = "", timeout: float = 10.0) -> None:
        self._url = url
        self._token = token
        self._timeout = timeout

    def send(self, user_id: UUID, title: str, body: str, data: dict[str, str]) -> None:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            response = httpx.post(
                self._url,
                json={
                    "user_id": str(user_id),
                    "title": title,
                    "body": body,
                    "data": data,
                },
                headers=headers,
                timeout=self._timeout,
            )
        except httpx.HTTPError as error:
            raise DeliveryError("push", type(error).__name__) from None
        if response.status_code >= 300:
            raise DeliveryError("push", f"gateway answered {response.status_code}")


class UnconfiguredPushSender(PushSender):
    """Stands in until GDPRKIT_PUSH_URL is set: push stays queued, visibly."""

    def send(self, user_id: UUID, title: str, body: str, data: dict[str, str]) -> None:
        raise DeliveryError("push", "no push gateway is configured (GDPRKIT_PUSH_URL)")
