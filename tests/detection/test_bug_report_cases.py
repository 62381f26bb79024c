"""Every row of section 11 of the notes (test cases from public bug reports).

Two rows concern the anonymiser and settings rather than detection (presidio
#1845 salted hashing, PR #2273 salt type); for those the detector's share is
tested: it delivers the e-mail span that the anonymiser later hashes.
"""

from __future__ import annotations

import time

import pytest

from domain.sensitivity import Category
from infrastructure.detection import RuleBasedDetector, classify_national_id
from tests.detection.helpers import categories, covered


def test_phone_grouped_norwegian_style_is_found(detector: RuleBasedDetector) -> None:
    text = "Ring meg på 912 34 567"
    assert covered(text, detector.scan(text), Category.PHONE_NUMBER) == ["912 34 567"]


def test_phone_glued_to_keyword_is_found(detector: RuleBasedDetector) -> None:
    text = "tlf91234567"
    assert covered(text, detector.scan(text), Category.PHONE_NUMBER) == ["91234567"]


def test_card_number_gives_exactly_one_finding(detector: RuleBasedDetector) -> None:
    text = "Kortnummer 6011577631711174"
    findings = detector.scan(text)
    assert [(f.category, text[f.start : f.end]) for f in findings] == [
        (Category.PAYMENT_CARD, "6011577631711174")
    ]


def test_mastercard_two_series_is_a_card(detector: RuleBasedDetector) -> None:
    text = "kort 2221 0000 0000 0009"
    findings = detector.scan(text)
    assert covered(text, findings, Category.PAYMENT_CARD) == ["2221 0000 0000 0009"]
    assert len(findings) == 1


def test_card_before_domain_suffix_keeps_its_own_span(
    detector: RuleBasedDetector,
) -> None:
    text = "4151 3217 6243 3448.com"
    findings = detector.scan(text)
    assert covered(text, findings, Category.PAYMENT_CARD) == ["4151 3217 6243 3448"]
    assert len(findings) == 1


def test_space_separated_emails_stay_separate(detector: RuleBasedDetector) -> None:
    text = "kontakt@eksempel.no support@eksempel.org admin@eksempel.net"
    assert covered(text, detector.scan(text), Category.EMAIL_ADDRESS) == [
        "kontakt@eksempel.no",
        "support@eksempel.org",
        "admin@eksempel.net",
    ]


def test_email_to_be_hashed_is_one_span(detector: RuleBasedDetector) -> None:
    text = "ola@eksempel.no"
    findings = detector.scan(text)
    assert [(f.category, f.start, f.end) for f in findings] == [
        (Category.EMAIL_ADDRESS, 0, len(text))
    ]


def test_title_before_surname_finds_person(detector: RuleBasedDetector) -> None:
    text = "Dr. Hansen"
    assert covered(text, detector.scan(text), Category.PERSON) == ["Hansen"]


def test_union_before_full_stop_is_found(detector: RuleBasedDetector) -> None:
    text = "medlem av Fagforbundet."
    assert covered(text, detector.scan(text), Category.TRADE_UNION) == ["Fagforbundet"]


def test_labelled_iban_is_iban_only(detector: RuleBasedDetector) -> None:
    text = "IBAN: NO93 8601 1117 947"
    findings = detector.scan(text)
    assert [(f.category, text[f.start : f.end]) for f in findings] == [
        (Category.IBAN, "NO93 8601 1117 947")
    ]


@pytest.mark.parametrize(
    "iban",
    [
        "NO93 8601 1117 947",
        "NO93-8601-1117-947",
        "NO9386011117947",
        "no93 8601 1117 947",
    ],
)
def test_iban_with_spaces_dashes_or_lower_case_is_found(
    detector: RuleBasedDetector, iban: str
) -> None:
    text = f"Send it to {iban} please"
    assert covered(text, detector.scan(text), Category.IBAN) == [iban]


def test_customer_number_is_no_person(detector: RuleBasedDetector) -> None:
    assert detector.scan("Kundenummer 6033391") == []


def test_all_caps_name_is_a_person(detector: RuleBasedDetector) -> None:
    text = "KARI NORDMANN ringte"
    assert covered(text, detector.scan(text), Category.PERSON) == ["KARI NORDMANN"]


