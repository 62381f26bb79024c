"""Access requests (GDPR art. 15): the portal's steps, the agents' queue, the file.

The person starts a request, adds identities and proves each with a one-time
code; an agent claims, reviews and approves it; approval gathers everything the
proven identities lead to, writes one encrypted archive and hands the agent its
password once. Every step is an event on the request's own stream.
"""

from __future__ import annotations

import abc
import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from application.access_export import (
    ExportHeader,
    ExportIdentity,
    ExportTotals,
    ExportWriter,
    gather,
)
from application.context import Context
from application.errors import (
    ApplicationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from application.ports import (
    ChannelConnector,
    DeliveryError,
    EmailSender,
    ExternalSource,
    UserRecord,
)
from application.workspaces import require_user, require_workspace
from domain.access_requests import (
    MAX_CODES_PER_ADDRESS_PER_HOUR,
    PROVABLE_KINDS,
    AccessRequest,
    AccessRequestError,
    RateLimitedError,
    RequestState,
    add_months,
)
from domain.model import Role, Workspace, log_period_owner
from domain.personal_data import PersonalData

LANGUAGES = ("nb", "en")
LINK_DAYS_SETTING = "access_request_link_days"
_EMAIL = re.compile(r"^[^@\s<>\"]{1,64}@[^@\s<>\"]{1,253}\.[^@\s<>\".]{2,63}$")
_HANDLE = re.compile(r"^@?[\w.\-]{1,100}$")
# Unambiguous letters and digits: the agent reads the password out or types it.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679"  # noqa: S105
_T = TypeVar("_T")


class TooManyRequestsError(ApplicationError):
    status = 429
    title = "Too many requests"


class GoneError(ApplicationError):
    status = 410
    title = "Gone"


class CodeRejectedError(InvalidInputError):
    def __init__(self, request_id: UUID, reason: str) -> None:
        self.request_id = request_id
        self.reason = reason
        super().__init__(f"the code was not accepted: {reason}")


@dataclass(frozen=True)
class QueueItem:
    request_id: UUID
    workspace_id: UUID
    state: str
    language: str
    submitted_at: dt.datetime
    due_at: dt.datetime
    extended: bool
    assignee_id: UUID | None
    group_id: UUID
    identities_total: int
    identities_proven: int
    kinds: tuple[str, ...]
    overdue: bool = False


@dataclass(frozen=True)
class ExportLink:
    export_id: UUID
    request_id: UUID
    status: str
    expires_at: dt.datetime


class AccessRequestReadModel(abc.ABC):
    """The queue and the lookups the portal needs, projected from request events."""

    @abc.abstractmethod
    def request_by_token_hash(self, token_hash: str) -> UUID | None: ...

    @abc.abstractmethod
    def queue(
        self,
        workspace_id: UUID,
        *,
        state: str | None = None,
        assignee_id: UUID | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[QueueItem]: ...

    @abc.abstractmethod
    def queue_item(self, request_id: UUID) -> QueueItem | None: ...

    @abc.abstractmethod
    def codes_sent(self, workspace_id: UUID, digest: str, since: dt.datetime) -> int:
        """Codes sent to one address or handle, over every request."""

    @abc.abstractmethod
    def authored_cases(self, workspace_id: UUID, digests: set[str]) -> list[UUID]:
        """Cases holding an inbound message written from one of the identities."""

    @abc.abstractmethod
    def exports_due(self, now: dt.datetime) -> list[ExportLink]: ...

    @abc.abstractmethod
    def exports_of_subject(self, subject_id: UUID) -> list[ExportLink]: ...


class ExportStore(abc.ABC):
    """Keeps finished archives sealed under a per-export key."""

    @abc.abstractmethod
    def put(self, export_id: UUID, source_path: str) -> None:
        """Seals the file into the store and removes the clear source."""

    @abc.abstractmethod
    def open(self, export_id: UUID) -> Iterator[bytes]:
        """The archive's bytes in chunks; NotFoundError once deleted or shredded."""

    @abc.abstractmethod
    def delete(self, export_id: UUID) -> bool:
        """Deletes the file and destroys its key; False if it was gone already."""


@dataclass
class AccessRequestServices:
    requests: AccessRequestReadModel
    exports: ExportStore
    writer: ExportWriter
    email: EmailSender
    connectors: dict[str, ChannelConnector] = field(default_factory=dict)
    # Integrations (issue 9) append their sources here; none means none called.
    external_sources: list[ExternalSource] = field(default_factory=list)
    default_link_days: int = 7


@dataclass(frozen=True)
class StartedRequest:
    request_id: UUID
    token: str  # the person's key to the request, shown once, stored as a hash


@dataclass(frozen=True)
class Approval:
    export_id: UUID
    password: str  # shown once to the approving agent; stored nowhere
    expires_at: dt.datetime
    content_sha256: str
    size: int
    totals: ExportTotals


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generate_password() -> str:
    groups = (
        "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(5)) for _ in range(5)
    )
    return "-".join(groups)  # 25 symbols of 49: about 140 bits


# The person's side


def start_request(ctx: Context, workspace_id: UUID, language: str) -> StartedRequest:
    """Opens a request in the workspace; NotFoundError for an unknown one."""
    require_workspace(ctx, workspace_id)
    now = ctx.clock.now()
    token = secrets.token_urlsafe(32)
    request = AccessRequest(
        aggregate_id=uuid4(),
        workspace_id=workspace_id,
        language=language if language in LANGUAGES else LANGUAGES[0],
        access_token_hash=hash_token(token),
        submitted_at=now,
        due_at=add_months(now, 1),
    )
    ctx.save(request)
    return StartedRequest(request.id, token)


def request_for_token(
    ctx: Context, svc: AccessRequestServices, workspace_id: UUID, token: str
) -> AccessRequest:
    request_id = svc.requests.request_by_token_hash(hash_token(token))
    if request_id is None:
        raise NotFoundError("access request", "for this link")
    request: AccessRequest = ctx.store.get(request_id)
    if request.workspace_id != workspace_id:
        raise NotFoundError("access request", "for this link")
    return request


def add_identity(
    ctx: Context,
    svc: AccessRequestServices,
    request: AccessRequest,
    kind: str,
    value: str,
    *,
    status_url: str,
) -> UUID:
    """Adds an e-mail address or social account and sends it a code."""
    value = value.strip()
    if kind not in PROVABLE_KINDS:
        raise InvalidInputError(f"{kind!r} is not a channel we can send a code to")
    pattern = _EMAIL if kind == "email" else _HANDLE
    if not pattern.match(value) or "\x00" in value:
        raise InvalidInputError(f"that does not look like a {kind} identity")
    identity_id = uuid4()
    digest = ctx.hasher.digest(kind, value)
    stored = ctx.hasher.normalise(kind, value)
    _domain(
        lambda: request.add_identity(
            identity_id,
            kind,
            PersonalData(request.id, "identity", stored),
            PersonalData(request.id, "identity_digest", digest),
        )
    )
    ctx.save(request)
    send_code(ctx, svc, request, identity_id, status_url=status_url)
    return identity_id


def send_code(
    ctx: Context,
    svc: AccessRequestServices,
    request: AccessRequest,
    identity_id: UUID,
    *,
    status_url: str,
) -> None:
    """Sends a fresh one-time code; the previous one stops working.

    Raises TooManyRequestsError past the limits per request and per address, and
    ConflictError when the channel cannot deliver (nothing is recorded then).
    """
    identity = _domain(lambda: request.identity(identity_id))
    now = ctx.clock.now()
    digest = identity["digest"].text()
    sent = svc.requests.codes_sent(
        request.workspace_id, digest, now - dt.timedelta(hours=1)
    )
    if sent >= MAX_CODES_PER_ADDRESS_PER_HOUR:
        raise TooManyRequestsError("too many codes sent to that address; wait an hour")
    code = f"{secrets.randbelow(10**8):08d}"
    _domain(
        lambda: request.send_code(
            identity_id,
            code_hash(ctx, request.id, identity_id, code),
            identity["kind"],
            now,
        )
    )
    _deliver(svc, request, identity["kind"], identity["value"].text(), code, status_url)
    ctx.save(request)


def code_hash(ctx: Context, request_id: UUID, identity_id: UUID, code: str) -> str:
    # Keyed: an eight-digit code hashed without a key is found by trying all.
    return ctx.hasher.digest("access-code", f"{request_id}/{identity_id}/{code}")


def _deliver(
    svc: AccessRequestServices,
    request: AccessRequest,
    kind: str,
    value: str,
    code: str,
    status_url: str,
) -> None:
    norwegian = request.language == "nb"
    text = (
        f"Koden din er {code}. Den gjelder i 15 minutter.\n"
        f"Følg forespørselen din her: {status_url}\n"
        "Ba du ikke om innsyn, kan du se bort fra denne meldingen."
        if norwegian
        else f"Your code is {code}. It is valid for 15 minutes.\n"
        f"Follow your request here: {status_url}\n"
        "If you did not ask for your data, ignore this message."
    )
    try:
        if kind == "email":
            subject = "Kode for innsyn" if norwegian else "Your access request code"
            svc.email.send(value, subject, text)
            return
        connector = svc.connectors.get(kind)
        if connector is None:
            raise ConflictError(f"codes cannot be sent on {kind} yet")
        connector.send_direct_message(value, text)
    except DeliveryError as error:
        raise ConflictError(
            f"the code could not be sent on {error.channel}; try again later"
        ) from error


def prove_identity(
    ctx: Context, request: AccessRequest, identity_id: UUID, code: str
) -> None:
    """Proves the identity, or records the failed attempt and raises
    CodeRejectedError (wrong, expired, used, or too many attempts)."""
    candidate = code_hash(ctx, request.id, identity_id, code.strip())
    failure = _domain(lambda: request.prove(identity_id, candidate, ctx.clock.now()))
    _save(ctx, request)
    if failure is not None:
        raise CodeRejectedError(request.id, failure)


def send_for_review(ctx: Context, request: AccessRequest) -> None:
    _domain(lambda: request.send_for_review(ctx.clock.now()))
    ctx.save(request)


# The agents' side


def queue(
    ctx: Context,
    svc: AccessRequestServices,
    workspace_id: UUID,
    *,
    state: str | None = None,
    assignee_id: UUID | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[QueueItem]:
    """The workspace's requests with their deadlines; overdue ones flagged."""
    if state is not None and state not in {s.value for s in RequestState}:
        raise InvalidInputError(f"unknown state {state!r}")
    now = ctx.clock.now()
    items = svc.requests.queue(
        workspace_id, state=state, assignee_id=assignee_id, limit=limit, offset=offset
    )
    return [_flag_overdue(item, now) for item in items]


def queue_item(
    ctx: Context, svc: AccessRequestServices, workspace_id: UUID, request_id: UUID
) -> QueueItem:
    item = svc.requests.queue_item(request_id)
    if item is None or item.workspace_id != workspace_id:
        raise NotFoundError("access request", request_id)
    return _flag_overdue(item, ctx.clock.now())


def _flag_overdue(item: QueueItem, now: dt.datetime) -> QueueItem:
    done = item.state in (RequestState.DELIVERED, RequestState.REJECTED)
    return QueueItem(**{**vars(item), "overdue": not done and now > item.due_at})


def load_request(ctx: Context, workspace_id: UUID, request_id: UUID) -> AccessRequest:
    try:
        request = ctx.store.get(request_id)
    except Exception:
        raise NotFoundError("access request", request_id) from None
    if not isinstance(request, AccessRequest) or request.workspace_id != workspace_id:
        raise NotFoundError("access request", request_id)
    return request


def claim(ctx: Context, actor: UserRecord, request_id: UUID) -> None:
    request = load_request(ctx, actor.workspace_id, request_id)
    _domain(lambda: request.claim(actor.user_id))
    _save(ctx, request)


def assign(
    ctx: Context, actor: UserRecord, request_id: UUID, assignee_id: UUID
) -> None:
    assignee = require_user(ctx, actor.workspace_id, assignee_id)
    if assignee.role not in (Role.AGENT, Role.ADMINISTRATOR) or not assignee.active:
        raise ConflictError("requests go to active agents or administrators only")
    request = load_request(ctx, actor.workspace_id, request_id)
    _domain(lambda: request.assign(assignee_id, actor.user_id))
    _save(ctx, request)


def extend_deadline(
    ctx: Context, actor: UserRecord, request_id: UUID, reason: str
) -> dt.datetime:
    request = load_request(ctx, actor.workspace_id, request_id)
    _domain(lambda: request.extend_deadline(reason, actor.user_id))
    _save(ctx, request)
    due: dt.datetime = request.due_at
    return due


def reject(ctx: Context, actor: UserRecord, request_id: UUID, reason: str) -> None:
    request = load_request(ctx, actor.workspace_id, request_id)
    sealed = PersonalData(request.id, "rejection_reason", reason.strip())
    _domain(lambda: request.reject(sealed, actor.user_id))
    _save(ctx, request)


def approve(
    ctx: Context, svc: AccessRequestServices, actor: UserRecord, request_id: UUID
) -> Approval:
    """Gathers the person's data, writes the encrypted file and records it.

    The password is returned here once and kept nowhere. Raises NotFoundError,
    ConflictError (wrong state); nothing is recorded as approved if the file
    cannot be made.
    """
    request = load_request(ctx, actor.workspace_id, request_id)
    now = ctx.clock.now()
    export_id = uuid4()
    _domain(lambda: request.approve(export_id, actor.user_id, now))
    proven = request.proven_identities
    identities = [(i["kind"], i["value"].text()) for i in proven]
    digests = {i["digest"].text() for i in proven}
    workspace: Workspace = ctx.store.get(request.workspace_id)
    header = ExportHeader(
        request_id=request.id,
        export_id=export_id,
        workspace_name=workspace.name,
        language=request.language,
        generated_at=now,
        submitted_at=request.submitted_at,
        identities=tuple(ExportIdentity(k, v, True) for k, v in identities),
    )
    content = gather(
        ctx,
        header,
        digests=digests,
        author_cases=svc.requests.authored_cases(request.workspace_id, digests),
        actor_id=actor.user_id,
        external_sources=svc.external_sources,
        external_identities=identities,
    )
    password = generate_password()
    written = svc.writer.write(content, password)
    svc.exports.put(export_id, written.path)
    days = int(workspace.settings.get(LINK_DAYS_SETTING, svc.default_link_days))
    expires_at = now + dt.timedelta(days=days)
    totals = content.totals
    request.record_file(
        export_id=export_id,
        content_sha256=written.sha256,
        size=written.size,
        counts_per_channel=dict(totals.messages_per_channel),
        case_count=totals.cases,
        attachment_count=totals.attachments,
        subject_ids=list(totals.subject_ids),
        expires_at=expires_at,
        actor_id=actor.user_id,
    )
    try:
        _save(ctx, request)
    except Exception:
        svc.exports.delete(export_id)
        raise
    _notify_ready(svc, request)
    return Approval(
        export_id, password, expires_at, written.sha256, written.size, totals
    )


def _notify_ready(svc: AccessRequestServices, request: AccessRequest) -> None:
    """Tells the person the file is ready, without any of its content."""
    norwegian = request.language == "nb"
    text = (
        "Filen med opplysningene dine er klar. Åpne lenken fra den første "
        "meldingen vår for å laste den ned. Passordet får du fra oss på annen måte."
        if norwegian
        else "The file with your data is ready. Open the link from our first "
        "message to download it. We will give you the password another way."
    )
    subject = "Innsyn: filen er klar" if norwegian else "Your access request is ready"
    for identity in request.proven_identities:
        if identity["kind"] != "email":
            continue
        try:
            svc.email.send(identity["value"].text(), subject, text)
        except DeliveryError:
            continue  # the status page says the same; the link still works


def revoke_link(
    ctx: Context,
    svc: AccessRequestServices,
    actor: UserRecord,
    request_id: UUID,
    export_id: UUID,
    reason: str,
) -> None:
    request = load_request(ctx, actor.workspace_id, request_id)
    _domain(lambda: request.revoke_link(export_id, reason, actor.user_id))
    _save(ctx, request)
    svc.exports.delete(export_id)


def download(
    ctx: Context,
    svc: AccessRequestServices,
    request: AccessRequest,
    export_id: UUID,
    *,
    actor_id: UUID | None,
    client_address: str | None,
    country: str | None,
) -> Iterator[bytes]:
    """The archive, after the download is recorded. GoneError once the link has
    expired or was revoked."""
    now = ctx.clock.now()
    address = (
        PersonalData(
            log_period_owner(request.workspace_id, now),
            "client_address",
            client_address,
        )
        if client_address
        else None
    )
    try:
        request.record_download(export_id, actor_id, address, country, now)
    except AccessRequestError as error:
        raise GoneError(str(error)) from error
    chunks = svc.exports.open(export_id)
    _save(ctx, request)
    return chunks


def expire_links(ctx: Context, svc: AccessRequestServices) -> int:
    """Expires every link past its date and deletes its file; returns how many."""
    now = ctx.clock.now()
    expired = 0
    for link in svc.requests.exports_due(now):
        request: AccessRequest = ctx.store.get(link.request_id)
        if request.exports.get(link.export_id, {}).get("status") != "live":
            continue
        request.expire_link(link.export_id, now)
        _save(ctx, request)
        svc.exports.delete(link.export_id)
        expired += 1
    return expired


def shred_exports_of_subject(svc: AccessRequestServices, subject_id: UUID) -> int:
    """For erasure: deletes every stored file that holds the subject's data."""
    return sum(
        svc.exports.delete(link.export_id)
        for link in svc.requests.exports_of_subject(subject_id)
    )


def _domain(step: Callable[[], _T]) -> _T:
    try:
        return step()
    except RateLimitedError as error:
        raise TooManyRequestsError(str(error)) from error
    except AccessRequestError as error:
        raise ConflictError(str(error)) from error


def _save(ctx: Context, request: AccessRequest) -> None:
    try:
        ctx.save(request)
    except IntegrityError as error:
        # Another agent changed the request in between (optimistic concurrency).
        raise ConflictError(
            f"access request {request.id} changed meanwhile; reload and retry"
        ) from error
