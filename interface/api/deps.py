"""What every route needs: the caller, their workspace and role, the application
context and the size limit on bodies. Route modules import from here."""

from __future__ import annotations

import contextlib
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from application import cases
from application import workspaces as ws
from application.context import Context
from application.errors import NotFoundError, UnauthenticatedError
from application.governance import Admission
from application.legal_basis import AccessConfirmation
from application.ports import UserRecord
from domain.model import Role
from infrastructure.bootstrap import Container
from interface.api import problems
from interface.api.governance import SESSION_COOKIE, admit_request
from interface.api.schemas import LegalBasisIn

STAFF = (Role.ADMINISTRATOR, Role.AGENT)
# Offsets and positions beyond a 64-bit integer cannot reach the database: they
# are refused as invalid input rather than failing there.
MAX_POSITION = 2**63 - 1

bearer = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


class BodySizeLimit:
    """Refuses bodies over the limit with 413 before the route reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if (
            declared is not None
            and declared.isdigit()
            and int(declared) > self.max_bytes
        ):
            await self._too_large(scope, send)
            return
        received = 0
        exceeded = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                exceeded = True
                raise _TooLargeError
            return message

        async def guarded_send(message: Message) -> None:
            # FastAPI turns any error while reading the body into its own 400;
            # once the limit is crossed that answer is dropped for the 413 below.
            if not exceeded:
                await send(message)

        with contextlib.suppress(_TooLargeError):
            await self.app(scope, counting_receive, guarded_send)
        if exceeded:
            await self._too_large(scope, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        response = problems.problem(
            413,
            "Payload too large",
            f"the request body is larger than {self.max_bytes} bytes",
            scope.get("path", ""),
        )
        await response(scope, _empty_receive, send)


class _TooLargeError(Exception):
    pass


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b""}


def current_user(request: Request, credentials: Credentials) -> UserRecord:
    """The caller, admitted by access governance (issue 7): API token or session
    (bearer or cookie), test-workspace expiry, EU/EEA firewall, second factor."""
    token = (
        credentials.credentials
        if credentials is not None
        else request.cookies.get(SESSION_COOKIE)
    )
    if not token:
        raise UnauthenticatedError("send a bearer token: Authorization: Bearer …")
    return admit_request(request, token).user


# Module level, not inside create_app: with postponed annotations FastAPI resolves
# `user: User` in the module's globals, and a local alias would silently turn
# into a required query parameter named `user`.
User = Annotated[UserRecord, Depends(current_user)]


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_context(request: Request) -> Context:
    return get_container(request).context


Ctx = Annotated[Context, Depends(get_context)]


def in_workspace(user: UserRecord, workspace_id: UUID, *roles: Role) -> None:
    """Another workspace looks exactly like a missing one, so ids do not leak;
    then the role is checked."""
    if user.workspace_id != workspace_id:
        raise NotFoundError("workspace", workspace_id)
    ws.require_role(user, *roles)


def read_context(user: UserRecord, request: Request, purpose: str) -> cases.ReadContext:
    admission = getattr(request.state, "admission", None)
    if isinstance(admission, Admission):
        client = admission.client
        return cases.ReadContext(user, purpose, client.address, client.country)
    address = request.client.host if request.client else None
    return cases.ReadContext(user, purpose, address, None)


def confirmation(given: LegalBasisIn | None) -> AccessConfirmation | None:
    """The legal-basis confirmation of a request body, for the application."""
    return None if given is None else AccessConfirmation(given.purpose)