def test_name_and_email_side_by_side_get_separate_spans(
    detector: RuleBasedDetector,
) -> None:
    text = "Kari Nordmann - kari.nordmann@eksempel.no"
    findings = detector.scan(text)
    assert covered(text, findings, Category.PERSON) == ["Kari Nordmann"]
    assert covered(text, findings, Category.EMAIL_ADDRESS) == [
        "kari.nordmann@eksempel.no"
    ]


def test_account_keyword_raises_confidence(detector: RuleBasedDetector) -> None:
    with_keyword = detector.scan("kontonummer 8601 11 17947")
    without_keyword = detector.scan("Den står på 8601 11 17947")
    assert [f.category for f in with_keyword] == [Category.BANK_ACCOUNT]
    assert with_keyword[0].confidence > without_keyword[0].confidence


def test_three_thousand_dots_finish_quickly(detector: RuleBasedDetector) -> None:
    started = time.perf_counter()
    findings = detector.scan("." * 3000)
    assert findings == []
    assert time.perf_counter() - started < 0.5


def test_sentence_initial_word_after_greeting_is_no_person(
    detector: RuleBasedDetector,
) -> None:
    assert detector.scan("Hei. Takk for hjelpen") == []


def test_lower_case_name_after_introduction_is_one_person(
    detector: RuleBasedDetector,
) -> None:
    text = "dette er kari nordmann"
    assert covered(text, detector.scan(text), Category.PERSON) == ["kari nordmann"]


@pytest.mark.parametrize("value", ["1508-86-95O88", "19670-19-9535"])
def test_odd_separators_are_no_identity_number(
    detector: RuleBasedDetector, value: str
) -> None:
    assert classify_national_id(value) is None
    found = categories(detector.scan(f"fnr {value}"))
    assert Category.NO_NATIONAL_ID not in found


@pytest.mark.parametrize("number", ["11111598403", "23114048690"])
def test_remainder_zero_numbers_are_found(
    detector: RuleBasedDetector, number: str
) -> None:
    text = f"fødselsnummer {number}"
    assert covered(text, detector.scan(text), Category.NO_NATIONAL_ID) == [number]


@pytest.mark.parametrize("number", ["46879700922", "17912099997"])
def test_tenor_numbers_are_found_as_synthetic(
    detector: RuleBasedDetector, number: str
) -> None:
    text = f"Testbruker {number}"
    assert covered(text, detector.scan(text), Category.NO_NATIONAL_ID_SYNTHETIC) == [
        number
    ]


def test_nav_synthetic_number_is_found_as_h_number(
    detector: RuleBasedDetector,
) -> None:
    findings = detector.scan("Testbruker 15507600333")
    assert [(f.category, f.rule) for f in findings] == [
        (Category.NO_NATIONAL_ID, "no_id.h_number")
    ]


def test_2032_number_with_keyword_is_found(detector: RuleBasedDetector) -> None:
    findings = detector.scan("fnr 01013212380")
    assert [f.rule for f in findings] == ["no_id.fodselsnummer.scheme_2032"]
    assert findings[0].confidence >= 0.5


def test_2032_number_without_context_stays_below_verdict_threshold(
    detector: RuleBasedDetector,
) -> None:
    findings = detector.scan("Nummeret er 01013212380")
    assert [f.confidence < 0.5 for f in findings] == [True]


def test_fnr_shaped_account_is_typed_by_keyword(detector: RuleBasedDetector) -> None:
    text = "kontonummer 15108695088"
    assert categories(detector.scan(text)) == {Category.BANK_ACCOUNT}


def test_fnr_shaped_number_without_keyword_is_identity(
    detector: RuleBasedDetector,
) -> None:
    assert categories(detector.scan("Her: 11111598403")) == {Category.NO_NATIONAL_ID}


def test_email_is_one_span_not_a_url(detector: RuleBasedDetector) -> None:
    text = "cminh730@email.com"
    findings = detector.scan(text)
    assert [(f.category, f.start, f.end) for f in findings] == [
        (Category.EMAIL_ADDRESS, 0, len(text))
    ]
