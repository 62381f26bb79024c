from __future__ import annotations

import pytest

from domain.sensitivity import Category
from infrastructure.detection import RuleBasedDetector
from tests.detection.helpers import categories, covered

TENOR = "17912099997"


@pytest.mark.parametrize(
    "written",
    [
        "17912099997",
        "179120 99997",
        "179120.99997",
        "179120-99997",
        "17.91.20 99997",
        "179120 999 97",
    ],
)
def test_identity_number_in_common_groupings_is_found(
    detector: RuleBasedDetector, written: str
) -> None:
    text = f"Fødselsnummeret mitt er {written}."
    assert covered(text, detector.scan(text), Category.NO_NATIONAL_ID_SYNTHETIC) == [
        written
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Ordrenummer 17912099997",
        "Order 17912099997 was shipped",
        "Fakturanr. 17912099997",
        "Sporingsnummer 17912099997",
    ],
)
def test_identity_shaped_order_numbers_are_not_flagged(
    detector: RuleBasedDetector, text: str
) -> None:
    assert detector.scan(text) == []


@pytest.mark.parametrize(
    "text",
    ["Ordre 12345678901 er sendt", "Ring 98765432101", "Ref 11111111111"],
)
def test_eleven_digits_failing_the_rules_are_not_flagged(
    detector: RuleBasedDetector, text: str
) -> None:
    assert detector.scan(text) == []


def test_identity_number_inside_longer_digit_string_is_not_flagged(
    detector: RuleBasedDetector,
) -> None:
    assert detector.scan("Serie 9917912099997123") == []


def test_dotted_account_layout_is_account_not_identity(
    detector: RuleBasedDetector,
) -> None:
    text = "Betal til 1510.86.95088"
    assert categories(detector.scan(text)) == {Category.BANK_ACCOUNT}


def test_iban_containing_account_reports_iban_only(
    detector: RuleBasedDetector,
) -> None:
    text = "Konto NO93 8601 1117 947 i DNB"
    assert categories(detector.scan(text)) == {Category.IBAN}


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "GB29 NWBK 6016 1331 9268 19",
        "SE4550000000058398257466",
    ],
)
def test_foreign_ibans_are_found(detector: RuleBasedDetector, iban: str) -> None:
    text = f"IBAN {iban}."
    assert covered(text, detector.scan(text), Category.IBAN) == [iban]


def test_iban_with_wrong_checksum_is_not_found(detector: RuleBasedDetector) -> None:
    assert detector.scan("IBAN NO94 8601 1117 947") == []


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "5555555555554444",
        "3782 822463 10005",
        "6011 0009 9013 9424",
        "4111111111111111110",
        "6759649826438453",
    ],
)
def test_valid_cards_give_one_finding(detector: RuleBasedDetector, card: str) -> None:
    text = f"kortet mitt er {card}"
    findings = detector.scan(text)
    assert [(f.category, text[f.start : f.end]) for f in findings] == [
        (Category.PAYMENT_CARD, card)
    ]


@pytest.mark.parametrize("digits", ["4111 1111 1111 1112", "1234 5678 9012 3452"])
def test_card_failing_luhn_or_prefix_is_not_found(
    detector: RuleBasedDetector, digits: str
) -> None:
    assert Category.PAYMENT_CARD not in categories(detector.scan(f"kort {digits}"))


@pytest.mark.parametrize(
    "text",
    [
        "Levert 23.05.2024",
        "Frist 31.12.1999",
        "Det kostet 91 234 567 kr",
        "faktura 22334455",
        "ref 9876 5432",
        "Bestilling 91234567",
    ],
)
def test_dates_amounts_and_references_are_not_phones(
    detector: RuleBasedDetector, text: str
) -> None:
    assert Category.PHONE_NUMBER not in categories(detector.scan(text))


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Nå meg på +47 912 34 567", "+47 912 34 567"),
        ("ring 0047 91234567", "0047 91234567"),
        ("(+47) 22 12 34 56", "(+47) 22 12 34 56"),
        ("Call +44 20 7946 0958 today", "+44 20 7946 0958"),
        ("mobil: 41 23 45 67", "41 23 45 67"),
        ("Telefon 22123456", "22123456"),
    ],
)
def test_phone_numbers_are_found(
    detector: RuleBasedDetector, text: str, phone: str
) -> None:
    assert covered(text, detector.scan(text), Category.PHONE_NUMBER) == [phone]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Server 192.168.1.10 svarer ikke", "192.168.1.10"),
        ("fra 2001:db8::8a2e:370:7334.", "2001:db8::8a2e:370:7334"),
        ("IP ::ffff:10.0.0.1", "::ffff:10.0.0.1"),
    ],
)
def test_ip_addresses_are_found(
    detector: RuleBasedDetector, text: str, address: str
) -> None:
    assert covered(text, detector.scan(text), Category.IP_ADDRESS) == [address]


@pytest.mark.parametrize("text", ["Versjon 999.1.1.1", "Klokka 12:30:45", "ratio 1:2"])
def test_ip_lookalikes_are_not_found(detector: RuleBasedDetector, text: str) -> None:
    assert Category.IP_ADDRESS not in categories(detector.scan(text))


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Jeg bor i Storgata 12B, 0150 Oslo", "Storgata 12B"),
        ("Adressen er Kong Oscars gate 5", "Kong Oscars gate 5"),
        ("Send it to 12 Main Street, Springfield", "12 Main Street"),
        ("Flytt til Bjørnstjerne Bjørnsons vei 3 A", "Bjørnstjerne Bjørnsons vei 3 A"),
    ],
)
def test_street_addresses_are_found(
    detector: RuleBasedDetector, text: str, address: str
) -> None:
    assert covered(text, detector.scan(text), Category.STREET_ADDRESS) == [address]


@pytest.mark.parametrize(
    ("text", "postcode"),
    [
        ("Storgata 12B, 0150 Oslo", "0150 Oslo"),
        ("Postboks 4, 5003 BERGEN", "5003 BERGEN"),
    ],
)
def test_postcode_with_post_town_is_found(
    detector: RuleBasedDetector, text: str, postcode: str
) -> None:
    assert covered(text, detector.scan(text), Category.POSTAL_CODE) == [postcode]


def test_year_before_capitalised_word_is_no_postcode(
    detector: RuleBasedDetector,
) -> None:
    assert detector.scan("I 2023 Kjøpte jeg den") == []


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Jeg er født 01.01.1990", "01.01.1990"),
        ("Eg er fødd 3. mars 1985", "3. mars 1985"),
        ("Kari Nordmann, f. 12.05.78", "12.05.78"),
        ("DOB: 1990-04-17", "1990-04-17"),
        ("My date of birth is March 4, 1972", "March 4, 1972"),
        ("born 4/7/1969", "4/7/1969"),
    ],
)
def test_dates_with_birth_cue_are_birth_dates(
    detector: RuleBasedDetector, text: str, date: str
) -> None:
    assert covered(text, detector.scan(text), Category.DATE_OF_BIRTH) == [date]


def test_date_without_birth_cue_is_not_birth_date(
    detector: RuleBasedDetector,
) -> None:
    assert detector.scan("Pakken kom 01.01.2024") == []
