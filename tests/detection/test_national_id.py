"""The identity-number classifier, against the notes and python-stdnum.

Committed numbers are synthetic (NAV, Tenor), constructed (FH, 2032) or taken
from public bug reports, since any other checksum-valid number may be a real
person's.
"""

from __future__ import annotations

import pytest
from faker import Faker
from hypothesis import given
from hypothesis import strategies as st
from stdnum.no import fodselsnummer

from infrastructure.detection.national_id import (
    IdKind,
    IdScheme,
    classify_national_id,
    is_valid_account_number,
)

NAV_SYNTHETIC = ["15507600333", "55507608360", "29422059278", "21528704651"]
TENOR_SYNTHETIC = [
    "17912099997",
    "57912075186",
    "29822099635",
    "12829499914",
    "52829400197",
    "21929774873",
    "46879700922",
]
CLASSIC_FROM_BUG_REPORTS = ["11111598403", "23114048690"]
D_AND_H = "68467038838"
FH_CONSTRUCTED = "81234567802"
SCHEME_2032 = ["01013212380", "01013212399"]


@pytest.mark.parametrize("number", NAV_SYNTHETIC)
def test_classify_nav_synthetic_is_h_number_or_synthetic(number: str) -> None:
    result = classify_national_id(number)
    assert result is not None
    assert result.kind in (IdKind.H_NUMBER_OR_NAV_SYNTHETIC, IdKind.D_AND_H_NUMBER)


@pytest.mark.parametrize("number", TENOR_SYNTHETIC)
def test_classify_tenor_number_is_synthetic(number: str) -> None:
    result = classify_national_id(number)
    assert result is not None
    assert result.kind is IdKind.TENOR_SYNTHETIC
    assert result.synthetic


@pytest.mark.parametrize("number", CLASSIC_FROM_BUG_REPORTS)
def test_classify_remainder_zero_check_digit_is_valid(number: str) -> None:
    result = classify_national_id(number)
    assert result is not None
    assert result.scheme is IdScheme.CLASSIC


def test_classify_d_and_h_number_gives_both_offsets_removed() -> None:
    result = classify_national_id(D_AND_H)
    assert result is not None
    assert result.kind is IdKind.D_AND_H_NUMBER
    assert result.birth_date is not None
    assert (result.birth_date.day, result.birth_date.month) == (28, 6)


def test_classify_fh_number_checks_digits_only() -> None:
    result = classify_national_id(FH_CONSTRUCTED)
    assert result is not None
    assert result.kind is IdKind.FH_NUMBER
    assert result.birth_date is None


@pytest.mark.parametrize("number", SCHEME_2032)
def test_classify_relaxed_first_check_digit_is_2032_scheme(number: str) -> None:
    result = classify_national_id(number)
    assert result is not None
    assert result.scheme is IdScheme.FROM_2032


@pytest.mark.parametrize(
    "value",
    ["1508-86-95O88", "19670-19-9535", "", "1234567890", "123456789012", "abc"],
)
def test_classify_odd_shapes_returns_none_without_raising(value: str) -> None:
    assert classify_national_id(value) is None


@pytest.mark.parametrize("value", [None, 11111598403, b"11111598403", ["1"]])
def test_classify_non_string_returns_none(value: object) -> None:
    assert classify_national_id(value) is None


@pytest.mark.parametrize("number", ["11111598404", "23114048691", "01019012345"])
def test_classify_wrong_check_digit_returns_none(number: str) -> None:
    assert classify_national_id(number) is None


def test_classify_fullwidth_digits_returns_none() -> None:
    # Folding digits is the detector's job; the classifier takes ASCII only.
    assert classify_national_id("１１１１１５９８４０３") is None


@pytest.mark.parametrize(
    "number", CLASSIC_FROM_BUG_REPORTS + NAV_SYNTHETIC[:1] + [D_AND_H]
)
def test_classic_numbers_agree_with_stdnum(number: str) -> None:
    assert fodselsnummer.is_valid(number)
    assert classify_national_id(number) is not None


@pytest.mark.parametrize("number", [TENOR_SYNTHETIC[-1], FH_CONSTRUCTED, *SCHEME_2032])
def test_numbers_stdnum_rejects_are_accepted_here(number: str) -> None:
    assert not fodselsnummer.is_valid(number)
    assert classify_national_id(number) is not None


@given(st.from_regex(r"\A[0-9]{11}\Z"))
def test_stdnum_valid_implies_classified(number: str) -> None:
    assert not fodselsnummer.is_valid(number) or classify_national_id(number)


@given(st.text(max_size=30))
def test_classify_arbitrary_text_never_raises(value: str) -> None:
    classify_national_id(value)


def test_faker_norwegian_ssn_passes_both_check_digits() -> None:
    fake = Faker("no_NO")
    fake.seed_instance(4)
    numbers = [fake.ssn() for _ in range(50)]
    assert all(classify_national_id(number) is not None for number in numbers)


@pytest.mark.parametrize("number", ["86011117947", "15108695088"])
def test_account_check_digit_accepts_valid_accounts(number: str) -> None:
    assert is_valid_account_number(number)


@pytest.mark.parametrize("number", ["86011117948", "8601111794", "8601111794x"])
def test_account_check_digit_rejects_invalid_accounts(number: str) -> None:
    assert not is_valid_account_number(number)
