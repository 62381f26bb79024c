"""Classify Norwegian national identity numbers (fødselsnummer and relatives).

python-stdnum rejects synthetic (Tenor), FH and 2032-scheme numbers, so gdprkit
has its own classifier. It accepts any value and returns None for anything that
is not a valid identity number; it never raises.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2, 1)
_K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
# From 2032 the first check digit may leave any of these remainders.
_K1_REMAINDERS_FROM_2032 = frozenset({0, 1, 2, 3})

_D_NUMBER_DAY_OFFSET = 40
_H_NUMBER_MONTH_OFFSET = 40
_TENOR_MONTH_OFFSET = 80


class IdKind(enum.StrEnum):
    FODSELSNUMMER = "fodselsnummer"
    D_NUMBER = "d_number"
    # NAV's synthetic numbers use the same month offset and cannot be told apart.
    H_NUMBER_OR_NAV_SYNTHETIC = "h_number"
    D_AND_H_NUMBER = "d_and_h_number"
    FH_NUMBER = "fh_number"
    TENOR_SYNTHETIC = "tenor_synthetic"


class IdScheme(enum.StrEnum):
    CLASSIC = "classic"
    FROM_2032 = "scheme_2032"


@dataclass(frozen=True)
class NationalId:
    kind: IdKind
    scheme: IdScheme
    birth_date: dt.date | None  # None for FH numbers and 2032-scheme numbers

    @property
    def synthetic(self) -> bool:
        return self.kind is IdKind.TENOR_SYNTHETIC


def classify_national_id(value: object) -> NationalId | None:
    """Return what kind of identity number `value` is, or None if it is none.

    `value` must be exactly eleven ASCII digits; separators are the caller's
    business, so odd ones ("1508-86-95O88") simply give None.
    """
    if not isinstance(value, str) or len(value) != 11 or not value.isascii():
        return None
    if not value.isdigit():
        return None
    digits = [int(char) for char in value]
    if _weighted_remainder(digits, _K2_WEIGHTS) != 0:
        return None
    k1_remainder = _weighted_remainder(digits[:10], _K1_WEIGHTS)
    if digits[0] >= 8:
        if k1_remainder != 0:
            return None
        return NationalId(IdKind.FH_NUMBER, IdScheme.CLASSIC, None)
    return _classify_dated(digits, k1_remainder)


def _classify_dated(digits: list[int], k1_remainder: int) -> NationalId | None:
    day = digits[0] * 10 + digits[1]
    month = digits[2] * 10 + digits[3]
    year_in_century = digits[4] * 10 + digits[5]
    individual = digits[6] * 100 + digits[7] * 10 + digits[8]
    is_d_number = day > _D_NUMBER_DAY_OFFSET
    if is_d_number:
        day -= _D_NUMBER_DAY_OFFSET
    kind, month = _kind_and_month(is_d_number, month)
    if kind is None:
        return None
    if k1_remainder == 0:
        century = _century(individual, year_in_century)
        if century is not None:
            birth_date = _date_or_none(century + year_in_century, month, day)
            if birth_date is not None:
                return NationalId(kind, IdScheme.CLASSIC, birth_date)
    issued_from_2032 = kind in (IdKind.FODSELSNUMMER, IdKind.D_NUMBER)
    if issued_from_2032 and k1_remainder in _K1_REMAINDERS_FROM_2032:
        # The century is no longer encoded: accept the date in any century.
        leap_year = 2000 + year_in_century if year_in_century % 4 == 0 else 2001
        if _date_or_none(leap_year, month, day) is not None:
            return NationalId(kind, IdScheme.FROM_2032, None)
    return None


def _kind_and_month(is_d_number: bool, month: int) -> tuple[IdKind | None, int]:
    if 1 <= month <= 12:
        return (IdKind.D_NUMBER if is_d_number else IdKind.FODSELSNUMMER), month
    if 1 <= month - _H_NUMBER_MONTH_OFFSET <= 12:
        kind = (
            IdKind.D_AND_H_NUMBER if is_d_number else IdKind.H_NUMBER_OR_NAV_SYNTHETIC
        )
        return kind, month - _H_NUMBER_MONTH_OFFSET
    if 1 <= month - _TENOR_MONTH_OFFSET <= 12:
        return IdKind.TENOR_SYNTHETIC, month - _TENOR_MONTH_OFFSET
    return None, month


def _century(individual: int, year_in_century: int) -> int | None:
    if individual <= 499:
        return 1900
    if individual <= 749 and year_in_century >= 54:
        return 1800
    if year_in_century <= 39:
        return 2000
    if individual >= 900:
        return 1900
    return None


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _weighted_remainder(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=True)) % 11


def is_valid_account_number(value: str) -> bool:
    """Norwegian kontonummer: eleven digits, the last a mod-11 check digit."""
    if len(value) != 11 or not value.isascii() or not value.isdigit():
        return False
    remainder = _weighted_remainder([int(c) for c in value[:10]], _K2_WEIGHTS[:10])
    check = (11 - remainder) % 11
    return check != 10 and check == int(value[10])
