"""The tamper-evident access log as the application sees it, and auditor queries.

Every access-log entry is also a leaf of a per-workspace Merkle tree whose head is
signed at intervals; verification checks the whole log against the signed heads,
and an extract proves a selection of entries complete to someone offline.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

from application.context import Context
from application.errors import InvalidInputError
from application.ports import AccessLogEntry, AccessLogFilter
from application.workspaces import require_workspace


@dataclass(frozen=True)
class LogBreak:
    """Where the log stops matching: a leaf index (None when not one leaf) and
    why, in words an auditor can act on."""

    index: int | None
    reason: str


@dataclass(frozen=True)
class LogVerification:
    workspace_id: UUID
    tree_size: int
    purged: int
    checkpoints: int
    signed_size: int  # leaves covered by the newest valid checkpoint
    breaks: tuple[LogBreak, ...]

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def first_break(self) -> LogBreak | None:
        return self.breaks[0] if self.breaks else None


@dataclass(frozen=True)
class SignedCheckpoint:
    workspace_id: UUID
    tree_size: int
    root_hash: str  # hex
    note: str  # the C2SP signed note, as published
    signed_at: dt.datetime


@dataclass(frozen=True)
class ExtractRequest:
    """Which entries an extract shows; every other leaf appears as a hash."""

    subject_id: UUID | None = None
    case_id: UUID | None = None
    actor_id: UUID | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def check(self) -> None:
        if not any((self.subject_id, self.case_id, self.actor_id)) and not (
            self.since or self.until
        ):
            raise InvalidInputError(
                "say what to extract: a subject, a case, an agent or a time range"
            )
        if self.since and self.until and self.since >= self.until:
            raise InvalidInputError("the time range ends before it starts")


@dataclass(frozen=True)
class AuditExtract:
    extract_id: UUID
    content: bytes  # the zip file
    sha256: str
    tree_size: int
    selected: int


class AuditLog(abc.ABC):
    """The Merkle log of one installation, one tree per workspace.

    Signing never produces two checkpoints of one size; `verify` never raises on
    a damaged log, it reports the breaks.
    """

    @abc.abstractmethod
    def sign_checkpoint(
        self, workspace_id: UUID, at: dt.datetime
    ) -> SignedCheckpoint: ...

    @abc.abstractmethod
    def sign_all(self, at: dt.datetime) -> list[SignedCheckpoint]: ...

    @abc.abstractmethod
    def latest_checkpoint(self, workspace_id: UUID) -> SignedCheckpoint | None: ...

    @abc.abstractmethod
    def verify(self, workspace_id: UUID, now: dt.datetime) -> LogVerification: ...

    @abc.abstractmethod
    def extract(
        self, workspace_id: UUID, request: ExtractRequest, at: dt.datetime
    ) -> AuditExtract: ...

    @abc.abstractmethod
    def public_key(self) -> str:
        """The verifier key as a C2SP vkey string: `name+keyid+base64key`."""

    @abc.abstractmethod
    def log_periods(self, workspace_id: UUID) -> list[str]:
        """Months ("2026-11") that still hold access-log entries."""


def verify_log(ctx: Context, log: AuditLog, workspace_id: UUID) -> LogVerification:
    """Checks the workspace's whole log against its signed checkpoints."""
    require_workspace(ctx, workspace_id)
    return log.verify(workspace_id, ctx.clock.now())


def sign_now(ctx: Context, log: AuditLog, workspace_id: UUID) -> SignedCheckpoint:
    require_workspace(ctx, workspace_id)
    ctx.views.catch_up()
    return log.sign_checkpoint(workspace_id, ctx.clock.now())


def extract(
    ctx: Context, log: AuditLog, workspace_id: UUID, request: ExtractRequest
) -> AuditExtract:
    """Builds a verifiable extract, signing a fresh checkpoint for it.

    Raises NotFoundError (workspace) or InvalidInputError (empty request).
    """
    request.check()
    require_workspace(ctx, workspace_id)
    ctx.views.catch_up()
    return log.extract(workspace_id, request, ctx.clock.now())


# Auditor queries

READ_ACTIONS = ("case.read",)
LEGAL_BASIS_PREFIXES = ("legal_basis.",)
PURGE_ACTIONS = ("retention.purged",)
PAGE = 5000


def entries(
    ctx: Context,
    workspace_id: UUID,
    *,
    subject_id: UUID | None = None,
    actor_id: UUID | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    actions: tuple[str, ...] = (),
    prefixes: tuple[str, ...] = (),
) -> Iterator[AccessLogEntry]:
    """Access-log entries matching every filter given, oldest first, paged."""
    require_workspace(ctx, workspace_id)
    after = 0
    while True:
        page = ctx.views.access_log(
            AccessLogFilter(
                workspace_id,
                subject_id=subject_id,
                actor_id=actor_id,
                since=since,
                until=until,
                after_entry=after,
                limit=PAGE,
            )
        )
        for entry in page:
            wanted = (not actions or entry.action in actions) and (
                not prefixes or entry.action.startswith(prefixes)
            )
            if wanted:
                yield entry
        if len(page) < PAGE:
            return
        after = page[-1].entry_id


def who_read_or_exported(
    ctx: Context, workspace_id: UUID, subject_id: UUID
) -> Iterator[AccessLogEntry]:
    """Every read and export of one data subject's data."""
    for entry in entries(ctx, workspace_id, subject_id=subject_id):
        if entry.action in READ_ACTIONS or "export" in entry.action:
            yield entry


def agent_activity(
    ctx: Context,
    workspace_id: UUID,
    actor_id: UUID,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> Iterator[AccessLogEntry]:
    """Everything one agent touched in a period."""
    return entries(ctx, workspace_id, actor_id=actor_id, since=since, until=until)


def legal_basis_confirmations(
    ctx: Context, workspace_id: UUID
) -> Iterator[AccessLogEntry]:
    return entries(ctx, workspace_id, prefixes=LEGAL_BASIS_PREFIXES)


def purges(ctx: Context, workspace_id: UUID) -> Iterator[AccessLogEntry]:
    return entries(ctx, workspace_id, actions=PURGE_ACTIONS)
