"""The redactor behind anonymisation: the rule-based detector finds, presidio's
anonymizer replaces each finding with a typed placeholder (`<PERSON>`)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from application.ports import Redaction, Redactor, SensitivityDetector
from domain.sensitivity import Category

# A synthetic national number is still a national number to whoever reads it.
_PLACEHOLDER_CATEGORY = {
    Category.NO_NATIONAL_ID_SYNTHETIC.value: Category.NO_NATIONAL_ID.value,
}
# Known values shorter than this would blank ordinary words ("Li", "Bo").
MIN_KNOWN_LENGTH = 3


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    category: str
    score: float


class PresidioRedactor(Redactor):
    def __init__(self, detector: SensitivityDetector) -> None:
        self._detector = detector
        self._engine: Any = None
        self._lock = threading.Lock()

    def _anonymizer(self) -> Any:
        # presidio takes seconds to import: only processes that anonymise pay.
        with self._lock:
            if self._engine is None:
                from presidio_anonymizer import AnonymizerEngine

                self._engine = AnonymizerEngine()  # type: ignore[no-untyped-call]
            return self._engine

    def redact(self, text: str, known: dict[str, str] | None = None) -> Redaction:
        if not text:
            return Redaction(text, {})
        spans = [
            _Span(f.start, f.end, f.category.value, f.confidence)
            for f in self._detector.scan(text)
        ]
        spans.extend(_known_spans(text, known or {}))
        merged = _merge(spans)
        if not merged:
            return Redaction(text, {})
        # Spans are merged beforehand, so presidio never sees an overlap: its
        # conflict rules would keep partly overlapping spans of different types
        # and each would then see its original substring.
        from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

        result = self._anonymizer().anonymize(
            text=text,
            analyzer_results=[
                RecognizerResult(s.category, s.start, s.end, s.score) for s in merged
            ],
            operators={
                "DEFAULT": OperatorConfig("replace"),
                **{
                    source: OperatorConfig("replace", {"new_value": f"<{target}>"})
                    for source, target in _PLACEHOLDER_CATEGORY.items()
                },
            },
            # Counts matter: three e-mails stay three placeholders.
            merge_entities_with_spaces=False,
        )
        replaced: dict[str, int] = {}
        for span in merged:
            category = _PLACEHOLDER_CATEGORY.get(span.category, span.category)
            replaced[category] = replaced.get(category, 0) + 1
        return Redaction(result.text, replaced)


def _known_spans(text: str, known: dict[str, str]) -> list[_Span]:
    spans: list[_Span] = []
    for value, category in known.items():
        value = value.strip()
        if len(value) < MIN_KNOWN_LENGTH:
            continue
        pattern = re.compile(re.escape(value), re.IGNORECASE)
        spans.extend(
            _Span(m.start(), m.end(), category, 1.0) for m in pattern.finditer(text)
        )
    return spans


def _merge(spans: list[_Span]) -> list[_Span]:
    """One span per stretch of overlapping findings, typed by the longest (then
    the surest) of them."""
    merged: list[_Span] = []
    group: list[_Span] = []
    group_end = -1
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.end <= span.start:
            continue
        if group and span.start >= group_end:
            merged.append(_one(group, group_end))
            group = []
        group.append(span)
        group_end = max(group_end, span.end) if len(group) > 1 else span.end
    if group:
        merged.append(_one(group, group_end))
    return merged


def _one(group: list[_Span], end: int) -> _Span:
    lead = max(group, key=lambda s: (s.end - s.start, s.score))
    return _Span(group[0].start, end, lead.category, max(s.score for s in group))
