"""What the detector reports: categories of personal data and findings."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Category(enum.StrEnum):
    # Identifiers and financial numbers: they make a case sensitive.
    NO_NATIONAL_ID = "NO_NATIONAL_ID"
    NO_NATIONAL_ID_SYNTHETIC = "NO_NATIONAL_ID_SYNTHETIC"
    BANK_ACCOUNT = "BANK_ACCOUNT"
    IBAN = "IBAN"
    PAYMENT_CARD = "PAYMENT_CARD"
    # Special categories of GDPR art. 9, and art. 10.
    HEALTH = "HEALTH"
    POLITICAL_OPINION = "POLITICAL_OPINION"
    RELIGION = "RELIGION"
    TRADE_UNION = "TRADE_UNION"
    ETHNIC_ORIGIN = "ETHNIC_ORIGIN"
    SEXUAL_ORIENTATION = "SEXUAL_ORIENTATION"
    GENETIC = "GENETIC"
    BIOMETRIC = "BIOMETRIC"
    CRIMINAL_CONVICTION = "CRIMINAL_CONVICTION"
    # Ordinary personal data: redacted on anonymisation, not sensitive alone.
    PERSON = "PERSON"
    EMAIL_ADDRESS = "EMAIL_ADDRESS"
    PHONE_NUMBER = "PHONE_NUMBER"
    STREET_ADDRESS = "STREET_ADDRESS"
    POSTAL_CODE = "POSTAL_CODE"
    IP_ADDRESS = "IP_ADDRESS"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"

    @property
    def is_sensitive(self) -> bool:
        return self not in ORDINARY_CATEGORIES


ORDINARY_CATEGORIES = frozenset(
    {
        Category.PERSON,
        Category.EMAIL_ADDRESS,
        Category.PHONE_NUMBER,
        Category.STREET_ADDRESS,
        Category.POSTAL_CODE,
        Category.IP_ADDRESS,
        Category.DATE_OF_BIRTH,
    }
)


@dataclass(frozen=True)
class Finding:
    """One match: where it is, what it is, which rule fired and how sure it is.

    The matched value is not kept here on purpose; callers that need it slice
    the text with `start` and `end`.
    """

    category: Category
    start: int
    end: int
    rule: str  # stable rule name, e.g. "no_fnr.checksum" or "lexicon.health.nb"
    confidence: float  # 0.0 to 1.0


@dataclass(frozen=True)
class Verdict:
    """Whether a case holds sensitive data, and the evidence for that decision.

    `categories` lists only sensitive categories (never ordinary ones such as
    PERSON); `rules` names every rule whose finding counted towards the verdict,
    so a reviewer can see why a case was flagged without re-reading it.
    """

    sensitive: bool
    categories: tuple[Category, ...]
    rules: tuple[str, ...]


# A finding below this confidence is kept for redaction but does not by itself
# make a case sensitive.
SENSITIVE_CONFIDENCE = 0.5


def case_verdict(
    findings: Iterable[Finding], min_confidence: float = SENSITIVE_CONFIDENCE
) -> Verdict:
    """Decides whether a case (all findings of its messages) is sensitive."""
    counted = [
        finding
        for finding in findings
        if finding.category.is_sensitive and finding.confidence >= min_confidence
    ]
    return Verdict(
        sensitive=bool(counted),
        categories=tuple(sorted({f.category for f in counted}, key=lambda c: c.value)),
        rules=tuple(sorted({f.rule for f in counted})),
    )
