"""A loopback external data source answering in the documented shape, checking
the bearer token and the identifier digests, and able to fail or hang."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeSourceState:
    token: str
    records_by_digest: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    records_by_value: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    status: int = 200
    hang_seconds: float = 0.0
    raw_answer: bytes | None = None
    received: list[dict[str, Any]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    state: FakeSourceState

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        state = self.state
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        state.received.append(body)
        if state.hang_seconds:
            time.sleep(state.hang_seconds)
        if self.headers.get("Authorization") != f"Bearer {state.token}":
            self._send(401, b'{"error": "unauthorised"}')
            return
        if state.status != 200:
            self._send(state.status, b'{"error": "broken"}')
            return
        if state.raw_answer is not None:
            self._send(200, state.raw_answer)
            return
        records: list[dict[str, Any]] = []
        for identity in body["identities"]:
            if "digest" in identity:
                records += state.records_by_digest.get(identity["digest"], [])
            else:
                records += state.records_by_value.get(identity["value"], [])
        self._send(200, json.dumps({"records": records}).encode())

    def _send(self, status: int, data: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


@contextmanager
def fake_source(token: str) -> Iterator[tuple[str, FakeSourceState]]:
    state = FakeSourceState(token)
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/records", state
    finally:
        server.shutdown()
        server.server_close()
