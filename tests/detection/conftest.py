from __future__ import annotations

import pytest

from infrastructure.detection import RuleBasedDetector


@pytest.fixture(scope="session")
def detector() -> RuleBasedDetector:
    return RuleBasedDetector()
