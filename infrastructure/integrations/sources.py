"""HTTP client for external data sources (issue 9.3).

POSTs {"identities": [...]} with the source's secret as a bearer token and reads
{"records": [...]} back (the shape is in docs/integrations.md). Anything but a
well-formed answer within the timeout is a DeliveryError naming what went
wrong, never the answer's content.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from application.integration_ports import SourceClient, SourceEndpoint
from application.ports import DeliveryError, ExternalRecord

MAX_RECORDS = 10_000
MAX_RESPONSE_BYTES = 20 * 1024 * 1024


class HttpSourceClient(SourceClient):
    def __init__(self, transport: httpx.BaseTransport | None = None) -> None:
        self._transport = transport

    def fetch(
        self, endpoint: SourceEndpoint, identities: list[dict[str, str]]
    ) -> list[ExternalRecord]:
        try:
            with httpx.Client(
                timeout=endpoint.timeout_seconds, transport=self._transport
            ) as http:
                response = http.post(
                    endpoint.url,
                    json={"identities": identities},
                    headers={
                        "Authorization": f"Bearer {endpoint.secret}",
                        "Accept": "application/json",
                    },
                )
        except httpx.TimeoutException:
            raise DeliveryError(
                endpoint.name, f"no answer within {endpoint.timeout_seconds:g} s"
            ) from None
        except httpx.TransportError as error:
            raise DeliveryError(
                endpoint.name, f"unreachable ({type(error).__name__})"
            ) from None
        if response.status_code != 200:
            raise DeliveryError(endpoint.name, f"answered HTTP {response.status_code}")
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise DeliveryError(endpoint.name, "answer larger than 20 MiB")
        try:
            body = response.json()
        except ValueError:
            raise DeliveryError(endpoint.name, "answer is not JSON") from None
        return parse_records(endpoint.name, body)


def parse_records(source: str, body: Any) -> list[ExternalRecord]:
    """The documented shape, or a DeliveryError saying where it is broken."""
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise DeliveryError(source, 'answer lacks a "records" list')
    records = body["records"]
    if len(records) > MAX_RECORDS:
        raise DeliveryError(source, f"more than {MAX_RECORDS} records")
    return [_record(source, index, item) for index, item in enumerate(records)]


def _record(source: str, index: int, item: Any) -> ExternalRecord:
    where = f"records[{index}]"
    if not isinstance(item, dict):
        raise DeliveryError(source, f"{where} is not an object")
    category = item.get("category")
    label = item.get("label")
    if not isinstance(category, str) or not isinstance(label, str):
        raise DeliveryError(source, f"{where} needs category and label strings")
    fields = item.get("fields", [])
    if isinstance(fields, dict):
        pairs = list(fields.items())
    elif isinstance(fields, list) and all(
        isinstance(pair, list) and len(pair) == 2 for pair in fields
    ):
        pairs = [(pair[0], pair[1]) for pair in fields]
    else:
        raise DeliveryError(source, f"{where}.fields is an object or [name, value]s")
    return ExternalRecord(
        source=source,
        category=category,
        label=label,
        fields=tuple((str(name), _text(value)) for name, value in pairs),
        occurred_at=_time(item.get("occurred_at")),
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return str(value)


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
