"""ABCD importer: Action-Based Conversations Dataset dialogues (a JSON list)."""

from __future__ import annotations

import json
from collections.abc import Iterator
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
    existing,
    optional_text,
    required_text,
)

# "action" turns record what the agent clicked in its tools; the customer
# never saw them, so they are not messages.
_DIRECTIONS = {"customer": "inbound", "agent": "outbound"}
_DETAILS = {
    "phone": ("personal", "phone"),
    "member_level": ("personal", "member_level"),
    "address": ("order", "full_address"),
    "street_address": ("order", "street_address"),
    "city": ("order", "city"),
    "state": ("order", "state"),
    "zip_code": ("order", "zip_code"),
}


class AbcdSource(DialogSource):
    """Reads ABCD dialogues from their JSON list. The scenario's customer is the
    subject: identities from e-mail and username (phone when neither is there),
    name, phone and address as details. Problems are positioned as
    "dialogue N", counting from 1."""

    name = "abcd"

    def read(self, path: str) -> Iterator[ImportItem]:
        try:
            dialogues = _dialogues(path)
        except BadRecordError as error:
            yield ImportProblem("file", error.reason)
            return
        for number, dialogue in enumerate(dialogues, start=1):
            try:
                yield _dialog(as_object(dialogue, "dialogue"))
            except BadRecordError as error:
                yield ImportProblem(f"dialogue {number}", error.reason)

    def estimate(self, path: str) -> int | None:
        try:
            return len(_dialogues(path))
        except BadRecordError:
            return None


def _dialogues(path: str) -> list[Any]:
    source = existing(path)
    try:
        loaded = json.loads(source.read_text(encoding="utf-8", errors="replace"))
    except json.JSONDecodeError as error:
        raise BadRecordError(f"malformed JSON at line {error.lineno}") from error
    return as_list(loaded, "file")


def _dialog(dialogue: dict[str, Any]) -> ImportedDialog:
    convo_id = required_text(dialogue, "convo_id")
    scenario = as_object(dialogue.get("scenario"), "scenario")
    turns = as_list(dialogue.get("original"), "original")

    subject = _subject(convo_id, scenario)
    messages = tuple(
        message
        for number, turn in enumerate(turns, start=1)
        if (message := _message(convo_id, number, turn, subject)) is not None
    )
    if not messages:
        raise BadRecordError("dialogue has no messages")
    flow = [optional_text(scenario, key) for key in ("flow", "subflow")]
    return ImportedDialog(
        thread_key=f"abcd-{convo_id}",
        channel="chat",
        subject=subject,
        messages=messages,
        tags=tuple(tag for tag in flow if tag),
    )


def _subject(convo_id: str, scenario: dict[str, Any]) -> ImportedSubject:
    sections = {
        "personal": as_object(scenario.get("personal") or {}, "scenario.personal"),
        "order": as_object(scenario.get("order") or {}, "scenario.order"),
    }
    personal = sections["personal"]
    email = optional_text(personal, "email")
    username = optional_text(personal, "username")
    phone = optional_text(personal, "phone")
    identities: list[tuple[str, str]] = []
    if email:
        identities.append(("email", email.lower()))
    if username:
        identities.append(("chat", username))
    if not identities:
        # Without e-mail or username the phone is the only way to find this
        # customer again; without it too, the dialogue stands alone.
        identities.append(("phone", phone) if phone else ("chat", f"abcd-{convo_id}"))
    details: dict[str, str] = {}
    for detail, (section, key) in _DETAILS.items():
        value = optional_text(sections[section], key)
        if value:
            details[detail] = " ".join(value.split())
    return ImportedSubject(
        identities=tuple(identities),
        name=optional_text(personal, "customer_name"),
        details=details,
    )


def _message(
    convo_id: str, number: int, turn: object, subject: ImportedSubject
) -> ImportedMessage | None:
    turn = as_list(turn, f"turn {number}")
    if len(turn) != 2 or not all(isinstance(part, str) for part in turn):
        raise BadRecordError(f"turn {number} is not a [speaker, text] pair")
    speaker, text = turn
    direction = _DIRECTIONS.get(speaker)
    if direction is None or not text.strip():
        return None
    inbound = direction == "inbound"
    return ImportedMessage(
        external_id=f"abcd-{convo_id}-{number}",
        direction=direction,
        author=(subject.name or "customer") if inbound else "agent",
        author_address=subject.identities[0][1] if inbound else None,
        body=text.strip(),
    )
