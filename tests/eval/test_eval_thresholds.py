"""Case-level quality gates: recall at least 0.95 and precision at least 0.90.

The hand-written set always runs. The corpus parts run when the shared data
folder is present; the labelled dialog and sentence parts are pooled (their
positives are few in some parts), and the news and review parts, which hold no
labelled positives, are held to a flag rate instead.
"""

from __future__ import annotations

import pytest

from tests.eval.evaluation import (
    Case,
    CorpusMissingError,
    CorpusPart,
    evaluate,
    load_corpus_parts,
    load_handwritten,
)

MIN_RECALL = 0.95
MIN_PRECISION = 0.90
MAX_FLAG_RATE_WITHOUT_POSITIVES = 0.05


@pytest.fixture(scope="module")
def corpus_parts() -> list[CorpusPart]:
    try:
        return load_corpus_parts()
    except CorpusMissingError as missing:
        pytest.skip(f"corpus evaluation needs the shared data folder: {missing}")


def test_handwritten_set_is_balanced_and_large_enough() -> None:
    cases = load_handwritten()
    sensitive = sum(case.sensitive for case in cases)
    assert sum(len(case.messages) for case in cases) >= 150
    assert 0.4 <= sensitive / len(cases) <= 0.6


def test_handwritten_set_meets_case_level_thresholds() -> None:
    counts = evaluate("handwritten", load_handwritten()).case_level
    assert counts.recall >= MIN_RECALL
    assert counts.precision >= MIN_PRECISION


@pytest.mark.corpus
def test_labelled_corpus_parts_meet_case_level_thresholds(
    corpus_parts: list[CorpusPart],
) -> None:
    pooled: list[Case] = [
        case
        for part in corpus_parts
        if not part.false_positive_base
        for case in part.cases
    ]
    counts = evaluate("labelled corpora", pooled).case_level
    assert counts.recall >= MIN_RECALL
    assert counts.precision >= MIN_PRECISION


@pytest.mark.corpus
def test_news_and_review_sentences_are_rarely_flagged(
    corpus_parts: list[CorpusPart],
) -> None:
    rates = {
        part.name: evaluate(part.name, part.cases).flag_rate
        for part in corpus_parts
        if part.false_positive_base
    }
    assert rates
    assert max(rates.values()) <= MAX_FLAG_RATE_WITHOUT_POSITIVES
