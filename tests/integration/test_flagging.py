"""Sensitivity flags on both stores: on arrival, by hand, and on re-scan."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from application import cases, sensitivity
from application.errors import InvalidInputError
from application.ports import AccessLogFilter
from infrastructure.bootstrap import Container, build
from infrastructure.detection import RuleBasedDetector
from infrastructure.identifiers import FixedClock
from infrastructure.settings import Settings
from interface.api.app import create_app
from interface.cli import app as cli
from tests.builders import dialog, world

HEALTH_NB = "Hei, jeg har diabetes og trenger å endre leveringen."
HARMLESS = "I'm sick of waiting for my parcel, it is a party for the kids."
FNR = "Fødselsnummeret mitt er 15507600333."


@pytest.fixture
def flagging(settings: Settings, clock: FixedClock) -> Iterator[Container]:
    wired = build(settings, clock=clock, detector=RuleBasedDetector())
    yield wired
    wired.close()


def test_message_with_health_data_flags_case_on_arrival(flagging: Container) -> None:
    ctx = flagging.context
    w = world(ctx)

    result = cases.ingest_dialog(
        ctx, w.workspace_id, w.inbox_id, dialog(body=HEALTH_NB)
    )

    view = cases.open_case(ctx, result.case_id, cases.ReadContext(w.agent, "test"))
    assert result.flagged == ("HEALTH",)
    assert (view.sensitive, view.categories, view.flag_source) == (
        True,
        ("HEALTH",),
        "automatic",
    )
    assert view.flag_rules  # the rule that fired, never the matched value
    assert all("diabetes" not in rule for rule in view.flag_rules)


def test_everyday_phrases_leave_case_unflagged(flagging: Container) -> None:
    ctx = flagging.context
    w = world(ctx)

    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog(body=HARMLESS))

    assert result.flagged == ()
    assert not ctx.views.case_summary(result.case_id).sensitive  # type: ignore[union-attr]


def test_manual_unflag_stands_against_rescan_but_not_new_findings(
    flagging: Container,
) -> None:
    ctx = flagging.context
    w = world(ctx)
    first = cases.ingest_dialog(
        ctx, w.workspace_id, w.inbox_id, dialog(body=HEALTH_NB, thread="t")
    )
    sensitivity.unflag_case(ctx, w.agent, first.case_id, "customer's own product name")

    outcome = sensitivity.rescan(ctx, w.workspace_id)
    after_rescan = ctx.views.case_summary(first.case_id)
    again = cases.ingest_dialog(
        ctx, w.workspace_id, w.inbox_id, dialog(body=FNR, thread="t")
    )

    assert (outcome.kept_manual, outcome.flagged) == (1, 0)
    assert after_rescan is not None and not after_rescan.sensitive
    assert again.case_id == first.case_id
    assert again.flagged == ("NO_NATIONAL_ID",)


def test_rescan_flags_cases_imported_before_the_detector(
    settings: Settings, clock: FixedClock
) -> None:
    plain = build(settings, clock=clock, use_default_detector=False)
    w = world(plain.context)
    result = cases.ingest_dialog(
        plain.context, w.workspace_id, w.inbox_id, dialog(body=HEALTH_NB)
    )
    plain.close()
    scanning = build(settings, clock=clock, detector=RuleBasedDetector())

    first = sensitivity.rescan(scanning.context, w.workspace_id)
    second = sensitivity.rescan(scanning.context, w.workspace_id)
    summary = scanning.views.case_summary(result.case_id)
    scanning.close()

    assert (first.scanned, first.flagged) == (1, 1)
    assert (second.flagged, second.unflagged) == (0, 0)  # only changes are recorded
    assert summary is not None and summary.categories == ("HEALTH",)


def test_manual_flag_needs_known_categories_and_a_reason(flagging: Container) -> None:
    ctx = flagging.context
    w = world(ctx)
    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog(body=HARMLESS))

    with pytest.raises(InvalidInputError):
        sensitivity.flag_case(ctx, w.agent, result.case_id, ["NOT_A_CATEGORY"], "x")
    with pytest.raises(InvalidInputError):
        sensitivity.flag_case(ctx, w.agent, result.case_id, ["HEALTH"], "  ")


def test_api_flag_and_unflag_are_shown_and_logged(flagging: Container) -> None:
    ctx = flagging.context
    w = world(ctx)
    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog(body=HARMLESS))
    client = TestClient(create_app(flagging))
    headers = {"Authorization": f"Bearer {w.agent_token}"}
    base = f"/v1/workspaces/{w.workspace_id}/cases/{result.case_id}"

    flagged = client.post(
        f"{base}/flag",
        headers=headers,
        json={"categories": ["RELIGION"], "reason": "told by phone"},
    )
    shown = client.get(base, headers=headers).json()
    unflagged = client.post(f"{base}/unflag", headers=headers, json={"reason": "no"})
    refused = client.post(f"{base}/unflag", headers=headers, json={"reason": "no"})

    assert (flagged.status_code, unflagged.status_code, refused.status_code) == (
        204,
        204,
        409,
    )
    assert (
        shown["sensitive"],
        shown["categories"],
        shown["flag_source"],
        shown["flag_reason"],
    ) == (True, ["RELIGION"], "manual", "told by phone")
    ctx.views.catch_up()
    actions = [
        e.action
        for e in ctx.views.access_log(
            AccessLogFilter(w.workspace_id, case_id=result.case_id)
        )
    ]
    assert actions == ["case.flagged", "case.read", "case.unflagged"]


def test_cli_detect_prints_findings_and_verdict_as_json() -> None:
    result = CliRunner().invoke(cli, ["detect", "--format", "json"], input=FNR)

    report = json.loads(result.output)
    assert result.exit_code == 0
    assert report["sensitive"] is True
    assert report["categories"] == ["NO_NATIONAL_ID"]
