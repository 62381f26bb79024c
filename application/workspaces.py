"""Workspaces, inboxes and users: who owns the data and who may touch it."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from uuid import UUID, uuid4

from application.context import Context
from application.errors import ForbiddenError, NotFoundError, UnauthenticatedError
from application.legal_basis import OPERATOR_PURPOSE, AccessConfirmation, confirm
from application.ports import InboxRecord, UserRecord, WorkspaceRecord
from application.text import plain_text
from domain.accounts import LegalBasisScope
from domain.model import Channel, Inbox, Role, User, Workspace
from domain.personal_data import PersonalData

TOKEN_PREFIX = "gk_"  # noqa: S105 (a prefix, not a secret)


def hash_token(token: str) -> str:
    # Tokens are 256-bit random, so a fast unsalted hash is enough to keep the
    # table useless to a thief; password hashing is for low-entropy secrets.
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedUser:
    user_id: UUID
    token: str  # shown once, stored only as its hash


def create_workspace(ctx: Context, name: str, *, is_test: bool = False) -> UUID:
    workspace = Workspace(
        aggregate_id=uuid4(),
        name=plain_text(name),
        is_test=is_test,
        created_at=ctx.clock.now(),
    )
    ctx.save(workspace)
    return workspace.id


def create_inbox(ctx: Context, workspace_id: UUID, name: str, channel: str) -> UUID:
    require_workspace(ctx, workspace_id)
    inbox = Inbox(
        aggregate_id=uuid4(),
        workspace_id=workspace_id,
        name=plain_text(name),
        channel=Channel.parse(channel).value,
    )
    ctx.save(inbox)
    return inbox.id


def create_user(
    ctx: Context,
    workspace_id: UUID,
    *,
    name: str,
    email: str,
    role: str,
    created_by: UUID | None,
    legal_basis: AccessConfirmation | None = None,
) -> IssuedUser:
    """Creates a user with an API token, and records the legal basis of the
    access. A user acting (`created_by`) must confirm it (LegalBasisRequiredError,
    422); the platform operator's bootstrap records the operator's purpose."""
    require_workspace(ctx, workspace_id)
    user_id = uuid4()
    if created_by is None and legal_basis is None:
        legal_basis = AccessConfirmation(OPERATOR_PURPOSE)
    basis = confirm(
        ctx,
        legal_basis,
        workspace_id=workspace_id,
        grantor_id=created_by,
        grantee_id=user_id,
        scope=LegalBasisScope.ACCOUNT,
        what="creating a user",
        role=Role.parse(role).value,
    )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user = User(
        aggregate_id=user_id,
        workspace_id=workspace_id,
        name=PersonalData(user_id, "name", name),
        email=PersonalData(user_id, "email", email),
        role=Role.parse(role).value,
        token_hash=hash_token(token),
        created_by=created_by,
    )
    ctx.save(user, basis)
    return IssuedUser(user_id, token)


def grant_role(
    ctx: Context,
    actor: UserRecord,
    user_id: UUID,
    role: str,
    legal_basis: AccessConfirmation | None,
) -> None:
    """Gives a user of the actor's workspace another role, with its legal basis
    (LegalBasisRequiredError, 422, without one; NotFoundError for other
    workspaces)."""
    require_user(ctx, actor.workspace_id, user_id)
    new_role = Role.parse(role).value
    basis = confirm(
        ctx,
        legal_basis,
        workspace_id=actor.workspace_id,
        grantor_id=actor.user_id,
        grantee_id=user_id,
        scope=LegalBasisScope.ROLE,
        what=f"granting the role {new_role}",
        role=new_role,
    )
    user: User = ctx.store.get(user_id)
    user.grant_role(role=new_role, actor_id=actor.user_id)
    # A role granted twice needs no second ledger entry; the grant still counts.
    pending = [] if basis.id in ctx.store.repository else [basis]
    ctx.save(user, *pending)


def authenticate(ctx: Context, token: str) -> UserRecord:
    user = ctx.views.user_by_token_hash(hash_token(token))
    if user is None or not user.active:
        raise UnauthenticatedError("unknown or revoked token")
    return user


def require_role(user: UserRecord, *roles: Role) -> None:
    if user.role not in {role.value for role in roles}:
        allowed = ", ".join(role.value for role in roles)
        raise ForbiddenError(f"this needs the role {allowed}; you are {user.role}")


def require_workspace(ctx: Context, workspace_id: UUID) -> WorkspaceRecord:
    workspace = ctx.views.workspace(workspace_id)
    if workspace is None:
        raise NotFoundError("workspace", workspace_id)
    return workspace


def require_inbox(ctx: Context, workspace_id: UUID, inbox_id: UUID) -> InboxRecord:
    inbox = ctx.views.inbox(inbox_id)
    if inbox is None or inbox.workspace_id != workspace_id:
        raise NotFoundError("inbox", inbox_id)
    return inbox


def require_user(ctx: Context, workspace_id: UUID, user_id: UUID) -> UserRecord:
    user = ctx.views.user(user_id)
    if user is None or user.workspace_id != workspace_id:
        raise NotFoundError("user", user_id)
    return user
