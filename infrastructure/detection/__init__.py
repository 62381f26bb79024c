"""Rule-based detection of personal and special-category data (issue 4)."""

from domain.sensitivity import SENSITIVE_CONFIDENCE, case_verdict
from infrastructure.detection.detector import RuleBasedDetector
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
