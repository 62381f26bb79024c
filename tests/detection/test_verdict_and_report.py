from __future__ import annotations

import json

import pytest

from domain.sensitivity import Category, Finding
from infrastructure.detection import RuleBasedDetector, case_verdict, format_findings


def test_ordinary_data_only_is_not_sensitive() -> None:
    findings = [
        Finding(Category.PERSON, 0, 4, "person.full_name", 0.9),
        Finding(Category.EMAIL_ADDRESS, 5, 10, "email.pattern", 0.95),
    ]
    verdict = case_verdict(findings)
    assert (verdict.sensitive, verdict.categories, verdict.rules) == (False, (), ())


def test_weak_sensitive_finding_is_not_sensitive() -> None:
    findings = [Finding(Category.NO_NATIONAL_ID, 0, 11, "no_id.x", 0.4)]
    assert not case_verdict(findings).sensitive


def test_sensitive_findings_list_categories_and_rules_once() -> None:
    findings = [
        Finding(Category.HEALTH, 0, 4, "lexicon.health.nb", 0.6),
        Finding(Category.HEALTH, 6, 9, "lexicon.health.nb", 0.9),
        Finding(Category.IBAN, 10, 25, "iban.mod97", 0.95),
        Finding(Category.PERSON, 30, 34, "person.cue", 0.8),
    ]
    verdict = case_verdict(findings)
    assert verdict.sensitive
    assert verdict.categories == (Category.HEALTH, Category.IBAN)
    assert verdict.rules == ("iban.mod97", "lexicon.health.nb")


def test_json_report_round_trips(detector: RuleBasedDetector) -> None:
    text = "Jeg har diabetes, ring 912 34 567"
    findings = detector.scan(text)
    document = json.loads(
        format_findings(text, findings, case_verdict(findings), "json")
    )
    assert document["sensitive"] is True
    assert document["categories"] == ["HEALTH"]
    assert [f["text"] for f in document["findings"]] == ["diabetes", "912 34 567"]


def test_text_report_names_verdict_and_findings(detector: RuleBasedDetector) -> None:
    text = "Jeg har diabetes"
    findings = detector.scan(text)
    report = format_findings(text, findings, case_verdict(findings), "text")
    assert report.splitlines()[0] == "Sensitive: yes (HEALTH)"
    assert "'diabetes'" in report


def test_text_report_of_clean_text_says_so() -> None:
    report = format_findings("Hei", [], case_verdict([]), "text")
    assert report.splitlines() == ["Sensitive: no", "No findings."]


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        format_findings("x", [], case_verdict([]), "xml")  # type: ignore[arg-type]
