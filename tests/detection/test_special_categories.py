from __future__ import annotations

import pytest

from domain.sensitivity import Category
from infrastructure.detection import RuleBasedDetector, case_verdict
from tests.detection.helpers import categories, covered

POSITIVES = [
    ("Jeg har diabetes type 2", Category.HEALTH),
    ("Eg har diabetes og må ete no", Category.HEALTH),
    ("Jeg trenger diabetesmedisin", Category.HEALTH),
    ("Min mor har brystkreft", Category.HEALTH),
    ("Mora mi har lungekreft", Category.HEALTH),
    ("Jeg er sykmeldt denne uka", Category.HEALTH),
    ("Eg er sjukmeld ut veka", Category.HEALTH),
    ("Sykmeldingen min ble forlenget", Category.HEALTH),
    ("Sjukmeldinga mi gjekk ut i går", Category.HEALTH),
    ("Sykdommen gjør at jeg ikke kan jobbe", Category.HEALTH),
    ("Sjukdomen min gjer at eg ikkje kan reise", Category.HEALTH),
    ("Vi er gravide igjen!", Category.HEALTH),
    ("I was diagnosed with epilepsy last year", Category.HEALTH),
    ("I have asthma and need the window seat", Category.HEALTH),
    ("My son is sick so I can't come", Category.HEALTH),
    ("I'm pregnant and need to change my flight", Category.HEALTH),
    ("Jeg stemmer på Høyre", Category.POLITICAL_OPINION),
    ("jeg stemmer på høyre", Category.POLITICAL_OPINION),
    ("Eg røystar på Senterpartiet", Category.POLITICAL_OPINION),
    ("I voted for Labour", Category.POLITICAL_OPINION),
    ("Jeg er Frp-velger", Category.POLITICAL_OPINION),
    ("Jeg er medlem av Fagforbundet", Category.TRADE_UNION),
    ("Eg er tillitsvald på jobben", Category.TRADE_UNION),
    ("I'm a union member", Category.TRADE_UNION),
    ("Jeg er muslim og spiser halal", Category.RELIGION),
    ("Eg går i kyrkja kvar sundag", Category.RELIGION),
    ("I'm a practising Catholic", Category.RELIGION),
    ("Jeg er same", Category.ETHNIC_ORIGIN),
    ("Jeg har samisk bakgrunn", Category.ETHNIC_ORIGIN),
    ("I'm of Pakistani descent", Category.ETHNIC_ORIGIN),
    ("Jeg er homofil", Category.SEXUAL_ORIENTATION),
    ("Eg er lesbisk", Category.SEXUAL_ORIENTATION),
    ("I'm bisexual", Category.SEXUAL_ORIENTATION),
    ("Jeg har tatt en gentest", Category.GENETIC),
    ("My DNA test showed a BRCA1 mutation", Category.GENETIC),
    ("Politiet tok fingeravtrykket mitt", Category.BIOMETRIC),
    ("They took my fingerprints at the border", Category.BIOMETRIC),
    ("Han er straffedømt", Category.CRIMINAL_CONVICTION),
    ("Jeg sonet seks måneder", Category.CRIMINAL_CONVICTION),
    ("I have a criminal record", Category.CRIMINAL_CONVICTION),
]

NEGATIVES = [
    "I'm sick of waiting for my refund",
    "We're planning a party for the kids",
    "Høyre side av skjermen er svart",
    "Klikk på knappen til venstre",
    "LO-kontoret er stengt i dag",
    "Kreftforeningen sin innsamling gikk bra",
    "Det var sykt bra service",
    "The fingerprint sensor on my phone is broken",
    "Face ID doesn't work after the update",
    "Streiken på flyplassen forsinket pakken min",
    "Rødt lys blinker på ruteren",
    "I converted the file to PDF",
    "Is this a third-party app?",
    "Delta i konkurransen og vinn",
    "Hotellrommet var for lite",
    "Skjermen er svart etter oppdateringen",
    "Takk for hjelpen, alt er fint nå",
    "That's fine, thanks",
    "The race condition crashed the app",
    "Samme problem som i går",
]


@pytest.mark.parametrize(("text", "category"), POSITIVES)
def test_personal_special_category_statement_is_flagged(
    detector: RuleBasedDetector, text: str, category: Category
) -> None:
    verdict = case_verdict(detector.scan(text))
    assert category in verdict.categories


@pytest.mark.parametrize("text", NEGATIVES)
def test_non_personal_sense_of_a_term_is_not_flagged(
    detector: RuleBasedDetector, text: str
) -> None:
    assert not case_verdict(detector.scan(text)).sensitive


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Sykdommen er tung", "Sykdommen"),
        ("sjukdomen er tung", "sjukdomen"),
        ("Hun har en sjelden sykdom", "sykdom"),
        ("Tilbud til gravide i dag", "gravide"),
        ("Han har brystkreft", "brystkreft"),
        ("Han trenger diabetesmedisin", "diabetesmedisin"),
    ],
)
def test_inflections_and_compounds_cover_the_whole_word(
    detector: RuleBasedDetector, text: str, word: str
) -> None:
    assert covered(text, detector.scan(text), Category.HEALTH) == [word]


def test_first_person_cue_raises_confidence(detector: RuleBasedDetector) -> None:
    personal = detector.scan("Jeg har diabetes")
    general = detector.scan("Diabetes er vanlig")
    assert personal[0].confidence > general[0].confidence


def test_kinship_cue_makes_weak_term_count(detector: RuleBasedDetector) -> None:
    assert categories(detector.scan("Min mor ligger på sykehuset")) == {Category.HEALTH}
    assert detector.scan("Sykehuset har ny parkering") == []


def test_membership_cue_makes_party_name_count(detector: RuleBasedDetector) -> None:
    assert detector.scan("Arbeiderpartiet vant valget") == []
    assert categories(detector.scan("Jeg er medlem av Arbeiderpartiet")) == {
        Category.POLITICAL_OPINION
    }


def test_negated_health_statement_is_still_health(
    detector: RuleBasedDetector,
) -> None:
    # The notes' policy: a negation still reveals the topic; flag explicitly.
    assert categories(detector.scan("Jeg har ikke diabetes")) == {Category.HEALTH}


def test_case_sensitive_abbreviation_ignores_lower_case(
    detector: RuleBasedDetector,
) -> None:
    assert detector.scan("medlem av lo og sånn") == []
    assert categories(detector.scan("medlem av LO")) == {Category.TRADE_UNION}


def test_genetic_disease_is_both_genetic_and_health(
    detector: RuleBasedDetector,
) -> None:
    found = categories(detector.scan("Jeg har en arvelig sykdom"))
    assert {Category.GENETIC, Category.HEALTH} <= found
