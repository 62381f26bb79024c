"""`gdprkit cases anonymise` and `anonymise-closed` on both stores (issue 5)."""

from __future__ import annotations

import json
from uuid import UUID

import pytest

from application import cases, sensitivity
from infrastructure.bootstrap import build
from infrastructure.settings import Settings
from tests.builders import World, dialog, world
from tests.integration.test_cli import env, gdprkit, one_error_line

__all__ = ["env"]  # the fixture, imported for pytest

FNR = "15076500565"


def _seed(settings: Settings, *, close: bool, sensitive: bool) -> tuple[World, UUID]:
    container = build(settings, use_default_detector=False)
    try:
        ctx = container.context
        w = world(ctx)
        body = f"Kari Nordmann, fnr {FNR}, har diabetes."
        result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog(body=body))
        if sensitive:
            sensitivity.flag_case(ctx, w.agent, result.case_id, ["HEALTH"], "x")
        if close:
            cases.close_case(ctx, w.agent, result.case_id)
    finally:
        container.close()
    return w, result.case_id


def test_anonymise_prints_the_outcome(env: Settings) -> None:
    w, case_id = _seed(env, close=True, sensitive=True)

    result = gdprkit(
        "cases",
        "anonymise",
        str(case_id),
        "--reason",
        "closed",
        "--as",
        str(w.agent.user_id),
    )
    shown = gdprkit(
        "cases",
        "show",
        str(case_id),
        "--as",
        str(w.agent.user_id),
        "--purpose",
        "check",
    )

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["mode"] == "sensitive"
    assert FNR not in shown.stdout


def test_anonymise_open_case_without_confirmation_is_one_error_line(
    env: Settings,
) -> None:
    _, case_id = _seed(env, close=False, sensitive=False)

    refused = gdprkit("cases", "anonymise", str(case_id), "--reason", "x")
    confirmed = gdprkit(
        "cases", "anonymise", str(case_id), "--reason", "x", "--confirm-open"
    )

    assert "open" in one_error_line(refused)
    assert json.loads(confirmed.stdout)["mode"] == "profile"


def test_anonymise_twice_is_one_error_line(env: Settings) -> None:
    _, case_id = _seed(env, close=True, sensitive=False)
    gdprkit("cases", "anonymise", str(case_id), "--reason", "x")

    again = gdprkit("cases", "anonymise", str(case_id), "--reason", "x")

    assert "anonymised already" in one_error_line(again)


def test_anonymise_closed_runs_the_bulk_job(env: Settings) -> None:
    w, _ = _seed(env, close=True, sensitive=True)

    result = gdprkit(
        "cases",
        "anonymise-closed",
        "--reason",
        "retention",
        "--inbox",
        str(w.inbox_id),
        "--closed-before",
        "2999-01-01",
    )

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["anonymised"] == 1


@pytest.mark.parametrize("date", ["yesterday", "2026-13-01"])
def test_anonymise_closed_with_a_bad_date_is_one_error_line(
    env: Settings, date: str
) -> None:
    result = gdprkit(
        "cases", "anonymise-closed", "--reason", "r", "--closed-before", date
    )

    assert "ISO 8601" in one_error_line(result)
