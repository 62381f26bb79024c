"""Routes of web forms (issue 5.2): defining and changing forms, receiving
submissions as cases, and reading a case's submitted fields (an audited read)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from application import forms
from domain.model import Role
from interface.api.deps import STAFF, Ctx, User, in_workspace, read_context

router = APIRouter(tags=["forms"])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldIn(_Strict):
    name: str = Field(min_length=1, max_length=64)
    label: str = Field(default="", max_length=200)
    placeholder: str = Field(default="", max_length=200)
    required: bool = False
    hidden: bool = False
    sensitive: bool = Field(
        default=False, description="Removed entirely when the case is anonymised."
    )
    role: str | None = Field(
        default=None,
        description="email, phone or name (the customer's profile) or message "
        "(the message body); fields without a role keep their structure.",
    )


class FormIn(_Strict):
    inbox_id: UUID
    name: str = Field(min_length=1, max_length=200)
    fields: list[FieldIn] = Field(min_length=1, max_length=100)


class FormChangeIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    fields: list[FieldIn] = Field(min_length=1, max_length=100)


class FormOut(BaseModel):
    form_id: UUID
    inbox_id: UUID
    name: str
    version: int
    fields: list[dict[str, Any]]
    changed_at: dt.datetime | None = None


class SubmissionIn(_Strict):
    values: dict[str, str]
    submission_id: str | None = Field(
        default=None,
        max_length=200,
        description="The form's own id for this submission: sending it twice "
        "adds nothing.",
    )
    submitted_at: dt.datetime | None = None


class SubmissionOut(BaseModel):
    case_id: UUID
    subject_id: UUID
    opened: bool
    messages_added: int
    flagged: list[str]


class SubmittedFieldOut(BaseModel):
    message_id: UUID
    name: str
    label: str
    sensitive: bool
    value: str


@router.post(
    "/v1/workspaces/{workspace_id}/forms", status_code=201, response_model=FormOut
)
def define_form(workspace_id: UUID, body: FormIn, user: User, ctx: Ctx) -> FormOut:
    """Defines a form for a web-form inbox (administrators)."""
    in_workspace(user, workspace_id, Role.ADMINISTRATOR)
    fields = [field.model_dump() for field in body.fields]
    form_id = forms.define_form(
        ctx, workspace_id, body.inbox_id, body.name, fields, user.user_id
    )
    return _form_out(forms.require_form(ctx, workspace_id, form_id))


@router.put("/v1/workspaces/{workspace_id}/forms/{form_id}", response_model=FormOut)
def change_form(
    workspace_id: UUID, form_id: UUID, body: FormChangeIn, user: User, ctx: Ctx
) -> FormOut:
    """Replaces a form's name and fields (a new version, recorded as an event).
    Cases submitted before keep the fields they arrived with."""
    in_workspace(user, workspace_id, Role.ADMINISTRATOR)
    fields = [field.model_dump() for field in body.fields]
    forms.change_form(ctx, workspace_id, form_id, body.name, fields, user.user_id)
    return _form_out(forms.require_form(ctx, workspace_id, form_id))


@router.get("/v1/workspaces/{workspace_id}/forms", response_model=list[FormOut])
def list_forms(workspace_id: UUID, user: User, ctx: Ctx) -> list[FormOut]:
    """Lists the workspace's forms with their current definitions."""
    in_workspace(user, workspace_id, *Role)
    return [
        FormOut(
            form_id=f.form_id,
            inbox_id=f.inbox_id,
            name=f.name,
            version=f.version,
            fields=[dict(field) for field in f.fields],
            changed_at=f.changed_at,
        )
        for f in forms.list_forms(ctx, workspace_id)
    ]


@router.post(
    "/v1/workspaces/{workspace_id}/forms/{form_id}/submissions",
    status_code=201,
    response_model=SubmissionOut,
)
def submit_form(
    workspace_id: UUID, form_id: UUID, body: SubmissionIn, user: User, ctx: Ctx
) -> SubmissionOut:
    """Receives a submission: it becomes a new case of the web-form channel that
    keeps the field structure. 422 for unknown or missing required fields."""
    in_workspace(user, workspace_id, *STAFF)
    result = forms.submit_form(
        ctx,
        workspace_id,
        form_id,
        body.values,
        submission_id=body.submission_id,
        submitted_at=body.submitted_at,
    )
    return SubmissionOut(
        case_id=result.case_id,
        subject_id=result.subject_id,
        opened=result.opened,
        messages_added=result.messages_added,
        flagged=list(result.flagged),
    )


@router.get(
    "/v1/workspaces/{workspace_id}/cases/{case_id}/form-fields",
    response_model=list[SubmittedFieldOut],
)
def submitted_fields(
    workspace_id: UUID, case_id: UUID, user: User, ctx: Ctx, request: Request
) -> list[SubmittedFieldOut]:
    """A case's submitted form fields; recorded in the access log first."""
    in_workspace(user, workspace_id, *STAFF)
    found = forms.submitted_fields(
        ctx, case_id, read_context(user, request, "GET form fields")
    )
    return [
        SubmittedFieldOut(
            message_id=message_id,
            name=f.name,
            label=f.label,
            sensitive=f.sensitive,
            value=f.value,
        )
        for message_id, fields in found.items()
        for f in fields
    ]


def _form_out(form: Any) -> FormOut:
    return FormOut(
        form_id=form.id,
        inbox_id=form.inbox_id,
        name=form.name,
        version=form.version,
        fields=list(form.fields),
    )
