"""Retention: how long a workspace keeps what, and the purge runs that enforce it.

The policy is a workspace setting (one `Workspace.SettingChanged` event per
change). A purge run is an aggregate of its own: it fixes its plan when it
starts, records each item as it is done and completes with counts, so a run
interrupted by a crash resumes where it stopped and never acts on an item twice.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError

SETTING_KEY = "retention"


class CaseAction(enum.StrEnum):
    ANONYMISE = "anonymise"
    ERASE = "erase"


class ItemKind(enum.StrEnum):
    CASE = "case"  # a closed case past retention, anonymised or erased
    SUBJECT = "subject"  # a data subject of an expired test workspace
    LOG_PERIOD = "log_period"  # a month of access-log entries, shredded


class InvalidRetentionError(DomainError):
    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        super().__init__(f"retention setting {name}: {problem}")


@dataclass(frozen=True)
class InboxRule:
    closed_case_days: int
    closed_case_action: str


@dataclass(frozen=True)
class RetentionPolicy:
    """A workspace's retention; the defaults are those of a new workspace."""

    closed_case_days: int = 365
    closed_case_action: str = CaseAction.ANONYMISE.value
    inboxes: dict[str, InboxRule] = field(default_factory=dict)
    access_log_months: int = 24
    access_request_days: int = 3 * 365
    test_grace_days: int = 14

    def case_rule(self, inbox_id: UUID) -> InboxRule:
        return self.inboxes.get(
            str(inbox_id), InboxRule(self.closed_case_days, self.closed_case_action)
        )

    def case_expired(
        self, inbox_id: UUID, closed_at: dt.datetime, now: dt.datetime
    ) -> bool:
        days = self.case_rule(inbox_id).closed_case_days
        return closed_at + dt.timedelta(days=days) <= now

    def oldest_kept_period(self, now: dt.datetime) -> str:
        """Log periods before this month ("YYYY-MM") are past retention."""
        months = now.year * 12 + now.month - 1 - self.access_log_months
        return f"{months // 12:04d}-{months % 12 + 1:02d}"

    def as_settings(self) -> dict[str, Any]:
        return {
            "closed_case_days": self.closed_case_days,
            "closed_case_action": self.closed_case_action,
            "inboxes": {
                inbox: {
                    "closed_case_days": rule.closed_case_days,
                    "closed_case_action": rule.closed_case_action,
                }
                for inbox, rule in sorted(self.inboxes.items())
            },
            "access_log_months": self.access_log_months,
            "access_request_days": self.access_request_days,
            "test_grace_days": self.test_grace_days,
        }

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> RetentionPolicy:
        """Validates and reads settings; absent values take the defaults."""
        default = cls()
        unknown = set(settings) - set(default.as_settings())
        if unknown:
            raise InvalidRetentionError(sorted(unknown)[0], "unknown setting")
        inboxes = {
            str(inbox): InboxRule(
                _days(rule, "closed_case_days", f"inboxes.{inbox}.closed_case_days"),
                _action(rule.get("closed_case_action", default.closed_case_action)),
            )
            for inbox, rule in _inbox_rules(settings).items()
        }
        return cls(
            closed_case_days=_days(settings, "closed_case_days", default=365),
            closed_case_action=_action(
                settings.get("closed_case_action", default.closed_case_action)
            ),
            inboxes=inboxes,
            access_log_months=_days(
                settings, "access_log_months", default=24, maximum=MAX_MONTHS
            ),
            access_request_days=_days(settings, "access_request_days", default=1095),
            test_grace_days=_days(settings, "test_grace_days", default=14, minimum=0),
        )


# A century: beyond it a period is a mistake, and dates past year 9999 overflow.
MAX_DAYS = 36_525
MAX_MONTHS = 1_200


def _inbox_rules(settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rules = settings.get("inboxes", {})
    if not isinstance(rules, dict):
        raise InvalidRetentionError("inboxes", "must map inbox ids to rules")
    for inbox, rule in rules.items():
        if not isinstance(rule, dict):
            raise InvalidRetentionError(f"inboxes.{inbox}", "must be an object")
    return rules


def _days(
    settings: dict[str, Any],
    key: str,
    name: str | None = None,
    *,
    default: int | None = None,
    minimum: int = 1,
    maximum: int = MAX_DAYS,
) -> int:
    value = settings.get(key, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not minimum <= value <= maximum
    ):
        raise InvalidRetentionError(
            name or key, f"must be a whole number from {minimum} to {maximum}"
        )
    return value


def _action(value: Any) -> str:
    try:
        return CaseAction(value).value
    except ValueError:
        raise InvalidRetentionError(
            "closed_case_action", "must be 'anonymise' or 'erase'"
        ) from None


class PurgeRun(Aggregate):
    """One purge of one workspace: its fixed plan, each item done, its counts."""

    @staticmethod
    def create_id(aggregate_id: UUID, **_: Any) -> UUID:
        return aggregate_id

    @event("Started")
    def __init__(
        self,
        aggregate_id: UUID,
        workspace_id: UUID,
        started_at: dt.datetime,
        planned: list[dict[str, str]],
    ) -> None:
        self.workspace_id = workspace_id
        self.started_at = started_at
        self.planned = list(planned)
        self.done: dict[str, str] = {}
        self.completed = False

    @staticmethod
    def item_key(kind: str, target: str) -> str:
        return f"{kind}:{target}"

    @property
    def remaining(self) -> list[dict[str, str]]:
        return [
            item
            for item in self.planned
            if self.item_key(item["kind"], item["target"]) not in self.done
        ]

    @event("ItemPurged")
    def record_item(
        self, workspace_id: UUID, kind: str, target: str, outcome: str
    ) -> None:
        self.done[self.item_key(kind, target)] = outcome

    @event("Completed")
    def complete(
        self, workspace_id: UUID, counts: dict[str, int], completed_at: dt.datetime
    ) -> None:
        self.completed = True
