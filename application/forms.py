"""Web forms (issue 5.2): defining and changing forms, and turning a submission
into a case of the web-form channel that keeps the field structure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from application.cases import IngestResult, ReadContext, ingest_dialog, record_read
from application.casework import require_case
from application.context import Context
from application.errors import InvalidInputError, NotFoundError
from application.ports import (
    FormRecord,
    ImportedDialog,
    ImportedForm,
    ImportedFormValue,
    ImportedMessage,
    ImportedSubject,
)
from application.workspaces import require_inbox
from domain.errors import DomainError
from domain.forms import FieldRole, Form, check_fields
from domain.model import Case, Channel

MAX_VALUE = 100_000


@dataclass(frozen=True)
class SubmittedField:
    name: str
    label: str
    sensitive: bool
    value: str


def define_form(
    ctx: Context,
    workspace_id: UUID,
    inbox_id: UUID,
    name: str,
    fields: list[dict[str, Any]],
    actor_id: UUID | None,
) -> UUID:
    """Defines a form whose submissions arrive in a web-form inbox.

    Raises NotFoundError (inbox) and InvalidInputError (bad fields, or an inbox
    of another channel)."""
    inbox = require_inbox(ctx, workspace_id, inbox_id)
    if inbox.channel != Channel.WEBFORM:
        raise InvalidInputError(
            f"inbox {inbox_id} is a {inbox.channel} inbox; forms need a webform one"
        )
    form = Form(
        aggregate_id=uuid4(),
        workspace_id=workspace_id,
        inbox_id=inbox_id,
        name=_checked_name(name),
        fields=_checked(fields),
        actor_id=actor_id,
    )
    ctx.save(form)
    return form.id


def change_form(
    ctx: Context,
    workspace_id: UUID,
    form_id: UUID,
    name: str,
    fields: list[dict[str, Any]],
    actor_id: UUID | None,
) -> int:
    """Replaces a form's name and fields; returns the new version. Cases already
    submitted keep the fields they were submitted with."""
    form = require_form(ctx, workspace_id, form_id)
    form.change_fields(
        name=_checked_name(name), fields=_checked(fields), actor_id=actor_id
    )
    ctx.save(form)
    return int(form.version)


def require_form(ctx: Context, workspace_id: UUID, form_id: UUID) -> Form:
    try:
        form = ctx.store.get(form_id)
    except AggregateNotFoundError:
        raise NotFoundError("form", form_id) from None
    if not isinstance(form, Form) or form.workspace_id != workspace_id:
        raise NotFoundError("form", form_id)
    return form


def list_forms(ctx: Context, workspace_id: UUID) -> list[FormRecord]:
    if ctx.anonymisation_views is None:
        return []
    return ctx.anonymisation_views.forms(workspace_id)


def submit_form(
    ctx: Context,
    workspace_id: UUID,
    form_id: UUID,
    values: Mapping[str, str],
    *,
    submission_id: str | None = None,
    submitted_at: dt.datetime | None = None,
) -> IngestResult:
    """Turns one submission into a new case in the form's inbox.

    Fields with a role become the customer's identity, name or the message body;
    the others keep their names, labels and sensitive flags on the case. The
    same submission id twice adds nothing. Raises NotFoundError and
    InvalidInputError (unknown fields, missing required ones)."""
    form = require_form(ctx, workspace_id, form_id)
    unknown = sorted(set(values) - {f["name"] for f in form.fields})
    if unknown:
        raise InvalidInputError(f"fields not in the form: {', '.join(unknown)}")
    given = {name: value for name, value in values.items() if value.strip()}
    missing = [
        f["name"] for f in form.fields if f["required"] and f["name"] not in given
    ]
    if missing:
        raise InvalidInputError(f"required fields missing: {', '.join(missing)}")
    too_long = sorted(name for name, value in given.items() if len(value) > MAX_VALUE)
    if too_long:
        raise InvalidInputError(f"values too long: {', '.join(too_long)}")
    by_role = {f["role"]: given.get(f["name"]) for f in form.fields if f["role"]}
    identities = tuple(
        (role, value)
        for role in (FieldRole.EMAIL.value, FieldRole.PHONE.value)
        if (value := by_role.get(role))
    )
    reference = submission_id or str(uuid4())
    name = by_role.get(FieldRole.NAME.value)
    message = ImportedMessage(
        external_id=f"form/{form_id}/{reference}",
        direction="inbound",
        author=name or "web form",
        author_address=None,
        body=by_role.get(FieldRole.MESSAGE.value) or "",
        sent_at=submitted_at,
        subject=form.name,
        form=ImportedForm(
            form_id=form.id,
            form_version=int(form.version),
            values=tuple(
                ImportedFormValue(
                    f["name"], f["label"], f["sensitive"], given[f["name"]]
                )
                for f in form.fields
                if not f["role"] and f["name"] in given
            ),
        ),
    )
    dialog = ImportedDialog(
        # Every submission is a thread of its own: a new case.
        thread_key=f"form/{form_id}/{reference}",
        channel=Channel.WEBFORM.value,
        subject=ImportedSubject(identities=identities, name=name),
        messages=(message,),
    )
    try:
        return ingest_dialog(ctx, workspace_id, form.inbox_id, dialog)
    except DomainError as error:
        raise InvalidInputError(str(error)) from error


def submitted_fields(
    ctx: Context, case_id: UUID, reader: ReadContext
) -> dict[UUID, list[SubmittedField]]:
    """The form fields of a case's messages, as an audited read of the case."""
    summary = require_case(ctx, reader.actor.workspace_id, case_id)
    record_read(ctx, summary, reader)
    case: Case = ctx.store.get(case_id)
    return {
        message_id: [
            SubmittedField(f["name"], f["label"], f["sensitive"], f["value"].text())
            for f in fields
        ]
        for message_id, fields in case.form_fields.items()
    }


def _checked(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        return check_fields(fields)
    except (DomainError, TypeError) as error:
        raise InvalidInputError(str(error)) from error


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInputError("a form needs a name of 1 to 200 characters")
    return name
