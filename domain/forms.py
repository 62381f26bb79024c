"""Web forms (issue 5.2): a form's definition, its changes, and submitted values.

A field's `role` says where its value goes on arrival: `email` and `phone` become
the customer's identities, `name` their name (all three on the case's profile),
`message` the message body. Fields without a role keep their structure on the
case, each value sealed under an owner of its own so that a sensitive field can be
shredded alone.
"""

from __future__ import annotations

import enum
import re
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.anonymisation import form_field_owner
from domain.errors import DomainError
from domain.personal_data import PersonalData

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_FIELDS = 100


class FieldRole(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    NAME = "name"
    MESSAGE = "message"


class InvalidFormError(DomainError):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


def form_field(
    name: str,
    label: str = "",
    *,
    placeholder: str = "",
    required: bool = False,
    hidden: bool = False,
    sensitive: bool = False,
    role: str | None = None,
) -> dict[str, Any]:
    """One field of a form definition, checked; raises InvalidFormError."""
    if not FIELD_NAME.match(name):
        raise InvalidFormError(
            f"field name {name!r} must be lower-case letters, digits or _ "
            "(at most 64, starting with a letter)"
        )
    if role is not None and role not in FieldRole.__members__.values():
        roles = ", ".join(r.value for r in FieldRole)
        raise InvalidFormError(f"field {name!r}: role must be one of {roles}")
    return {
        "name": name,
        "label": label or name,
        "placeholder": placeholder,
        "required": required,
        "hidden": hidden,
        "sensitive": sensitive,
        "role": role,
    }


def check_fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    checked = [form_field(**field) for field in fields]
    if not checked or len(checked) > MAX_FIELDS:
        raise InvalidFormError(f"a form has 1 to {MAX_FIELDS} fields")
    names = [field["name"] for field in checked]
    doubles = sorted({name for name in names if names.count(name) > 1})
    if doubles:
        raise InvalidFormError(f"field names repeat: {', '.join(doubles)}")
    for role in FieldRole:
        holders = [f["name"] for f in checked if f["role"] == role.value]
        if len(holders) > 1:
            raise InvalidFormError(f"only one field may have role {role.value}")
    return checked


class Form(Aggregate):
    """A form of one workspace whose submissions arrive in one web-form inbox."""

    @staticmethod
    def create_id(aggregate_id: UUID, **_: Any) -> UUID:
        return aggregate_id

    @event("Defined")
    def __init__(
        self,
        aggregate_id: UUID,
        workspace_id: UUID,
        inbox_id: UUID,
        name: str,
        fields: list[dict[str, Any]],
        actor_id: UUID | None,
    ) -> None:
        self.workspace_id = workspace_id
        self.inbox_id = inbox_id
        self.name = name
        self.fields = list(fields)

    @event("FieldsChanged")
    def change_fields(
        self, name: str, fields: list[dict[str, Any]], actor_id: UUID | None
    ) -> None:
        self.name = name
        self.fields = list(fields)

    def field(self, name: str) -> dict[str, Any] | None:
        return next((f for f in self.fields if f["name"] == name), None)


def sealed_form_value(
    case_id: UUID,
    message_id: UUID,
    name: str,
    label: str,
    sensitive: bool,
    value: str,
) -> dict[str, Any]:
    """A submitted value as the case keeps it: structure in clear, value sealed."""
    owner = form_field_owner(case_id, message_id, name)
    return {
        "name": name,
        "label": label,
        "sensitive": sensitive,
        "value": PersonalData(owner, "form_value", value),
    }
