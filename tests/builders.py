"""Builders for test data: unique values every call, no shared fixtures data."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from uuid import UUID

from application import workspaces as ws
from application.context import Context
from application.legal_basis import AccessConfirmation
from application.ports import (
    ImportedAttachment,
    ImportedDialog,
    ImportedMessage,
    ImportedSubject,
    UserRecord,
)

_counter = itertools.count(1)

# The confirmation an administrator gives when granting access (issue 7.3).
NEEDED = AccessConfirmation("needs access to resolve the inbox's support cases")


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


@dataclass(frozen=True)
class World:
    workspace_id: UUID
    inbox_id: UUID
    admin: UserRecord
    agent: UserRecord
    auditor: UserRecord
    admin_token: str
    agent_token: str
    auditor_token: str


def world(ctx: Context, channel: str = "email") -> World:
    workspace_id = ws.create_workspace(ctx, unique("Workspace "))
    inbox_id = ws.create_inbox(ctx, workspace_id, unique("Inbox "), channel)
    issued = {
        role: ws.create_user(
            ctx,
            workspace_id,
            name=unique("User "),
            email=unique("user") + "@example.test",
            role=role,
            created_by=None,
            legal_basis=NEEDED,
        )
        for role in ("administrator", "agent", "auditor")
    }
    users = {role: _known_user(ctx, i.user_id) for role, i in issued.items()}
    return World(
        workspace_id,
        inbox_id,
        users["administrator"],
        users["agent"],
        users["auditor"],
        issued["administrator"].token,
        issued["agent"].token,
        issued["auditor"].token,
    )


def dialog(
    *,
    email: str | None = None,
    name: str = "Kari Nordmann",
    body: str = "Hello, my parcel has not arrived.",
    thread: str | None = None,
    external_id: str | None = None,
    attachments: tuple[ImportedAttachment, ...] = (),
    sent_at: dt.datetime | None = None,
    details: dict[str, str] | None = None,
) -> ImportedDialog:
    address = email or unique("customer") + "@example.test"
    return ImportedDialog(
        thread_key=thread or unique("thread-"),
        channel="email",
        subject=ImportedSubject(
            identities=(("email", address),), name=name, details=details or {}
        ),
        messages=(
            ImportedMessage(
                external_id=external_id or unique("msg-"),
                direction="inbound",
                author=name,
                author_address=address,
                body=body,
                sent_at=sent_at,
                subject="Parcel",
                attachments=attachments,
            ),
        ),
    )


def _known_user(ctx: Context, user_id: UUID) -> UserRecord:
    user = ctx.views.user(user_id)
    if user is None:
        raise LookupError(f"user {user_id} was just created but is not projected")
    return user
