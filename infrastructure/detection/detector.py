"""The rule-based sensitivity detector: every rule family, then one resolution
pass so each piece of text is reported once."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import structlog

from application.ports import SensitivityDetector
from domain.sensitivity import (  # the verdict rule is domain policy
    Category,
    Finding,
)
from infrastructure.detection.contact import (
    find_address_hits,
    find_birth_date_hits,
    find_email_hits,
    find_ip_hits,
)
from infrastructure.detection.hits import Hit
from infrastructure.detection.lexicon import SPECIAL_CATEGORIES, find_lexicon_hits
from infrastructure.detection.names import find_name_hits
from infrastructure.detection.normalise import NormalisedText, normalise
from infrastructure.detection.numbers import find_iban_hits, find_number_hits

logger = structlog.get_logger(__name__)

# A finding counts towards the verdict from this confidence on; weaker findings
# are still reported for redaction.

# When spans overlap, the more specific reading wins: an IBAN over the account
# inside it, a card over a phone-shaped piece of it, an e-mail over a name.
_PRECEDENCE = {
    Category.IBAN: 10,
    Category.PAYMENT_CARD: 9,
    Category.NO_NATIONAL_ID: 8,
    Category.NO_NATIONAL_ID_SYNTHETIC: 8,
    Category.EMAIL_ADDRESS: 8,
    Category.BANK_ACCOUNT: 7,
    Category.IP_ADDRESS: 6,
    Category.PHONE_NUMBER: 6,
    Category.DATE_OF_BIRTH: 5,
    Category.STREET_ADDRESS: 4,
    Category.POSTAL_CODE: 4,
    Category.PERSON: 3,
} | {category: 5 for category in SPECIAL_CATEGORIES}

_LEXICAL = frozenset(SPECIAL_CATEGORIES)

_DIGIT = re.compile("[0-9]")

RuleFamily = Callable[[NormalisedText], list[Hit]]

_NUMERIC_FAMILIES: tuple[tuple[str, RuleFamily], ...] = (
    ("numbers", find_number_hits),
    ("iban", find_iban_hits),
    ("ip", find_ip_hits),
    ("address", find_address_hits),
    ("date_of_birth", find_birth_date_hits),
)
_TEXT_FAMILIES: tuple[tuple[str, RuleFamily], ...] = (
    ("email", find_email_hits),
    ("lexicon", find_lexicon_hits),
    ("names", find_name_hits),
)


class RuleBasedDetector(SensitivityDetector):
    """Finds identifiers, financial numbers, contact data, names and special
    categories in bokmål, nynorsk and English text. Never raises."""

    def scan(self, text: str) -> list[Finding]:
        if not isinstance(text, str) or not text:
            return []
        norm = normalise(text)
        hits: list[Hit] = []
        families = _TEXT_FAMILIES
        if _DIGIT.search(norm.text) is not None:
            families = _NUMERIC_FAMILIES + _TEXT_FAMILIES
        for name, family in families:
            try:
                hits.extend(family(norm))
            except Exception as error:  # the port promises never to raise
                logger.warning(
                    "detection.rule_family_failed",
                    family=name,
                    error=type(error).__name__,
                )
        return [_to_finding(norm, hit) for hit in resolve_overlaps(hits)]


def resolve_overlaps(hits: Sequence[Hit]) -> list[Hit]:
    """Keep one reading per stretch of text; two special categories on the same
    words both stay ("genetisk sykdom" is genetic and health data)."""
    ordered = sorted(hits, key=lambda hit: (hit.start, hit.end))
    kept: list[Hit] = []
    cluster: list[Hit] = []
    cluster_end = -1
    for hit in ordered:
        if cluster and hit.start >= cluster_end:
            kept.extend(_resolve_cluster(cluster))
            cluster = []
        cluster.append(hit)
        cluster_end = max(cluster_end, hit.end) if len(cluster) > 1 else hit.end
    kept.extend(_resolve_cluster(cluster))
    return sorted(kept, key=lambda hit: (hit.start, hit.end, hit.category.value))


def _resolve_cluster(cluster: list[Hit]) -> list[Hit]:
    if len(cluster) <= 1:
        return cluster
    best_first = sorted(
        cluster,
        key=lambda hit: (
            -_PRECEDENCE[hit.category],
            -(hit.end - hit.start),
            -hit.confidence,
            hit.start,
        ),
    )
    # One occupancy map per layer: numbers and contact data share a layer; each
    # special category has its own, so their words may overlap one another.
    origin = min(hit.start for hit in cluster)
    size = max(hit.end for hit in cluster) - origin
    layers: dict[Category | None, bytearray] = {}
    kept: list[Hit] = []
    for hit in best_first:
        own: Category | None = hit.category if hit.category in _LEXICAL else None
        blocking = [layers.get(None), layers.get(own)] if own else list(layers.values())
        start, end = hit.start - origin, hit.end - origin
        if any(
            layer is not None and layer.find(1, start, end) != -1 for layer in blocking
        ):
            continue
        layer = layers.setdefault(own, bytearray(size))
        layer[start:end] = b"\x01" * (end - start)
        kept.append(hit)
    return kept


def _to_finding(norm: NormalisedText, hit: Hit) -> Finding:
    start, end = norm.original_span(hit.start, hit.end)
    return Finding(hit.category, start, end, hit.rule, hit.confidence)
