"""Loading and saving one case for a command, with the workspace check."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application.context import Context
from application.errors import ConflictError, NotFoundError
from application.ports import CaseSummary
from domain.errors import DomainError
from domain.model import Case


def require_case(ctx: Context, workspace_id: UUID, case_id: UUID) -> CaseSummary:
    summary = ctx.views.case_summary(case_id)
    if summary is None or summary.workspace_id != workspace_id:
        raise NotFoundError("case", case_id)
    return summary


def load_for_change(ctx: Context, workspace_id: UUID, case_id: UUID) -> Case:
    require_case(ctx, workspace_id, case_id)
    case: Case = ctx.store.get(case_id)
    return case


def save_change(ctx: Context, case: Case, *others: Any) -> None:
    """Saves the case with any records of the same change, in one transaction."""
    try:
        ctx.save(case, *others)
    except DomainError as error:
        raise ConflictError(str(error)) from error


def legal_hold_on(ctx: Context, case: Case) -> str | None:
    """The reason of a legal hold on the case or on its customer, if any: a hold on
    a person covers every case of theirs."""
    if case.legal_hold:
        return case.legal_hold
    if case.subject_id is None:
        return None
    subject = ctx.store.get(case.subject_id)
    hold: str | None = getattr(subject, "legal_hold", None)
    return hold
