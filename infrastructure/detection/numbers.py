"""Identity numbers, bank accounts, IBANs, payment cards and phone numbers.

Digits are read as runs of groups separated by one space, dot or dash. A rule
only ever looks at whole groups, so an identity number is never found inside a
longer unbroken digit string (an order number, a card).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import phonenumbers

from domain.sensitivity import Category
from infrastructure.detection.hits import Hit, has_keyword, keyword_pattern
from infrastructure.detection.national_id import (
    IdScheme,
    classify_national_id,
    is_valid_account_number,
)
from infrastructure.detection.normalise import NormalisedText

_DIGIT_RUN = re.compile(r"[0-9]+(?:[ .\-][0-9]+)*", re.ASCII)
_LONGEST_NUMBER = 19  # digits: payment cards are the longest we read from runs
_CONTEXT_WIDTH = 40

_ID_KEYWORDS = keyword_pattern(
    (
        "fødselsnummer", "fødselsnr", "fnr", "personnummer", "personnr", "pnr",
        "pers.nr", "d-nummer", "d-nr", "h-nummer", "id-nummer",
        "identitetsnummer", "fødselsnummeret", "national id", "identity number",
        "personal number", "personal id", "id number", "ssn",
    )
)  # fmt: skip
_ACCOUNT_KEYWORDS = keyword_pattern(
    (
        "konto", "kontonr", "kto", "account", "acct", "a/c", "bankkonto",
        "overfør", "betal til", "innbetal", "bank",
    )
)  # fmt: skip
_NOT_PERSONAL_KEYWORDS = keyword_pattern(
    (
        "ordre", "order", "bestilling", "faktura", "invoice", "kid", "kunde",
        "customer", "ref", "sak", "case", "ticket", "sporing", "tracking",
        "serie", "serial", "imei", "org.nr", "orgnr", "organisasjonsnummer",
        "pakke", "parcel", "shipment", "sending", "booking",
    )
)  # fmt: skip
_CARD_KEYWORDS = keyword_pattern(
    ("kort", "card", "visa", "mastercard", "amex", "kreditt", "credit", "debit")
)
_PHONE_KEYWORDS = keyword_pattern(
    (
        "tlf", "telefon", "mobil", "mob", "ring", "sms", "tel", "phone",
        "call", "cell", "mobile", "nå meg på", "reach me", "text me", "whatsapp",
    )
)  # fmt: skip
_AMOUNT_AFTER = re.compile(r"\s?(?:kr\b|nok\b|,-|,\d\d\b|€|\$|usd\b|eur\b)", re.I)
_INTERNATIONAL_PREFIX = re.compile(r"(?:(?<![\w+])\+|\(\+?)$")
_PARENTHESISED_CODE = re.compile(r"\(\+?([0-9]{1,3})\)\s?$")


@dataclass(frozen=True)
class _Window:
    """Consecutive groups of one digit run."""

    start: int
    end: int
    digits: str
    lengths: tuple[int, ...]
    separators: str
    whole_run: bool


def find_number_hits(norm: NormalisedText) -> list[Hit]:
    hits: list[Hit] = []
    for run in _DIGIT_RUN.finditer(norm.text):
        groups = [(m.start(), m.end()) for m in re.finditer("[0-9]+", run.group())]
        offset = run.start()
        groups = [(offset + a, offset + b) for a, b in groups]
        hits.extend(_international_phone(norm, groups))
        for window in _windows(norm.text, groups):
            hits.extend(_classify_window(norm, window))
    return hits


_MOST_GROUPS = 5  # the longest layout we accept is a card written 4-4-4-4-3
_INTERESTING_LENGTHS = frozenset({8, 11, *range(13, _LONGEST_NUMBER + 1)})


def _windows(text: str, groups: list[tuple[int, int]]) -> Iterator[_Window]:
    """Windows of whole groups that could be a number we know. Every layout we
    accept starts with a group of two or more digits, which also keeps runs such
    as "1 1 1 1 ..." linear."""
    for first in range(len(groups)):
        if first > 0 and text[groups[first][0] - 1] != " ":
            continue
        if groups[first][1] - groups[first][0] < 2:
            continue
        count = 0
        for last in range(first, len(groups)):
            start, end = groups[last]
            count += end - start
            if count > _LONGEST_NUMBER or last - first >= _MOST_GROUPS:
                break
            is_last = last == len(groups) - 1
            if count in _INTERESTING_LENGTHS and (is_last or text[end] == " "):
                selected = groups[first : last + 1]
                yield _Window(
                    start=groups[first][0],
                    end=end,
                    digits="".join(text[a:b] for a, b in selected),
                    lengths=tuple(b - a for a, b in selected),
                    separators="".join(text[b] for _, b in selected[:-1]),
                    whole_run=first == 0 and is_last,
                )
            if end - start < 2 and not is_last:
                break


def _classify_window(norm: NormalisedText, window: _Window) -> Iterator[Hit]:
    count = len(window.digits)
    if count == 11:
        yield from _identity_or_account(norm, window)
    elif 13 <= count <= _LONGEST_NUMBER:
        yield from _payment_card(norm, window)
    elif count == 8:
        yield from _norwegian_phone(norm, window)


# --- identity numbers and accounts -------------------------------------------

_ID_LAYOUTS = {(11,), (6, 5), (6, 3, 2), (2, 2, 2, 5)}
_ACCOUNT_LAYOUT = (4, 2, 5)


def _identity_or_account(norm: NormalisedText, window: _Window) -> Iterator[Hit]:
    lower = norm.lower
    id_context = has_keyword(_ID_KEYWORDS, lower, window.start, _CONTEXT_WIDTH)
    account_context = has_keyword(
        _ACCOUNT_KEYWORDS, lower, window.start, _CONTEXT_WIDTH
    )
    if window.lengths == _ACCOUNT_LAYOUT and _consistent(window.separators, ". "):
        if is_valid_account_number(window.digits):
            confidence = 0.9 if account_context else 0.75
            yield _hit(Category.BANK_ACCOUNT, window, "no_account.layout", confidence)
        return
    if window.lengths not in _ID_LAYOUTS or not _id_separators(window):
        return
    plain = window.lengths == (11,)
    if plain and account_context and not id_context:
        if is_valid_account_number(window.digits):
            yield _hit(Category.BANK_ACCOUNT, window, "no_account.keyword", 0.85)
        return
    national_id = classify_national_id(window.digits)
    if national_id is None:
        return
    not_personal = has_keyword(
        _NOT_PERSONAL_KEYWORDS, lower, window.start, _CONTEXT_WIDTH
    )
    if not_personal and not id_context:
        return
    if national_id.scheme is IdScheme.FROM_2032:
        # The relaxed check digit passes four times as many random strings.
        confidence = 0.85 if id_context else 0.4
    else:
        confidence = 0.95 if id_context else 0.85
    category = (
        Category.NO_NATIONAL_ID_SYNTHETIC
        if national_id.synthetic
        else Category.NO_NATIONAL_ID
    )
    rule = f"no_id.{national_id.kind.value}"
    if national_id.scheme is IdScheme.FROM_2032:
        rule += ".scheme_2032"
    yield _hit(category, window, rule, confidence)


def _id_separators(window: _Window) -> bool:
    separators = window.separators
    if window.lengths == (2, 2, 2, 5):
        return separators[0] == separators[1] and separators[0] in ". "
    if window.lengths == (6, 3, 2):
        return separators == "  "
    return True


def _consistent(separators: str, allowed: str) -> bool:
    return len(set(separators)) <= 1 and all(s in allowed for s in separators)


# --- payment cards -----------------------------------------------------------

# (prefix range low, high, prefix length, allowed lengths)
_CARD_PREFIXES: tuple[tuple[int, int, int, frozenset[int]], ...] = (
    (4, 4, 1, frozenset({13, 16, 19})),  # Visa
    (51, 55, 2, frozenset({16})),  # Mastercard
    (2221, 2720, 4, frozenset({16})),  # Mastercard 2-series
    (34, 34, 2, frozenset({15})),  # American Express
    (37, 37, 2, frozenset({15})),
    (6011, 6011, 4, frozenset(range(16, 20))),  # Discover
    (644, 649, 3, frozenset(range(16, 20))),
    (65, 65, 2, frozenset(range(16, 20))),
    (300, 305, 3, frozenset(range(14, 20))),  # Diners Club
    (36, 36, 2, frozenset(range(14, 20))),
    (38, 39, 2, frozenset(range(16, 20))),
    (3528, 3589, 4, frozenset(range(16, 20))),  # JCB
    (2131, 2131, 4, frozenset({15})),  # JCB, older 15-digit numbers
    (1800, 1800, 4, frozenset({15})),
    (62, 62, 2, frozenset(range(16, 20))),  # UnionPay
    (2200, 2204, 4, frozenset(range(16, 20))),  # Mir
    (50, 50, 2, frozenset(range(13, 20))),  # Maestro
    (56, 69, 2, frozenset(range(13, 20))),
)


def is_payment_card(digits: str) -> bool:
    if not 13 <= len(digits) <= 19 or not digits.isdigit():
        return False
    known_issuer = any(
        low <= int(digits[:width]) <= high and len(digits) in lengths
        for low, high, width, lengths in _CARD_PREFIXES
    )
    return known_issuer and _luhn(digits)


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _payment_card(norm: NormalisedText, window: _Window) -> Iterator[Hit]:
    if not _card_layout(window) or not is_payment_card(window.digits):
        return
    keyword = has_keyword(_CARD_KEYWORDS, norm.lower, window.start, _CONTEXT_WIDTH)
    yield _hit(
        Category.PAYMENT_CARD, window, "payment_card.luhn", 0.95 if keyword else 0.9
    )


def _card_layout(window: _Window) -> bool:
    lengths = window.lengths
    if len(lengths) == 1:
        return True
    if not _consistent(window.separators, " -"):
        return False
    if lengths in ((4, 6, 5), (4, 6, 4)):
        return True
    return all(length == 4 for length in lengths[:-1]) and lengths[-1] <= 4


# --- phone numbers -----------------------------------------------------------

_NORWEGIAN_GROUPINGS = {(2, 2, 2, 2), (3, 2, 3)}
_DATE_SHAPES = {(2, 2, 4), (2, 2, 2), (4, 2, 2)}


def _norwegian_phone(norm: NormalisedText, window: _Window) -> Iterator[Hit]:
    if window.digits[0] in "01":
        return  # no Norwegian subscriber number starts with 0 or 1
    if window.lengths in _DATE_SHAPES and "." in window.separators:
        return
    if _AMOUNT_AFTER.match(norm.text, window.end):
        return
    keyword = has_keyword(_PHONE_KEYWORDS, norm.lower, window.start, 30)
    grouped = window.lengths in _NORWEGIAN_GROUPINGS and window.separators.strip() == ""
    if not keyword and not grouped:
        return
    if not keyword and has_keyword(
        _NOT_PERSONAL_KEYWORDS, norm.lower, window.start, _CONTEXT_WIDTH
    ):
        return
    if not _valid_phone(window.digits, "NO"):
        return
    yield _hit(Category.PHONE_NUMBER, window, "phone.no", 0.85 if keyword else 0.7)


def _international_phone(
    norm: NormalisedText, groups: list[tuple[int, int]]
) -> Iterator[Hit]:
    """Numbers written with a country code: +47 …, 0047 …, (+47) …"""
    text = norm.text
    run_start = groups[0][0]
    before = text[max(0, run_start - 8) : run_start]
    parenthesised = _PARENTHESISED_CODE.search(before)
    if parenthesised is not None:
        prefix = "+" + parenthesised.group(1)
        start = run_start - len(parenthesised.group())
    elif _INTERNATIONAL_PREFIX.search(text, max(0, run_start - 2), run_start):
        prefix = "+"
        start = run_start - 1
    elif (
        text.startswith("00", run_start) and text[run_start + 2 : run_start + 3] != "0"
    ):
        prefix = "+"
        start = run_start
    else:
        return
    digits = ""
    best_end = None
    for group_start, group_end in groups:
        digits += text[group_start:group_end]
        if len(digits) > 17:
            break
        number = digits[2:] if prefix == "+" and digits.startswith("00") else digits
        if _valid_phone(prefix + number, None):
            best_end = group_end
    if best_end is not None:
        yield Hit(Category.PHONE_NUMBER, start, best_end, "phone.international", 0.85)


@functools.lru_cache(maxsize=4096)
def _valid_phone(number: str, region: str | None) -> bool:
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(number, region)))
    except phonenumbers.NumberParseException:
        return False


# --- IBAN --------------------------------------------------------------------

_IBAN_START = re.compile(r"([A-Za-z](?<![A-Za-z0-9].)[A-Za-z])[0-9]{2}", re.ASCII)
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16,
    "BG": 22, "BH": 22, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28,
    "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24,
    "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
    "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23,
    "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def find_iban_hits(norm: NormalisedText) -> list[Hit]:
    hits: list[Hit] = []
    text = norm.text
    for match in _IBAN_START.finditer(text):
        country = match.group(1).upper()
        length = _IBAN_LENGTHS.get(country)
        if length is None:
            continue
        end = _end_after_characters(text, match.end(), length - 4)
        if end is None or (end < len(text) and text[end].isalnum()):
            continue
        compact = re.sub("[ -]", "", text[match.start() : end]).upper()
        if not is_valid_iban(compact):
            continue
        confidence = 0.95 if match.group(1).isupper() else 0.85
        hits.append(Hit(Category.IBAN, match.start(), end, "iban.mod97", confidence))
    return hits


def _end_after_characters(text: str, start: int, count: int) -> int | None:
    """Where `count` letters or digits after `start` end, allowing one space or
    dash between them; None if anything else comes first."""
    seen = 0
    position = start
    after_separator = False
    while seen < count and position < len(text):
        char = text[position]
        if char.isascii() and char.isalnum():
            seen += 1
            after_separator = False
        elif char in " -" and not after_separator:
            after_separator = True
        else:
            return None
        position += 1
    return position if seen == count else None


def is_valid_iban(compact: str) -> bool:
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(char, 36)) for char in rearranged)
    if int(numeric) % 97 != 1:
        return False
    return compact[:2] != "NO" or is_valid_account_number(compact[4:])


def _hit(category: Category, window: _Window, rule: str, confidence: float) -> Hit:
    return Hit(category, window.start, window.end, rule, confidence)
