"""Routes of access governance (issue 7): login and sessions, passwords, the
second factor, roles with their legal basis, the workspace's access policy, the
security events administrators watch and the legal-basis ledger auditors read."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from application import workspaces as ws
from application.errors import UnauthenticatedError
from domain.model import Role
from infrastructure.bootstrap import Container
from infrastructure.governance import AccessGovernance
from interface.api.deps import (
    User,
    confirmation,
    get_container,
    in_workspace,
)
from interface.api.governance import SESSION_COOKIE, governance_of, request_client
from interface.api.schemas import LegalBasisIn, RoleName, Strict

router = APIRouter(tags=["access governance"])


def _governance(
    container: Annotated[Container, Depends(get_container)],
) -> AccessGovernance:
    return governance_of(container)


Gov = Annotated[AccessGovernance, Depends(_governance)]


class LoginIn(Strict):
    workspace_id: UUID
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    code: str | None = Field(default=None, max_length=32)


class SessionOut(BaseModel):
    session_id: UUID
    session_token: str
    expires_at: dt.datetime
    second_factor: bool


class MeOut(BaseModel):
    user_id: UUID
    workspace_id: UUID
    role: str
    session_id: UUID | None
    second_factor: bool
    country: str | None


class PasswordIn(Strict):
    new_password: str = Field(min_length=1, max_length=1024)
    current_password: str | None = Field(default=None, max_length=1024)


class FirstPasswordIn(Strict):
    new_password: str = Field(min_length=1, max_length=1024)


class EnrolmentOut(BaseModel):
    secret: str
    provisioning_uri: str


class CodeIn(Strict):
    code: str = Field(min_length=1, max_length=32)


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str]


class RevokedOut(BaseModel):
    revoked: int


class RoleIn(Strict):
    role: RoleName
    legal_basis: LegalBasisIn | None = None


class PolicyIn(Strict):
    require_second_factor: bool | None = None
    firewall_enabled: bool | None = None
    allowed_countries: list[Annotated[str, Field(pattern="^[A-Za-z]{2}$")]] | None = (
        Field(default=None, max_length=250)
    )
    unknown_country: Literal["refuse", "allow"] | None = None
    private_addresses: Literal["allow", "refuse"] | None = None
    test_expiry_days: int | None = Field(default=None, ge=1, le=3650)


class PolicyOut(BaseModel):
    require_second_factor: bool
    firewall_enabled: bool
    allowed_countries: list[str]
    unknown_country: str
    private_addresses: str
    test_expiry_days: int


class SecurityEventOut(BaseModel):
    entry_id: int
    kind: str
    user_id: UUID | None
    country: str | None
    detail: str
    occurred_at: dt.datetime


class LedgerEntryOut(BaseModel):
    entry_id: int
    grantor_id: UUID | None
    grantee_id: UUID
    scope: str
    case_id: UUID | None
    role: str | None
    purpose: str
    confirmed_at: dt.datetime


@router.post("/v1/auth/login", response_model=SessionOut)
def login(body: LoginIn, request: Request, response: Response, gov: Gov) -> SessionOut:
    """Logs in with e-mail address, password and, once enrolled, a TOTP or
    recovery code. Answers a short-lived session token (also set as a Secure,
    HttpOnly, SameSite=Strict cookie). 401 for wrong credentials, 429 while
    locked out after repeated failures, 403 for an expired test workspace or an
    address outside the EU/EEA when the workspace's firewall is on."""
    container: Container = request.app.state.container
    issued = gov.accounts.login(
        body.workspace_id,
        body.email,
        body.password,
        body.code,
        request_client(request),
        request.url.path,
    )
    lifetime = int((issued.expires_at - gov.guard.ctx.clock.now()).total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=max(lifetime, 0),
        httponly=True,
        secure=container.settings.https_only,
        samesite="strict",
    )
    return SessionOut(
        session_id=issued.session_id,
        session_token=issued.token,
        expires_at=issued.expires_at,
        second_factor=issued.second_factor,
    )


@router.post("/v1/auth/logout", status_code=204)
def logout(user: User, request: Request, response: Response, gov: Gov) -> None:
    """Ends the current session (a session token is needed, not an API token)."""
    session_id = request.state.admission.session_id
    if session_id is None:
        raise UnauthenticatedError("logout ends a session; this is an API token")
    gov.accounts.revoke_session(user, session_id)
    response.delete_cookie(SESSION_COOKIE)


@router.get("/v1/me", response_model=MeOut)
def me(user: User, request: Request) -> MeOut:
    """Who the credential belongs to, and what the request was admitted with."""
    admission = request.state.admission
    return MeOut(
        user_id=user.user_id,
        workspace_id=user.workspace_id,
        role=user.role,
        session_id=admission.session_id,
        second_factor=admission.second_factor,
        country=admission.client.country,
    )


@router.put("/v1/me/password", status_code=204)
def change_password(body: PasswordIn, user: User, gov: Gov) -> None:
    """Sets one's own password (the current one is needed once there is one).
    422 when it breaks the policy: 8+ characters, upper and lower case, a digit,
    a symbol, and not on the bundled list of common and breached passwords."""
    gov.accounts.set_password(
        user, user.user_id, body.new_password, body.current_password
    )


