"""STAR importer: schema-guided Wizard-of-Oz chats, one JSON dialogue a line."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from application.ports import (
    DialogSource,
    ImportedDialog,
    ImportedMessage,
    ImportedSubject,
    ImportItem,
    ImportProblem,
)
from infrastructure.importers.records import (
    BadRecordError,
    as_list,
    as_object,
    files_in,
    numbered_lines,
    optional_text,
    parse_json_object,
    required_text,
)

# Only what a participant sent to the other is a message. The wizard's search
# for a reply ("request_suggestions"), API queries, knowledge-base answers and
# the crowd-work instructions ("UserGuide") were never seen by the other side.
_SENT_ACTIONS = {("User", "utter"), ("Wizard", "utter"), ("Wizard", "pick_suggestion")}

_FULL_NAME = r"([A-Z][a-z]+(?: [A-Z][a-z]+)*)"
_NAME_IN_TASK = (
    re.compile(rf"\bYou are {_FULL_NAME}\b(?= and|[.,;])"),
    re.compile(rf"\bYou \({_FULL_NAME}\)"),
)
_ACCOUNT_IN_TASK = re.compile(r"\baccount number is (\d{4,})")
_BIRTH_DATE_IN_TASK = re.compile(r"\bdate of birth is (\d{1,2}/\d{1,2}/\d{2,4})")
_QUOTED = re.compile(r'"([^"]*)"')

# API constraints the wizard typed, read when the instructions did not give the
# fact. PINs and security answers are credentials, not facts about the person:
# they are never read into the subject.
_NAME_CONSTRAINTS = ("FullName", "PatientName")
_DETAIL_CONSTRAINTS = {
    "AccountNumber": "account_number",
    "DateOfBirth": "date_of_birth",
}


class StarSource(DialogSource):
    """Reads STAR dialogues from a .jsonl file or a folder of them. User turns
    are inbound, wizard turns outbound; instructions, API calls and knowledge-
    base events are left out. The persona the user plays (name, account number,
    date of birth) goes on the subject. Problems are positioned as "line N", or
    "<file> line N" when reading a folder."""

    name = "star"

    def read(self, path: str) -> Iterator[ImportItem]:
        files = files_in(path, ".jsonl")
        for file in files:
            prefix = f"{file.name} " if len(files) > 1 else ""
            for number, line in numbered_lines(file):
                try:
                    yield _dialog(parse_json_object(line))
                except BadRecordError as error:
                    yield ImportProblem(f"{prefix}line {number}", error.reason)

    def estimate(self, path: str) -> int | None:
        return sum(_count_lines(file) for file in files_in(path, ".jsonl"))


def _count_lines(file: Path) -> int:
    return sum(1 for _ in numbered_lines(file))


def _dialog(record: dict[str, Any]) -> ImportedDialog:
    dialogue_id = required_text(record, "DialogueID")
    events = [as_object(e, "event") for e in as_list(record.get("Events"), "Events")]
    scenario = as_object(record.get("Scenario"), "Scenario")
    user = optional_text(record, "AnonymizedUserWorkerID")
    wizard = optional_text(record, "AnonymizedWizardWorkerID")

    user_handle = f"star-user-{user}" if user else f"star-dialogue-{dialogue_id}-user"
    wizard_handle = f"star-wizard-{wizard}" if wizard else None
    subject = _subject(user_handle, scenario, events)
    messages = tuple(
        _message(dialogue_id, index, event, subject, user_handle, wizard_handle)
        for index, event in enumerate(events, start=1)
        if _is_sent(event)
    )
    if not messages:
        raise BadRecordError("dialogue has no messages")
    return ImportedDialog(
        thread_key=f"star-{dialogue_id}",
        channel="chat",
        subject=subject,
        messages=messages,
        tags=_tags(scenario),
    )


def _is_sent(event: dict[str, Any]) -> bool:
    sender = (event.get("Agent"), event.get("Action"))
    return sender in _SENT_ACTIONS and optional_text(event, "Text") is not None


def _message(
    dialogue_id: str,
    index: int,
    event: dict[str, Any],
    subject: ImportedSubject,
    user_handle: str,
    wizard_handle: str | None,
) -> ImportedMessage:
    inbound = event.get("Agent") == "User"
    author = (subject.name or "user") if inbound else "wizard"
    address = user_handle if inbound else wizard_handle
    return ImportedMessage(
        external_id=f"star-{dialogue_id}-{index}",
        direction="inbound" if inbound else "outbound",
        author=author,
        author_address=address,
        body=required_text(event, "Text").strip(),
        sent_at=_timestamp(event.get("UnixTime")),
    )


def _timestamp(value: object) -> dt.datetime | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _subject(
    user_handle: str, scenario: dict[str, Any], events: list[dict[str, Any]]
) -> ImportedSubject:
    """The persona as the instructions gave it; the wizard's API queries fill
    in what the instructions left out."""
    instructions = [optional_text(scenario, "UserTask") or ""]
    instructions += [
        optional_text(e, "Text") or "" for e in events if e.get("Agent") == "UserGuide"
    ]
    constraints = _constraints(events)
    name = _first_match(_NAME_IN_TASK, instructions) or _first_constraint(
        constraints, _NAME_CONSTRAINTS
    )
    details: dict[str, str] = {}
    for pattern, detail in (
        (_ACCOUNT_IN_TASK, "account_number"),
        (_BIRTH_DATE_IN_TASK, "date_of_birth"),
    ):
        value = _first_match((pattern,), instructions)
        if value:
            details[detail] = value
    for constraint, detail in _DETAIL_CONSTRAINTS.items():
        value = _first_constraint(constraints, (constraint,))
        if value and detail not in details:
            details[detail] = value
    return ImportedSubject(
        identities=(("chat", user_handle),), name=name, details=details
    )


def _first_match(patterns: Iterable[re.Pattern[str]], texts: list[str]) -> str | None:
    for text in texts:
        for pattern in patterns:
            found = pattern.search(text)
            if found:
                return found.group(1)
    return None


def _constraints(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for event in events:
        if event.get("Action") != "query":
            continue
        for constraint in event.get("Constraints") or []:
            if isinstance(constraint, dict):
                pairs.extend(
                    (key, value)
                    for key, value in constraint.items()
                    if isinstance(key, str) and isinstance(value, str)
                )
    return pairs


def _first_constraint(
    constraints: list[tuple[str, str]], keys: tuple[str, ...]
) -> str | None:
    """The first literal value the wizard queried for one of `keys`; values
    are JSON-quoted literals or calls such as api.is_equal_to("...")."""
    for key, raw in constraints:
        if key not in keys or raw.strip() in ("", "null"):
            continue
        quoted = _QUOTED.search(raw)
        value = quoted.group(1) if quoted else raw.strip()
        if value and "(" not in value:
            return value
    return None


def _tags(scenario: dict[str, Any]) -> tuple[str, ...]:
    tags: list[str] = []
    for domain in scenario.get("Domains") or []:
        if isinstance(domain, str):
            tags.append(domain)
    for capability in scenario.get("WizardCapabilities") or []:
        if isinstance(capability, dict):
            task = optional_text(capability, "Task")
            if task:
                tags.append(task)
    return tuple(dict.fromkeys(tags))
