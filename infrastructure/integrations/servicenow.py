"""ServiceNow REST client: Table API create-or-update, then Attachment API upload.

Authentication is basic or OAuth client credentials (`/oauth_token.do`). A 429
(honouring Retry-After), a 5xx, a timeout or a dropped connection is retried
with exponential backoff within one push; a 4xx other than 429 is not, since
waiting will not change a wrong password or table. Secrets and response bodies
are never logged.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import structlog

from application.integration_ports import (
    ArchiveUpload,
    PushError,
    PushReceipt,
    TicketingCredentials,
    TicketingTarget,
)

log = structlog.get_logger(__name__)

MAX_RETRY_AFTER_SECONDS = 120.0


class _Retryable(Exception):
    def __init__(self, reason: str, status_code: int | None, wait: float | None):
        self.reason = reason
        self.status_code = status_code
        self.wait = wait
        super().__init__(reason)


class ServiceNowClient(TicketingTarget):
    name = "servicenow"

    def __init__(
        self,
        *,
        timeout_seconds: float = 30.0,
        max_tries: int = 4,
        backoff_seconds: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._timeout = timeout_seconds
        self._max_tries = max_tries
        self._backoff = backoff_seconds
        self._sleep = sleep
        self._transport = transport

    def push(
        self, credentials: TicketingCredentials, upload: ArchiveUpload
    ) -> PushReceipt:
        tries = 0
        with httpx.Client(
            base_url=credentials.instance_url,
            timeout=self._timeout,
            transport=self._transport,
            headers={"Accept": "application/json"},
        ) as http:
            session = _Session(http, credentials)

            def attempt(step: Callable[[], Any]) -> Any:
                nonlocal tries
                while True:
                    tries += 1
                    try:
                        return step()
                    except _Retryable as error:
                        if tries >= self._max_tries:
                            raise PushError(
                                error.reason,
                                status_code=error.status_code,
                                tries=tries,
                                retryable=True,
                            ) from None
                        wait = error.wait
                        if wait is None:
                            wait = self._backoff * 2 ** (tries - 1)
                        self._sleep(min(wait, MAX_RETRY_AFTER_SECONDS))
                    except PushError as error:
                        error.tries = tries
                        raise

            record_id = attempt(lambda: session.upsert(upload))
            attachment_id = attempt(lambda: session.attach(record_id, upload))
        return PushReceipt(record_id, attachment_id, tries)


class _Session:
    def __init__(self, http: httpx.Client, credentials: TicketingCredentials) -> None:
        self._http = http
        self._credentials = credentials
        self._bearer: str | None = None

    def upsert(self, upload: ArchiveUpload) -> str:
        """Finds the record by correlation id so a retried push updates it."""
        table = quote(self._credentials.table, safe="")
        found = self._json(
            "GET",
            f"/api/now/table/{table}",
            params={
                "sysparm_query": f"correlation_id={upload.correlation_id}",
                "sysparm_fields": "sys_id",
                "sysparm_limit": "1",
            },
        )
        body = {**upload.fields, "correlation_id": upload.correlation_id}
        rows = found.get("result") or []
        if rows:
            sys_id = str(rows[0]["sys_id"])
            result = self._json(
                "PATCH", f"/api/now/table/{table}/{quote(sys_id, safe='')}", json=body
            )
        else:
            result = self._json("POST", f"/api/now/table/{table}", json=body)
        return _sys_id(result)

    def attach(self, record_id: str, upload: ArchiveUpload) -> str:
        result = self._json(
            "POST",
            "/api/now/attachment/file",
            params={
                "table_name": self._credentials.table,
                "table_sys_id": record_id,
                "file_name": upload.file_name,
            },
            content=upload.content,
            headers={"Content-Type": upload.content_type},
        )
        return _sys_id(result)

    def _json(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        headers = {**options.pop("headers", {}), **self._auth()}
        try:
            response = self._http.request(method, path, headers=headers, **options)
        except httpx.TimeoutException:
            raise _Retryable("ServiceNow did not answer in time", None, None) from None
        except httpx.TransportError as error:
            raise _Retryable(
                f"cannot reach ServiceNow: {type(error).__name__}", None, None
            ) from None
        if response.status_code == 401 and self._bearer is not None:
            self._bearer = None  # the token may have expired: fetch a new one once
            raise _Retryable("ServiceNow refused the access token", 401, 0.0)
        return _checked(response)

    def _auth(self) -> dict[str, str]:
        if self._credentials.auth_mode == "basic":
            pair = f"{self._credentials.username}:{self._credentials.secret}"
            encoded = base64.b64encode(pair.encode()).decode()
            return {"Authorization": f"Basic {encoded}"}
        if self._bearer is None:
            self._bearer = self._token()
        return {"Authorization": f"Bearer {self._bearer}"}

    def _token(self) -> str:
        try:
            response = self._http.post(
                "/oauth_token.do",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self._credentials.client_id,
                    "client_secret": self._credentials.secret,
                },
            )
        except httpx.TimeoutException:
            raise _Retryable("ServiceNow did not answer in time", None, None) from None
        except httpx.TransportError as error:
            raise _Retryable(
                f"cannot reach ServiceNow: {type(error).__name__}", None, None
            ) from None
        token = _checked(response).get("access_token")
        if not isinstance(token, str) or not token:
            raise PushError(
                "ServiceNow issued no access token",
                status_code=response.status_code,
                tries=0,
                retryable=False,
            )
        return token


def _checked(response: httpx.Response) -> dict[str, Any]:
    status = response.status_code
    if status == 429:
        raise _Retryable(
            "ServiceNow is rate limiting (429)", 429, _retry_after(response)
        )
    if status >= 500:
        raise _Retryable(f"ServiceNow failed with {status}", status, None)
    if status in (401, 403):
        raise PushError(
            f"ServiceNow refused the credentials ({status})",
            status_code=status,
            tries=0,
            retryable=False,
        )
    if status >= 400:
        raise PushError(
            f"ServiceNow refused the request ({status})",
            status_code=status,
            tries=0,
            retryable=False,
        )
    try:
        body = response.json()
    except ValueError:
        raise PushError(
            "ServiceNow answered something that is not JSON",
            status_code=status,
            tries=0,
            retryable=False,
        ) from None
    return body if isinstance(body, dict) else {}


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date or nothing: fall back to our own backoff


def _sys_id(result: dict[str, Any]) -> str:
    record = result.get("result")
    if isinstance(record, dict) and isinstance(record.get("sys_id"), str):
        return str(record["sys_id"])
    raise PushError(
        "ServiceNow answered without a sys_id",
        status_code=None,
        tries=0,
        retryable=False,
    )
