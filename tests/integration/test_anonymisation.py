"""Anonymisation on both stores: both modes, form fields, follow-through, bad
input, and a failure injected halfway (issue 5)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import pytest

from application import anonymisation as anon
from application import cases, erasure, forms, sensitivity
from application.errors import ConflictError, LegalHoldError, NotFoundError
from application.ports import AccessLogFilter, ImportedAttachment
from domain.model import case_profile_owner
from domain.personal_data import ERASED_MARKER
from infrastructure.bootstrap import Container
from infrastructure.identifiers import FixedClock
from tests.builders import World, dialog, world

FNR = "15076500565"
JOB = UUID("6a1f0c52-0d7e-4b8e-9a31-2f4c5e6d7b80")
HEALTH_BODY = (
    f"Hei, jeg er Kari Nordmann, fødselsnummer {FNR}. Jeg har diabetes og "
    "trenger hjelp. Ring meg på 412 34 567 eller skriv til kari@nordmann.test."
)


def _sensitive_closed_case(container: Container, w: World, **kw: Any) -> Any:
    ctx = container.context
    result = cases.ingest_dialog(
        ctx,
        w.workspace_id,
        w.inbox_id,
        dialog(
            email="kari@nordmann.test",
            body=HEALTH_BODY,
            attachments=(
                ImportedAttachment("sykemelding.pdf", "application/pdf", b"%PDF"),
            ),
            **kw,
        ),
    )
    sensitivity.flag_case(ctx, w.agent, result.case_id, ["HEALTH"], "diabetes")
    cases.tag_case(ctx, w.agent, result.case_id, ["billing"], ["Kari Nordmann"])
    cases.close_case(ctx, w.agent, result.case_id)
    return result


def _read(container: Container, w: World, case_id: Any) -> cases.CaseView:
    return cases.open_case(
        container.context, case_id, cases.ReadContext(w.agent, "test")
    )


def test_sensitive_case_is_redacted_and_its_originals_shredded(
    container: Container,
) -> None:
    ctx = container.context
    w = world(ctx)
    result = _sensitive_closed_case(container, w)

    outcome = anon.anonymise_case(
        ctx, w.workspace_id, result.case_id, reason="closed", actor_id=w.agent.user_id
    )
    view = _read(container, w, result.case_id)

    body = view.messages[0].body
    assert outcome.mode == "sensitive"
    assert "Kari" not in body and FNR not in body and "diabetes" not in body
    assert "<NO_NATIONAL_ID>" in body and "<HEALTH>" in body and "<PERSON>" in body
    assert view.messages[0].author == "<CUSTOMER>"
    assert view.messages[0].attachments == ()
    assert view.tags == ("billing",)
    assert view.profile == {}
    assert view.subject_id is None
    assert outcome.attachments_removed == 1
    assert outcome.personal_tags_removed == 1
    assert (
        ctx.shredder.count_keys([result.case_id, case_profile_owner(result.case_id)])
        == 0
    )


def test_other_case_loses_profile_and_subject_but_keeps_text(
    container: Container,
) -> None:
    ctx = container.context
    w = world(ctx)
    result = cases.ingest_dialog(
        ctx, w.workspace_id, w.inbox_id, dialog(body="Where is my parcel?")
    )
    cases.close_case(ctx, w.agent, result.case_id)

    outcome = anon.anonymise_case(
        ctx, w.workspace_id, result.case_id, reason="done", actor_id=w.agent.user_id
    )
    view = _read(container, w, result.case_id)

    assert outcome.mode == "profile"
    assert view.messages[0].body == "Where is my parcel?"
    assert view.messages[0].author == ERASED_MARKER
    assert view.profile == {}
    assert view.subject_id is None
    assert outcome.subject_erased


def test_subject_with_other_cases_is_kept_and_unlinked(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    first = cases.ingest_dialog(
        ctx, w.workspace_id, w.inbox_id, dialog(email="same@example.test")
    )
    second = cases.ingest_dialog(
        ctx, w.workspace_id, w.inbox_id, dialog(email="same@example.test")
    )
    cases.close_case(ctx, w.agent, first.case_id)

    outcome = anon.anonymise_case(
        ctx, w.workspace_id, first.case_id, reason="done", actor_id=None
    )

    assert not outcome.subject_erased
    assert [
        c.case_id for c in ctx.views.cases(w.workspace_id, subject_id=second.subject_id)
    ] == [second.case_id]


def test_statistics_survive_anonymisation(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    result = _sensitive_closed_case(container, w)

    anon.anonymise_case(ctx, w.workspace_id, result.case_id, reason="r", actor_id=None)
    summary = ctx.views.case_summary(result.case_id)
    record = ctx.anonymisation_views.anonymisation(result.case_id)  # type: ignore[union-attr]

    assert summary is not None and record is not None
    assert (summary.channel, summary.inbox_id) == ("email", w.inbox_id)
    assert summary.tags == ("billing",)
    assert summary.categories == ("HEALTH",)
    assert summary.message_count == 1
    assert summary.closed_at is not None
    assert summary.anonymised_mode == "sensitive"
    assert record.characters_before == len(HEALTH_BODY)
    assert record.characters_after > 0
    assert record.redactions >= 4


def test_access_log_keeps_entries_and_records_the_anonymisation(
    container: Container,
) -> None:
    ctx = container.context
    w = world(ctx)
    result = _sensitive_closed_case(container, w)
    _read(container, w, result.case_id)

    anon.anonymise_case(
        ctx, w.workspace_id, result.case_id, reason="r", actor_id=w.agent.user_id
    )
    ctx.views.catch_up()
    entries = ctx.views.access_log(
        AccessLogFilter(w.workspace_id, case_id=result.case_id)
    )
    subject = ctx.store.get(result.subject_id)

    assert "case.read" in [e.action for e in entries]
    assert entries[-1].action == "case.anonymised"
    assert entries[-1].subject_id is None
    assert subject.erased


def test_customer_writing_again_gets_a_new_unlinked_case(
    container: Container,
) -> None:
    ctx = container.context
    w = world(ctx)
    first = _sensitive_closed_case(container, w, thread="t-again")
    anon.anonymise_case(ctx, w.workspace_id, first.case_id, reason="r", actor_id=None)

    again = cases.ingest_dialog(
        ctx,
        w.workspace_id,
        w.inbox_id,
        dialog(email="kari@nordmann.test", thread="t-again"),
    )

    assert again.case_id != first.case_id
    assert again.subject_id != first.subject_id
    assert ctx.views.case_summary(first.case_id).subject_id is None  # type: ignore[union-attr]


def test_anonymised_case_cannot_be_reopened(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    result = _sensitive_closed_case(container, w)
    anon.anonymise_case(ctx, w.workspace_id, result.case_id, reason="r", actor_id=None)

    with pytest.raises(ConflictError):
        cases.reopen_case(ctx, w.agent, result.case_id)


# Bad input


def test_anonymising_twice_is_a_conflict(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    result = _sensitive_closed_case(container, w)
    anon.anonymise_case(ctx, w.workspace_id, result.case_id, reason="r", actor_id=None)

    with pytest.raises(anon.AlreadyAnonymisedError):
        anon.anonymise_case(
            ctx, w.workspace_id, result.case_id, reason="r", actor_id=None
        )


def test_open_case_needs_confirmation(container: Container) -> None:
    ctx = container.context
    w = world(ctx)
    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())

    with pytest.raises(anon.OpenCaseError):
        anon.anonymise_case(
            ctx, w.workspace_id, result.case_id, reason="r", actor_id=None
        )
    confirmed = anon.anonymise_case(
        ctx, w.workspace_id, result.case_id, reason="r", actor_id=None, allow_open=True
    )

    assert confirmed.mode == "profile"
    assert ctx.views.case_summary(result.case_id).status == "closed"  # type: ignore[union-attr]


def test_case_of_another_workspace_is_not_found(container: Container) -> None:
    ctx = container.context
    mine, theirs = world(ctx), world(ctx)
    result = _sensitive_closed_case(container, theirs)

    with pytest.raises(NotFoundError):
        anon.anonymise_case(
            ctx, mine.workspace_id, result.case_id, reason="r", actor_id=None
        )
    assert ctx.store.get(result.case_id).anonymisation_mode is None


class _Boom(Exception):
    pass


def _explode(*_: Any, **__: Any) -> Any:
    raise _Boom


def test_failure_while_storing_leaves_the_case_untouched(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = container.context
    w = world(ctx)
    result = _sensitive_closed_case(container, w)

    def failing_save(*_: Any, **__: Any) -> None:
        raise _Boom

    monkeypatch.setattr(ctx.store, "save", failing_save)
    with pytest.raises(_Boom):
        anon.anonymise_case(
            ctx, w.workspace_id, result.case_id, reason="r", actor_id=None
        )
    monkeypatch.undo()
    view = _read(container, w, result.case_id)

    assert view.messages[0].body == HEALTH_BODY
    assert view.profile["name"] == "Kari Nordmann"
    assert ctx.store.get(result.case_id).anonymisation_mode is None


def test_crash_after_the_event_is_finished_by_the_next_catch_up(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = container.context
    w = world(ctx)
    result = _sensitive_closed_case(container, w)

    def crash(*_: Any, **__: Any) -> int:
        raise _Boom

    # The process dies after the event is stored: no catch-up, no shredding.
    monkeypatch.setattr(ctx.views, "catch_up", crash)
    with pytest.raises(_Boom):
        anon.anonymise_case(
            ctx, w.workspace_id, result.case_id, reason="r", actor_id=None
        )
    monkeypatch.undo()
    ctx.views.catch_up()
    view = _read(container, w, result.case_id)

    assert ctx.shredder.count_keys([result.case_id]) == 0
    assert "diabetes" not in view.messages[0].body
    assert view.messages[0].body.count("<") >= 3


# Forms


def _form_world(container: Container) -> tuple[World, Any]:
    ctx = container.context
    w = world(ctx, channel="webform")
    form_id = forms.define_form(
        ctx,
        w.workspace_id,
        w.inbox_id,
        "Contact",
        [
            {"name": "email", "role": "email", "required": True},
            {"name": "full_name", "role": "name"},
            {"name": "message", "role": "message"},
            {"name": "order", "label": "Order number"},
            {"name": "diagnosis", "sensitive": True},
            {"name": "member_no", "hidden": True},
        ],
        w.admin.user_id,
    )
    return w, form_id


def test_form_submission_keeps_field_structure(container: Container) -> None:
    ctx = container.context
    w, form_id = _form_world(container)

    result = forms.submit_form(
        ctx,
        w.workspace_id,
        form_id,
        {
            "email": "ola@example.test",
            "full_name": "Ola Nordmann",
            "message": "Please call me",
            "order": "A-1001",
            "diagnosis": "astma",
        },
    )
    fields = forms.submitted_fields(
        ctx, result.case_id, cases.ReadContext(w.agent, "test")
    )

    assert result.opened
    assert ctx.views.case_summary(result.case_id).channel == "webform"  # type: ignore[union-attr]
    assert [(f.name, f.value, f.sensitive) for f in next(iter(fields.values()))] == [
        ("order", "A-1001", False),
        ("diagnosis", "astma", True),
    ]


def test_sensitive_and_always_removed_fields_go_in_profile_mode(
    container: Container,
) -> None:
    ctx = container.context
    w, form_id = _form_world(container)
    anon.set_always_removed_fields(ctx, w.workspace_id, ["member_no"], None)
    result = forms.submit_form(
        ctx,
        w.workspace_id,
        form_id,
        {
            "email": "ola@example.test",
            "message": "Hello",
            "order": "A-1002",
            "diagnosis": "astma",
            "member_no": "M-77",
        },
    )

    outcome = anon.anonymise_case(
        ctx, w.workspace_id, result.case_id, reason="r", actor_id=None, allow_open=True
    )
    fields = forms.submitted_fields(
        ctx, result.case_id, cases.ReadContext(w.agent, "test")
    )

    assert outcome.fields_removed == 2
    assert [(f.name, f.value) for f in next(iter(fields.values()))] == [
        ("order", "A-1002")
    ]


def test_submission_missing_a_required_field_writes_nothing(
    container: Container,
) -> None:
    ctx = container.context
    w, form_id = _form_world(container)

    with pytest.raises(Exception, match="required"):
        forms.submit_form(ctx, w.workspace_id, form_id, {"message": "hi"})
    assert ctx.views.cases(w.workspace_id) == []


def test_changing_a_form_is_a_new_version(container: Container) -> None:
    ctx = container.context
    w, form_id = _form_world(container)

    version = forms.change_form(
        ctx,
        w.workspace_id,
        form_id,
        "Contact us",
        [{"name": "email", "role": "email"}, {"name": "topic", "required": True}],
        w.admin.user_id,
    )
    listed = forms.list_forms(ctx, w.workspace_id)

    assert version == 2
    assert [(f.name, f.version, len(f.fields)) for f in listed] == [
        ("Contact us", 2, 2)
    ]


# Bulk


def test_bulk_job_anonymises_matching_closed_cases_once(
    container: Container, clock: FixedClock
) -> None:
    ctx = container.context
    w = world(ctx)
    old = [_sensitive_closed_case(container, w) for _ in range(3)]
    clock.advance(dt.timedelta(days=40))
    recent = _sensitive_closed_case(container, w)
    still_open = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())
    cutoff = clock.now() - dt.timedelta(days=30)

    outcome = anon.anonymise_closed_cases(
        ctx,
        w.workspace_id,
        tag="billing",
        closed_before=cutoff,
        inbox_id=w.inbox_id,
        reason="retention",
        actor_id=None,
    )
    again = anon.anonymise_closed_cases(
        ctx, w.workspace_id, closed_before=cutoff, reason="retention", actor_id=None
    )

    assert (outcome.total, outcome.anonymised, outcome.finished) == (3, 3, True)
    assert again.total == 0
    assert ctx.views.case_summary(recent.case_id).anonymised_mode is None  # type: ignore[union-attr]
    assert ctx.views.case_summary(still_open.case_id).anonymised_mode is None  # type: ignore[union-attr]
    assert {ctx.views.case_summary(r.case_id).anonymised_mode for r in old} == {  # type: ignore[union-attr]
        "sensitive"
    }


def test_crashed_bulk_job_resumes_without_acting_twice(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = container.context
    w = world(ctx)
    for _ in range(3):
        _sensitive_closed_case(container, w)
    behaviours = iter([anon._anonymise, _explode])

    def dies_on_the_second_case(*args: Any, **kwargs: Any) -> Any:
        return next(behaviours)(*args, **kwargs)

    monkeypatch.setattr(anon, "_anonymise", dies_on_the_second_case)
    with pytest.raises(_Boom):
        anon.anonymise_closed_cases(
            ctx, w.workspace_id, reason="retention", actor_id=None, job_id=JOB
        )
    monkeypatch.undo()
    progress: list[anon.JobProgress] = []
    resumed = anon.anonymise_closed_cases(
        ctx,
        w.workspace_id,
        reason="retention",
        actor_id=None,
        job_id=JOB,
        on_progress=progress.append,
    )
    record = ctx.anonymisation_views.job(JOB)  # type: ignore[union-attr]

    assert (resumed.total, resumed.anonymised, resumed.skipped) == (3, 3, 0)
    assert [p.done for p in progress] == [2, 3]
    assert record is not None and (record.status, record.anonymised) == ("finished", 3)


def test_hold_on_the_customer_refuses_anonymising_their_cases(
    container: Container,
) -> None:
    ctx = container.context
    w = world(ctx)
    result = _sensitive_closed_case(container, w)
    erasure.place_subject_hold(
        ctx, w.workspace_id, result.subject_id, "litigation", w.admin.user_id
    )

    with pytest.raises(LegalHoldError):
        anon.anonymise_case(
            ctx, w.workspace_id, result.case_id, reason="closed", actor_id=None
        )
    assert not ctx.store.get(result.case_id).is_anonymised
