"""Human- and machine-readable output of a scan, for `gdprkit detect`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Literal

from domain.sensitivity import Finding, Verdict

_EXCERPT_LIMIT = 80


def format_findings(
    text: str,
    findings: Sequence[Finding],
    verdict: Verdict,
    fmt: Literal["text", "json"] = "text",
) -> str:
    """Render the findings of one scan; `text` is the scanned text, used to show
    what each finding covers."""
    if fmt == "json":
        return _as_json(text, findings, verdict)
    if fmt == "text":
        return _as_text(text, findings, verdict)
    raise ValueError(f"unknown format {fmt!r}; use 'text' or 'json'")


def _excerpt(text: str, finding: Finding) -> str:
    covered = text[finding.start : finding.end]
    if len(covered) > _EXCERPT_LIMIT:
        covered = covered[: _EXCERPT_LIMIT - 1] + "…"
    return covered


def _as_json(text: str, findings: Sequence[Finding], verdict: Verdict) -> str:
    document = {
        "sensitive": verdict.sensitive,
        "categories": [category.value for category in verdict.categories],
        "rules": list(verdict.rules),
        "findings": [
            {
                "category": finding.category.value,
                "start": finding.start,
                "end": finding.end,
                "rule": finding.rule,
                "confidence": finding.confidence,
                "text": _excerpt(text, finding),
            }
            for finding in findings
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def _as_text(text: str, findings: Sequence[Finding], verdict: Verdict) -> str:
    if verdict.sensitive:
        names = ", ".join(category.value for category in verdict.categories)
        lines = [f"Sensitive: yes ({names})"]
    else:
        lines = ["Sensitive: no"]
    if not findings:
        lines.append("No findings.")
    for finding in findings:
        lines.append(
            f"  {finding.category.value:<26} {finding.start:>6}-{finding.end:<6} "
            f"{finding.confidence:.2f}  {finding.rule:<36} "
            f"{_excerpt(text, finding)!r}"
        )
    if verdict.rules:
        lines.append("Rules that made it sensitive: " + ", ".join(verdict.rules))
    return "\n".join(lines)
