"""Sensitivity flags: automatic on arrival and on re-scan, manual by agents.

A manual decision (flag or unflag) stands against later automatic scans of the
same messages; a new message with findings of its own flags the case again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from application.casework import load_for_change, save_change
from application.context import Context
from application.errors import ConflictError, InvalidInputError
from application.ports import SensitivityDetector, UserRecord
from domain.model import Case
from domain.sensitivity import Category, Finding, Verdict, case_verdict

# Free text beyond this is not scanned: it bounds the time one message can take.
MAX_SCANNED_CHARS = 2_000_000
AUTOMATIC = "automatic"
MANUAL = "manual"


def scan_texts(detector: SensitivityDetector, texts: Sequence[str]) -> Verdict:
    findings: list[Finding] = []
    for text in texts:
        findings.extend(detector.scan(text[:MAX_SCANNED_CHARS]))
    return case_verdict(findings)


def flag_new_messages(
    ctx: Context, case: Case, texts: Sequence[str], message_ids: list[UUID]
) -> tuple[str, ...]:
    """Scans newly arrived messages; flags the case when they hold sensitive data
    the case is not already flagged for. Returns the categories flagged."""
    if ctx.detector is None or not texts:
        return ()
    verdict = scan_texts(ctx.detector, texts)
    categories = [category.value for category in verdict.categories]
    if not verdict.sensitive:
        return ()
    if case.sensitive and set(categories) <= set(case.categories):
        return ()
    case.flag_sensitive(
        categories=categories,
        rules=list(verdict.rules),
        source=AUTOMATIC,
        reason=None,
        actor_id=None,
        message_ids=message_ids,
    )
    return tuple(categories)


def flag_case(
    ctx: Context, actor: UserRecord, case_id: UUID, categories: list[str], reason: str
) -> None:
    """Flags a case by hand; the reason is required and recorded."""
    if not reason.strip():
        raise InvalidInputError("flagging by hand needs a reason")
    known = {category.value for category in Category if category.is_sensitive}
    unknown = sorted(set(categories) - known)
    if not categories or unknown:
        raise InvalidInputError(
            "categories must be one or more of "
            + ", ".join(sorted(known))
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    case = load_for_change(ctx, actor.workspace_id, case_id)
    case.flag_sensitive(
        categories=sorted(set(categories)),
        rules=[],
        source=MANUAL,
        reason=reason,
        actor_id=actor.user_id,
        message_ids=[],
    )
    save_change(ctx, case)


def unflag_case(ctx: Context, actor: UserRecord, case_id: UUID, reason: str) -> None:
    """Removes the flag by hand; the reason is required and recorded."""
    if not reason.strip():
        raise InvalidInputError("unflagging by hand needs a reason")
    case = load_for_change(ctx, actor.workspace_id, case_id)
    if not case.sensitive:
        raise ConflictError(f"case {case_id} is not flagged")
    case.unflag(reason=reason, source=MANUAL, actor_id=actor.user_id)
    save_change(ctx, case)


@dataclass(frozen=True)
class RescanOutcome:
    scanned: int
    flagged: int
    unflagged: int
    kept_manual: int


def rescan(
    ctx: Context,
    workspace_id: UUID,
    *,
    on_case: Callable[[], None] | None = None,
) -> RescanOutcome:
    """Runs the current detector over every case of the workspace and records
    only changes. Cases whose flag was set or removed by hand are left alone."""
    if ctx.detector is None:
        raise ConflictError("no detector is configured")
    scanned = flagged = unflagged = kept = 0
    offset = 0
    while True:
        page = ctx.views.cases(workspace_id, limit=500, offset=offset)
        if not page:
            break
        offset += len(page)
        for summary in page:
            case: Case = ctx.store.get(summary.case_id)
            scanned += 1
            if case.flag_source == MANUAL:
                kept += 1
            else:
                change = _rescan_case(ctx.detector, case)
                flagged += change == "flagged"
                unflagged += change == "unflagged"
                if change:
                    ctx.save(case)
            if on_case is not None:
                on_case()
    return RescanOutcome(scanned, flagged, unflagged, kept)


def _rescan_case(detector: SensitivityDetector, case: Case) -> str:
    texts = [
        text
        for message in case.messages
        for text in (message["body"].value, _subject(message))
        if isinstance(text, str)
    ]
    verdict = scan_texts(detector, texts)
    categories = {category.value for category in verdict.categories}
    if verdict.sensitive and (not case.sensitive or categories != set(case.categories)):
        if case.sensitive:
            case.unflag(
                reason="re-scan: categories changed", source=AUTOMATIC, actor_id=None
            )
        case.flag_sensitive(
            categories=sorted(categories),
            rules=list(verdict.rules),
            source=AUTOMATIC,
            reason="re-scan",
            actor_id=None,
            message_ids=[m["message_id"] for m in case.messages],
        )
        return "flagged"
    if not verdict.sensitive and case.sensitive:
        case.unflag(
            reason="re-scan: no sensitive findings", source=AUTOMATIC, actor_id=None
        )
        return "unflagged"
    return ""


def _subject(message: dict[str, object]) -> str | None:
    line = message.get("subject_line")
    value = getattr(line, "value", None)
    return value if isinstance(value, str) else None
