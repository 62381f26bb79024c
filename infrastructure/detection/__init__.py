"""Rule-based detection of personal and special-category data (issue 4)."""

from infrastructure.detection.detector import (
    SENSITIVE_CONFIDENCE,
    RuleBasedDetector,
    case_verdict,
)
from infrastructure.detection.national_id import NationalId, classify_national_id
from infrastructure.detection.report import format_findings

__all__ = [
    "SENSITIVE_CONFIDENCE",
    "NationalId",
    "RuleBasedDetector",
    "case_verdict",
    "classify_national_id",
    "format_findings",
]
