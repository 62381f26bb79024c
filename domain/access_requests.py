"""Access requests (GDPR art. 15): one person, several proven identities, one file.

The request owns a data key of its own: the identities the person typed, the
reason of a rejection and the file made for them are sealed under it (the file
under a per-export key), so erasing the request's keys leaves nothing readable.
Codes are never stored, only their keyed hashes, compared in constant time.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import hmac
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError
from domain.personal_data import PersonalData

CODE_LIFETIME = dt.timedelta(minutes=15)
MAX_ATTEMPTS_PER_CODE = 5
MAX_CODES_PER_REQUEST_PER_HOUR = 10
MAX_CODES_PER_ADDRESS_PER_HOUR = 3
MAX_IDENTITIES = 20
# Art. 12(3): one month, extendable by two further months when necessary.
MAX_EXTENSION_MONTHS = 2

PROVABLE_KINDS = ("email", "facebook", "twitter", "instagram", "youtube")


class RequestState(enum.StrEnum):
    SUBMITTED = "submitted"
    VERIFYING = "verifying"
    READY_FOR_REVIEW = "ready_for_review"
    APPROVED = "approved"
    DELIVERED = "delivered"
    REJECTED = "rejected"


class ProofFailure(enum.StrEnum):
    NO_CODE = "no code was sent"
    WRONG = "wrong code"
    EXPIRED = "code expired"
    USED = "code already used"
    LOCKED = "too many wrong attempts"


class AccessRequestError(DomainError):
    """A step of an access request that its state does not allow."""

    def __init__(self, request_id: UUID, message: str) -> None:
        self.request_id = request_id
        super().__init__(message)


class RateLimitedError(AccessRequestError):
    pass


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day `months` later, or the month's last day when it is shorter
    (31 January + 1 month = 28 or 29 February)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


class AccessRequest(Aggregate):
    @staticmethod
    def create_id(aggregate_id: UUID, **_: Any) -> UUID:
        return aggregate_id

    @event("Submitted")
    def __init__(
        self,
        aggregate_id: UUID,
        workspace_id: UUID,
        language: str,
        access_token_hash: str,
        submitted_at: dt.datetime,
        due_at: dt.datetime,
    ) -> None:
        self.workspace_id = workspace_id
        self.language = language
        self.access_token_hash = access_token_hash
        self.submitted_at = submitted_at
        self.due_at = due_at
        self.state = RequestState.SUBMITTED.value
        self.identities: dict[UUID, dict[str, Any]] = {}
        self.codes: dict[UUID, dict[str, Any]] = {}
        self.codes_sent_at: list[dt.datetime] = []
        self.assignee_id: UUID | None = None
        self.rejection: PersonalData | None = None
        self.exports: dict[UUID, dict[str, Any]] = {}
        self.extensions: list[str] = []

    # The person's side

    @property
    def is_open_for_identities(self) -> bool:
        return self.state in (RequestState.SUBMITTED, RequestState.VERIFYING)

    @property
    def proven_identities(self) -> list[dict[str, Any]]:
        return [i for i in self.identities.values() if i["proven"]]

    def add_identity(
        self, identity_id: UUID, kind: str, value: PersonalData, digest: PersonalData
    ) -> None:
        if not self.is_open_for_identities:
            raise AccessRequestError(self.id, "identities can no longer be added")
        if kind not in PROVABLE_KINDS:
            raise AccessRequestError(self.id, f"{kind!r} cannot be proven here")
        if len(self.identities) >= MAX_IDENTITIES:
            raise AccessRequestError(self.id, "too many identities on one request")
        if any(i["digest"] == digest for i in self.identities.values()):
            raise AccessRequestError(self.id, "that identity is on the request already")
        self._add_identity(identity_id, kind, value, digest)

    @event("IdentityAdded")
    def _add_identity(
        self, identity_id: UUID, kind: str, value: PersonalData, digest: PersonalData
    ) -> None:
        self.identities[identity_id] = {
            "identity_id": identity_id,
            "kind": kind,
            "value": value,
            "digest": digest,
            "proven": False,
        }
        self.state = RequestState.VERIFYING.value

    def send_code(
        self, identity_id: UUID, code_hash: str, channel: str, now: dt.datetime
    ) -> None:
        identity = self.identity(identity_id)
        if not self.is_open_for_identities:
            raise AccessRequestError(self.id, "the request is past verification")
        if identity["proven"]:
            raise AccessRequestError(self.id, "that identity is proven already")
        recent = [t for t in self.codes_sent_at if now - t < dt.timedelta(hours=1)]
        if len(recent) >= MAX_CODES_PER_REQUEST_PER_HOUR:
            raise RateLimitedError(self.id, "too many codes for this request; wait")
        self._send_code(identity_id, code_hash, channel, now + CODE_LIFETIME, now)

    @event("CodeSent")
    def _send_code(
        self,
        identity_id: UUID,
        code_hash: str,
        channel: str,
        expires_at: dt.datetime,
        sent_at: dt.datetime,
    ) -> None:
        # A new code replaces the previous one: only the latest can prove.
        self.codes[identity_id] = {
            "code_hash": code_hash,
            "expires_at": expires_at,
            "attempts": 0,
            "used": False,
        }
        self.codes_sent_at.append(sent_at)

    def prove(
        self, identity_id: UUID, candidate_hash: str, now: dt.datetime
    ) -> str | None:
        """Proves the identity when the code is right; otherwise records why not
        (the caller saves that event too) and returns the reason."""
        identity = self.identity(identity_id)
        code = self.codes.get(identity_id)
        failure: ProofFailure | None = None
        if code is None:
            failure = ProofFailure.NO_CODE
        elif code["used"] or identity["proven"]:
            failure = ProofFailure.USED
        elif code["attempts"] >= MAX_ATTEMPTS_PER_CODE:
            failure = ProofFailure.LOCKED
        elif now >= code["expires_at"]:
            failure = ProofFailure.EXPIRED
        elif not hmac.compare_digest(code["code_hash"], candidate_hash):
            failure = ProofFailure.WRONG
        if failure is not None:
            self._fail_proof(identity_id, failure.value, now)
            return failure.value
        self._prove(identity_id, identity["kind"], now)
        return None

    @event("ProofFailed")
    def _fail_proof(self, identity_id: UUID, reason: str, at: dt.datetime) -> None:
        code = self.codes.get(identity_id)
        if code is not None:
            code["attempts"] += 1

    @event("IdentityProven")
    def _prove(self, identity_id: UUID, kind: str, at: dt.datetime) -> None:
        self.identities[identity_id]["proven"] = True
        self.codes[identity_id]["used"] = True

    def send_for_review(self, at: dt.datetime) -> None:
        if not self.is_open_for_identities:
            raise AccessRequestError(self.id, "the request is already sent")
        if not self.proven_identities:
            raise AccessRequestError(self.id, "prove at least one identity first")
        self._send_for_review(at)

    @event("SentForReview")
    def _send_for_review(self, at: dt.datetime) -> None:
        self.state = RequestState.READY_FOR_REVIEW.value

    # The agents' side

    def claim(self, agent_id: UUID) -> None:
        if self.assignee_id not in (None, agent_id):
            raise AccessRequestError(
                self.id, f"already claimed by {self.assignee_id}; assign it instead"
            )
        self._assign(agent_id, agent_id)

    def assign(self, assignee_id: UUID, actor_id: UUID) -> None:
        self._assign(assignee_id, actor_id)

    @event("Assigned")
    def _assign(self, assignee_id: UUID, actor_id: UUID) -> None:
        self.assignee_id = assignee_id

    def extend_deadline(self, reason: str, actor_id: UUID) -> None:
        if not reason.strip():
            raise AccessRequestError(self.id, "an extension needs a reason")
        if len(self.extensions) >= MAX_EXTENSION_MONTHS:
            raise AccessRequestError(
                self.id, "the deadline can be extended by two months at most"
            )
        self._extend(add_months(self.due_at, 1), reason, actor_id)

    @event("DeadlineExtended")
    def _extend(self, due_at: dt.datetime, reason: str, actor_id: UUID) -> None:
        self.due_at = due_at
        self.extensions.append(reason)

    @property
    def live_export(self) -> UUID | None:
        return next((i for i, e in self.exports.items() if e["status"] == "live"), None)

    def approve(self, export_id: UUID, actor_id: UUID, at: dt.datetime) -> None:
        allowed = self.state == RequestState.READY_FOR_REVIEW or (
            self.state in (RequestState.APPROVED, RequestState.DELIVERED)
            and self.live_export is None
        )
        if not allowed:
            raise AccessRequestError(
                self.id, f"a request that is {self.state} cannot be approved"
            )
        self._approve(export_id, actor_id, at)

    @event("Approved")
    def _approve(self, export_id: UUID, actor_id: UUID, at: dt.datetime) -> None:
        self.state = RequestState.APPROVED.value

    @event("FileGenerated")
    def record_file(
        self,
        export_id: UUID,
        content_sha256: str,
        size: int,
        counts_per_channel: dict[str, int],
        case_count: int,
        attachment_count: int,
        subject_ids: list[UUID],
        expires_at: dt.datetime,
        actor_id: UUID,
    ) -> None:
        self.exports[export_id] = {
            "status": "live",
            "expires_at": expires_at,
            "content_sha256": content_sha256,
            "size": size,
            "subject_ids": list(subject_ids),
        }

    def reject(self, reason: PersonalData, actor_id: UUID) -> None:
        if self.state in (RequestState.DELIVERED, RequestState.REJECTED):
            raise AccessRequestError(self.id, f"the request is {self.state} already")
        if not (reason.value or "").strip():
            raise AccessRequestError(self.id, "a rejection needs a reason")
        self._reject(reason, actor_id)

    @event("Rejected")
    def _reject(self, reason: PersonalData, actor_id: UUID) -> None:
        self.state = RequestState.REJECTED.value
        self.rejection = reason

    # The file

    def require_downloadable(self, export_id: UUID, now: dt.datetime) -> None:
        export = self.exports.get(export_id)
        if export is None or export["status"] != "live":
            raise AccessRequestError(self.id, "this link was revoked or has expired")
        if now >= export["expires_at"]:
            raise AccessRequestError(self.id, "this link has expired")

    def record_download(
        self,
        export_id: UUID,
        actor_id: UUID | None,
        client_address: PersonalData | None,
        country: str | None,
        now: dt.datetime,
    ) -> None:
        self.require_downloadable(export_id, now)
        self._download(export_id, actor_id, client_address, country, now)

    @event("Downloaded")
    def _download(
        self,
        export_id: UUID,
        actor_id: UUID | None,
        client_address: PersonalData | None,
        country: str | None,
        at: dt.datetime,
    ) -> None:
        # Only the person's own download delivers; an authorised system fetching
        # the file (actor set) does not.
        if actor_id is None:
            self.state = RequestState.DELIVERED.value

    def revoke_link(self, export_id: UUID, reason: str, actor_id: UUID) -> None:
        if self.exports.get(export_id, {}).get("status") != "live":
            raise AccessRequestError(self.id, "no live link to revoke")
        self._revoke(export_id, reason, actor_id)

    @event("LinkRevoked")
    def _revoke(self, export_id: UUID, reason: str, actor_id: UUID) -> None:
        self.exports[export_id]["status"] = "revoked"

    @event("Expired")
    def expire_link(self, export_id: UUID, at: dt.datetime) -> None:
        self.exports[export_id]["status"] = "expired"

    def identity(self, identity_id: UUID) -> dict[str, Any]:
        identity = self.identities.get(identity_id)
        if identity is None:
            raise AccessRequestError(self.id, "no such identity on this request")
        return identity
