"""A fake ServiceNow instance on 127.0.0.1, checking requests the way the real
Table, Attachment and OAuth APIs do, and able to fail on demand."""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_SYS_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class Failure:
    status: int  # 401, 429, 500 … or 0 to hang
    retry_after: str | None = None


@dataclass
class FakeServiceNowState:
    username: str = "gdprkit.integration"
    password: str = "s3cret-Pa55word!"
    client_id: str = "gdprkit-client"
    client_secret: str = "client-secret-0123456789"
    tables: set[str] = field(default_factory=lambda: {"sn_privacy_request"})
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    hang_seconds: float = 5.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(
        self, status: int, times: int = 1, retry_after: str | None = None
    ) -> None:
        self.failures.extend(Failure(status, retry_after) for _ in range(times))

    def hang_next(self, times: int = 1) -> None:
        self.failures.extend(Failure(0) for _ in range(times))


class _Handler(BaseHTTPRequestHandler):
    state: FakeServiceNowState

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        status, payload = self._route(method, parts.path, query, body)
        with self.state.lock:
            self.state.requests.append((method, parts.path, status))
        if status == -1:
            return
        self._send(status, payload)

    def _route(
        self, method: str, path: str, query: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        state = self.state
        with state.lock:
            failure = state.failures.pop(0) if state.failures else None
        if failure is not None:
            if failure.status == 0:
                time.sleep(state.hang_seconds)
                return 504, {"error": {"message": "hung"}}
            if failure.retry_after is not None:
                self._extra = {"Retry-After": failure.retry_after}
            return failure.status, {"error": {"message": "injected failure"}}
        if path == "/oauth_token.do" and method == "POST":
            return self._token(body)
        if not self._authorised():
            return 401, {"error": {"message": "User Not Authenticated"}}
        if self.headers.get("Accept") != "application/json":
            return 406, {"error": {"message": "Accept must be application/json"}}
        table_match = re.fullmatch(r"/api/now/table/([a-z0-9_]+)(?:/([^/]+))?", path)
        if table_match:
            return self._table(method, table_match[1], table_match[2], query, body)
        if path == "/api/now/attachment/file" and method == "POST":
            return self._attachment(query, body)
        return 400, {"error": {"message": f"no such API {method} {path}"}}

    def _token(self, body: bytes) -> tuple[int, Any]:
        if not self.headers.get("Content-Type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return 400, {"error": "invalid_request"}
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        state = self.state
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != state.client_id
            or form.get("client_secret") != state.client_secret
        ):
            return 401, {"error": "access_denied"}
        token = secrets.token_hex(16)
        state.tokens.add(token)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 1799}

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme == "Bearer":
            return value in self.state.tokens
        if scheme == "Basic":
            try:
                user, _, password = base64.b64decode(value).decode().partition(":")
            except ValueError:
                return False
            return (user, password) == (self.state.username, self.state.password)
        return False

    def _table(
        self,
        method: str,
        table: str,
        sys_id: str | None,
        query: dict[str, str],
        body: bytes,
    ) -> tuple[int, Any]:
        state = self.state
        if table not in state.tables:
            return 400, {"error": {"message": "Invalid table " + table}}
        rows = state.records.setdefault(table, {})
        if method == "GET" and sys_id is None:
            wanted = query.get("sysparm_query", "")
            field_name, _, value = wanted.partition("=")
            found = [r for r in rows.values() if r.get(field_name) == value]
            limit = int(query.get("sysparm_limit", "10000"))
            return 200, {"result": [{"sys_id": r["sys_id"]} for r in found[:limit]]}
        if method in ("POST", "PATCH", "PUT"):
            if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
                return 415, {"error": {"message": "Content-Type must be JSON"}}
            try:
                values = json.loads(body)
            except ValueError:
                return 400, {"error": {"message": "Exception while reading body"}}
            if not isinstance(values, dict) or not all(
                isinstance(v, str) for v in values.values()
            ):
                return 400, {"error": {"message": "fields must be strings"}}
        if method == "POST" and sys_id is None:
            new_id = secrets.token_hex(16)
            rows[new_id] = {**values, "sys_id": new_id}
            return 201, {"result": rows[new_id]}
        if method in ("PATCH", "PUT") and sys_id is not None:
            if sys_id not in rows:
                return 404, {"error": {"message": "No Record found"}}
            rows[sys_id].update(values)
            return 200, {"result": rows[sys_id]}
        return 405, {"error": {"message": "Method not allowed"}}

    def _attachment(self, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        state = self.state
        table = query.get("table_name", "")
        sys_id = query.get("table_sys_id", "")
        file_name = query.get("file_name", "")
        content_type = self.headers.get("Content-Type", "")
        if table not in state.tables or not _SYS_ID.match(sys_id):
            return 400, {"error": {"message": "Invalid table or sys_id"}}
        if sys_id not in state.records.get(table, {}):
            return 400, {"error": {"message": "Record not found"}}
        if (
            not file_name
            or not content_type
            or content_type.startswith("application/json")
        ):
            return 400, {"error": {"message": "file_name and Content-Type needed"}}
        attachment_id = secrets.token_hex(16)
        state.attachments.append(
            {
                "sys_id": attachment_id,
                "table_name": table,
                "table_sys_id": sys_id,
                "file_name": file_name,
                "content_type": content_type,
                "content": body,
            }
        )
        return 201, {"result": {"sys_id": attachment_id, "file_name": file_name}}

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in getattr(self, "_extra", {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the hang case)


@contextmanager
def fake_servicenow() -> Iterator[tuple[str, FakeServiceNowState]]:
    state = FakeServiceNowState()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
