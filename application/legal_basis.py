"""Legal basis: nobody gets access to personal data without a recorded reason.

Creating a user, granting a role, and assigning or forwarding a case to a user who
has never had access to that case need, in the same request, the acting user's
confirmation that the user needs the access to resolve support cases. The
confirmation is a `LegalBasis.Confirmed` event saved in the same transaction as
the grant; the ledger of them is a projection auditors read.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid5

from application.context import Context
from application.errors import InvalidInputError
from domain.accounts import LegalBasis, LegalBasisScope

PURPOSE_MIN_LENGTH = 10
PURPOSE_MAX_LENGTH = 200
OPERATOR_PURPOSE = "administrator of a new workspace, created by the platform operator"

_BASIS_NAMESPACE = UUID("2e6b1d8f-9a47-4c3e-b5f0-71d2c8a4e9b6")


class LegalBasisRequiredError(InvalidInputError):
    """The grant was refused: the request carried no confirmation."""

    title = "Legal basis required"

    def __init__(self, grantee_id: UUID | None, what: str) -> None:
        self.grantee_id = grantee_id
        super().__init__(
            f"{what} gives a user access to personal data: confirm in the same "
            "request that the user needs this access to resolve support cases "
            '(legal_basis: {"confirmed": true, "purpose": "..."})'
        )


@dataclass(frozen=True)
class AccessConfirmation:
    """The acting user's word that the access is needed, and what for.

    The purpose is kept in the ledger as written: describe the need, not the
    customer (no names, addresses or case content).
    """

    purpose: str
    confirmed: bool = True


def basis_id(grantee_id: UUID, scope: str, detail: str = "") -> UUID:
    """One basis per user and grant: the id says whether it exists already."""
    return uuid5(_BASIS_NAMESPACE, f"{grantee_id}/{scope}/{detail}")


def has_case_access_basis(ctx: Context, grantee_id: UUID, case_id: UUID) -> bool:
    return basis_id(grantee_id, LegalBasisScope.CASE, str(case_id)) in (
        ctx.store.repository
    )


def confirm(
    ctx: Context,
    confirmation: AccessConfirmation | None,
    *,
    workspace_id: UUID,
    grantor_id: UUID | None,
    grantee_id: UUID,
    scope: LegalBasisScope,
    what: str,
    case_id: UUID | None = None,
    role: str | None = None,
) -> LegalBasis:
    """The unsaved confirmation event for a grant, or LegalBasisRequiredError
    (422) when it is missing, unconfirmed or its purpose is too short."""
    if confirmation is None or not confirmation.confirmed:
        raise LegalBasisRequiredError(grantee_id, what)
    purpose = " ".join(confirmation.purpose.split())
    if not PURPOSE_MIN_LENGTH <= len(purpose) <= PURPOSE_MAX_LENGTH:
        raise InvalidInputError(
            f"the legal-basis purpose must be {PURPOSE_MIN_LENGTH} to "
            f"{PURPOSE_MAX_LENGTH} characters long: say why the access is needed"
        )
    detail = str(case_id) if case_id is not None else role or ""
    return LegalBasis(
        aggregate_id=basis_id(grantee_id, scope, detail),
        workspace_id=workspace_id,
        grantor_id=grantor_id,
        grantee_id=grantee_id,
        scope=scope.value,
        case_id=case_id,
        role=role,
        purpose=purpose,
        confirmed_at=ctx.clock.now(),
    )
