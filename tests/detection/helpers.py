from __future__ import annotations

from domain.sensitivity import Category, Finding


def covered(text: str, findings: list[Finding], category: Category) -> list[str]:
    """The original substrings of the findings of one category, in order."""
    return [text[f.start : f.end] for f in findings if f.category is category]


def categories(findings: list[Finding]) -> set[Category]:
    return {finding.category for finding in findings}
