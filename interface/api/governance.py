"""Access governance at the HTTP edge: admitting each request (through
`deps.current_user`) and forcing HTTPS.

The policy itself lives in application/governance.py; this module only reads the
request (peer, forwarding headers, path) and writes responses.
"""

from __future__ import annotations

from typing import cast

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from application.governance import Admission, Client, Network, parse_address
from infrastructure.bootstrap import Container
from infrastructure.governance import AccessGovernance

SESSION_COOKIE = "gdprkit_session"

# Reachable with a session or token that lacks the second factor a workspace
# requires: enrolling it, seeing oneself and logging out.
SECOND_FACTOR_EXEMPT = ("/v1/me", "/v1/auth/logout")

# Load balancers probe these over plain HTTP inside their own network.
PLAIN_HTTP_PATHS = frozenset({"/healthz", "/readyz"})


def governance_of(container: Container) -> AccessGovernance:
    return cast(AccessGovernance, container.extras["governance"])


def request_client(request: Request) -> Client:
    container: Container = request.app.state.container
    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for")
    return governance_of(container).guard.resolve_client(peer, forwarded)


def admit_request(request: Request, token: str) -> Admission:
    """Admits the request or raises the application error that refuses it."""
    container: Container = request.app.state.container
    path = request.url.path
    exempt = path.startswith(SECOND_FACTOR_EXEMPT)
    admission = governance_of(container).guard.admit(
        token, request_client(request), path, second_factor_exempt=exempt
    )
    request.state.admission = admission
    return admission


class ForceHttps:
    """Redirects plain HTTP to HTTPS (308 keeps the method and body), sends HSTS,
    and makes every cookie Secure, HttpOnly and SameSite=Strict.

    Behind a TLS-terminating proxy the scheme comes from X-Forwarded-Proto, but
    only when the immediate peer is a trusted proxy.
    """

    def __init__(
        self,
        app: ASGIApp,
        enabled: bool,
        hsts_max_age: int,
        trusted_proxies: tuple[Network, ...],
    ) -> None:
        self.app = app
        self.enabled = enabled
        self.hsts = f"max-age={hsts_max_age}; includeSubDomains".encode()
        self.trusted = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        if self._scheme(scope, headers) != "https":
            if scope.get("path", "") in PLAIN_HTTP_PATHS:
                await self.app(scope, receive, send)
                return
            await self._redirect(scope, headers, send)
            return

        async def hardened_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *(
                        (
                            name,
                            _harden_cookie(value) if name == b"set-cookie" else value,
                        )
                        for name, value in message.get("headers", [])
                    ),
                    (b"strict-transport-security", self.hsts),
                ]
            await send(message)

        await self.app(scope, receive, hardened_send)

    def _scheme(self, scope: Scope, headers: dict[bytes, bytes]) -> str:
        scheme = str(scope.get("scheme", "http"))
        forwarded = headers.get(b"x-forwarded-proto")
        client = scope.get("client")
        peer = parse_address(client[0]) if client else None
        if forwarded and peer is not None and any(peer in n for n in self.trusted):
            return forwarded.decode("latin-1").split(",")[0].strip().lower()
        return scheme

    async def _redirect(
        self, scope: Scope, headers: dict[bytes, bytes], send: Send
    ) -> None:
        host = headers.get(b"host", b"").decode("latin-1")
        if not host or any(ch in host for ch in "/\\@ "):
            host = "localhost"
        query = scope.get("query_string", b"").decode("latin-1")
        location = f"https://{host}{scope.get('path', '/')}"
        if query:
            location += f"?{query}"
        await send(
            {
                "type": "http.response.start",
                "status": 308,
                "headers": [
                    (b"location", location.encode("latin-1")),
                    (b"content-length", b"0"),
                    (b"strict-transport-security", self.hsts),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})


def _harden_cookie(value: bytes) -> bytes:
    attributes = {part.strip().split(b"=")[0].lower() for part in value.split(b";")[1:]}
    if b"secure" not in attributes:
        value += b"; Secure"
    if b"httponly" not in attributes:
        value += b"; HttpOnly"
    if b"samesite" not in attributes:
        value += b"; SameSite=Strict"
    return value
