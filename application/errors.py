"""Errors the application raises. Each declares the HTTP status it maps to, so the
interface translates them in one place; ids stay attributes, never parsed text."""

from __future__ import annotations

from uuid import UUID


class ApplicationError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class NotFoundError(ApplicationError):
    """Unknown id, or an id of another workspace: both look the same to callers so
    ids of other workspaces do not leak."""

    status = 404
    title = "Not found"

    def __init__(self, kind: str, item_id: UUID | str) -> None:
        self.kind = kind
        self.item_id = item_id
        super().__init__(f"no {kind} {item_id} in this workspace")


class ForbiddenError(ApplicationError):
    status = 403
    title = "Forbidden"


class UnauthenticatedError(ApplicationError):
    status = 401
    title = "Unauthenticated"


class ConflictError(ApplicationError):
    status = 409
    title = "Conflict"


class InvalidInputError(ApplicationError):
    status = 422
    title = "Invalid input"


class LegalHoldError(ConflictError):
    title = "Under legal hold"

    def __init__(self, item_id: UUID, reason: str) -> None:
        self.item_id = item_id
        self.reason = reason
        super().__init__(f"{item_id} is under legal hold: {reason}")


class AuditWriteError(ApplicationError):
    """The access record could not be made durable, so nothing is shown."""

    status = 503
    title = "Audit log unavailable"