@router.put("/v1/workspaces/{workspace_id}/users/{user_id}/password", status_code=204)
def set_first_password(
    workspace_id: UUID, user_id: UUID, body: FirstPasswordIn, user: User, gov: Gov
) -> None:
    """Sets a user's first password (administrators); later changes are the
    user's own."""
    in_workspace(user, workspace_id, Role.ADMINISTRATOR)
    gov.accounts.set_password(user, user_id, body.new_password)


@router.post("/v1/me/second-factor", response_model=EnrolmentOut)
def start_second_factor(user: User, gov: Gov) -> EnrolmentOut:
    """Starts TOTP enrolment: add the secret to an authenticator app, then
    confirm with a code. Reachable without a second factor."""
    enrolment = gov.accounts.start_enrolment(user)
    return EnrolmentOut(
        secret=enrolment.secret, provisioning_uri=enrolment.provisioning_uri
    )


@router.post("/v1/me/second-factor/confirm", response_model=RecoveryCodesOut)
def confirm_second_factor(body: CodeIn, user: User, gov: Gov) -> RecoveryCodesOut:
    """Turns the second factor on; answers ten single-use recovery codes, shown
    only this once. Log in again to get a session with the second factor."""
    return RecoveryCodesOut(
        recovery_codes=gov.accounts.confirm_enrolment(user, body.code)
    )


@router.post("/v1/me/second-factor/disable", status_code=204)
def disable_second_factor(body: CodeIn, user: User, gov: Gov) -> None:
    """Turns the second factor off with a current code (409 where the workspace
    requires it)."""
    gov.accounts.disable_second_factor(user, body.code)


@router.delete(
    "/v1/workspaces/{workspace_id}/users/{user_id}/sessions",
    response_model=RevokedOut,
)
def revoke_sessions(
    workspace_id: UUID, user_id: UUID, user: User, gov: Gov
) -> RevokedOut:
    """Ends every live session of a user (administrators, or the user)."""
    in_workspace(user, workspace_id, *Role)
    return RevokedOut(revoked=gov.accounts.revoke_all_sessions(user, user_id))


@router.put("/v1/workspaces/{workspace_id}/users/{user_id}/role", status_code=204)
def grant_role(
    workspace_id: UUID, user_id: UUID, body: RoleIn, user: User, gov: Gov
) -> None:
    """Grants a role (administrators). `legal_basis` is required (422 without)."""
    in_workspace(user, workspace_id, Role.ADMINISTRATOR)
    ws.grant_role(
        gov.guard.ctx, user, user_id, body.role, confirmation(body.legal_basis)
    )


@router.get("/v1/workspaces/{workspace_id}/access-policy", response_model=PolicyOut)
def get_policy(workspace_id: UUID, user: User, gov: Gov) -> PolicyOut:
    """The workspace's access policy (administrators and auditors)."""
    in_workspace(user, workspace_id, Role.ADMINISTRATOR, Role.AUDITOR)
    return PolicyOut(**gov.guard.policy(workspace_id).as_settings())


@router.patch("/v1/workspaces/{workspace_id}/access-policy", response_model=PolicyOut)
def change_policy(
    workspace_id: UUID, body: PolicyIn, user: User, gov: Gov
) -> PolicyOut:
    """Changes the access policy (administrators): mandatory second factor,
    EU/EEA firewall with its allow-list and its rules for unknown countries and
    private addresses, and the expiry of test workspaces."""
    in_workspace(user, workspace_id, Role.ADMINISTRATOR)
    changes = body.model_dump(exclude_none=True)
    policy = gov.guard.change_policy(user, workspace_id, changes)
    return PolicyOut(**policy.as_settings())


@router.get(
    "/v1/workspaces/{workspace_id}/security-events",
    response_model=list[SecurityEventOut],
)
def list_security_events(
    workspace_id: UUID,
    user: User,
    gov: Gov,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[SecurityEventOut]:
    """Logins, failures, lockouts, second-factor changes, refused requests and
    concurrent sessions from different countries (kind
    `sessions.concurrent_countries`), for administrators and auditors."""
    in_workspace(user, workspace_id, Role.ADMINISTRATOR, Role.AUDITOR)
    gov.guard.ctx.views.catch_up()
    return [
        SecurityEventOut(
            entry_id=e.entry_id,
            kind=e.kind,
            user_id=e.user_id,
            country=e.country,
            detail=e.detail,
            occurred_at=e.occurred_at,
        )
        for e in gov.views.security_events(workspace_id, kind, limit)
    ]


@router.get(
    "/v1/workspaces/{workspace_id}/legal-basis", response_model=list[LedgerEntryOut]
)
def list_legal_basis(
    workspace_id: UUID,
    user: User,
    gov: Gov,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[LedgerEntryOut]:
    """The legal-basis ledger: who granted whom access, to what, when and why
    (auditors and administrators)."""
    in_workspace(user, workspace_id, Role.AUDITOR, Role.ADMINISTRATOR)
    gov.guard.ctx.views.catch_up()
    return [
        LedgerEntryOut(
            entry_id=e.entry_id,
            grantor_id=e.grantor_id,
            grantee_id=e.grantee_id,
            scope=e.scope,
            case_id=e.case_id,
            role=e.role,
            purpose=e.purpose,
            confirmed_at=e.confirmed_at,
        )
        for e in gov.views.ledger(workspace_id, limit)
    ]
