from __future__ import annotations

import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.sensitivity import Category
from infrastructure.detection import RuleBasedDetector, case_verdict
from tests.detection.helpers import categories, covered

ONE_MEGABYTE = 1_000_000


def _junk(size: int, seed: int) -> str:
    generator = random.Random(seed)
    return bytes(generator.getrandbits(8) for _ in range(size)).decode("latin-1")


def test_empty_text_gives_no_findings(detector: RuleBasedDetector) -> None:
    assert detector.scan("") == []


def test_non_string_input_gives_no_findings(detector: RuleBasedDetector) -> None:
    assert detector.scan(b"\x00\x01fnr 17912099997") == []  # type: ignore[arg-type]
    assert detector.scan(None) == []  # type: ignore[arg-type]


def test_one_megabyte_of_binary_junk_completes(detector: RuleBasedDetector) -> None:
    junk = _junk(ONE_MEGABYTE, seed=7)
    started = time.perf_counter()
    findings = detector.scan(junk)
    assert time.perf_counter() - started < 20
    assert all(0 <= f.start <= f.end <= len(junk) for f in findings)


@pytest.mark.parametrize(
    "unit",
    [".", "@", "1 ", "1.", "a@", "::", "-", "ab12 ", "Kari ", "jeg har ", "NO93 "],
)
def test_pathological_repetition_completes_quickly(
    detector: RuleBasedDetector, unit: str
) -> None:
    text = unit * (200_000 // len(unit))
    started = time.perf_counter()
    detector.scan(text)
    assert time.perf_counter() - started < 10


def test_time_grows_linearly_with_length(detector: RuleBasedDetector) -> None:
    message = "Hei! Jeg har diabetes, fnr 17912099997, ring 912 34 567. "
    small, large = message * 400, message * 4000
    detector.scan(small)
    started = time.perf_counter()
    detector.scan(small)
    small_time = time.perf_counter() - started
    started = time.perf_counter()
    detector.scan(large)
    large_time = time.perf_counter() - started
    assert large_time < small_time * 30


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_scans_without_raising(text: str) -> None:
    findings = RuleBasedDetector().scan(text)
    assert all(0 <= f.start <= f.end <= len(text) for f in findings)


def test_lone_surrogates_do_not_crash(detector: RuleBasedDetector) -> None:
    text = "fnr \ud800 17912099997 \udfff jeg har diabetes"
    assert categories(detector.scan(text)) == {
        Category.NO_NATIONAL_ID_SYNTHETIC,
        Category.HEALTH,
    }


@pytest.mark.parametrize(
    "written",
    [
        "１７９１２０９９９９７",  # fullwidth digits
        "179120\u200b99997",  # zero-width space
        "179120\u00a099997",  # no-break space
        "1791\u200d2099997",  # zero-width joiner
        "179120\u202f99997",  # narrow no-break space
        "١٧٩١٢٠٩٩٩٩٧",  # Arabic-Indic digits
    ],
)
def test_disguised_identity_number_is_found_with_original_span(
    detector: RuleBasedDetector, written: str
) -> None:
    text = f"Fødselsnummer:\u200b {written} takk"
    assert covered(text, detector.scan(text), Category.NO_NATIONAL_ID_SYNTHETIC) == [
        written
    ]


def test_spans_after_removed_characters_point_into_original(
    detector: RuleBasedDetector,
) -> None:
    text = (
        "\u200b\u200b" + "!" * 500 + " e-post: kari@eksempel.no \ufeff tlf 912 34 567"
    )
    findings = detector.scan(text)
    assert covered(text, findings, Category.EMAIL_ADDRESS) == ["kari@eksempel.no"]
    assert covered(text, findings, Category.PHONE_NUMBER) == ["912 34 567"]


def test_homoglyph_inside_term_still_matches(detector: RuleBasedDetector) -> None:
    text = "Jeg har diаbetes"  # a Cyrillic "а"
    assert covered(text, detector.scan(text), Category.HEALTH) == ["diаbetes"]


def test_mixed_scripts_keep_their_findings(detector: RuleBasedDetector) -> None:
    text = "Привет 你好 مرحبا — I have asthma, kort 4111 1111 1111 1111"
    verdict = case_verdict(detector.scan(text))
    assert verdict.categories == (Category.HEALTH, Category.PAYMENT_CARD)
