from __future__ import annotations

import os
from pathlib import Path

import pytest

_REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared test corpora: GDPRKIT_SHARED_DATA, else ../shared/data."""
    configured = os.environ.get("GDPRKIT_SHARED_DATA")
    folder = Path(configured) if configured else _REPOSITORY.parent / "shared" / "data"
    if not folder.is_dir():
        pytest.skip(
            "../shared/data is absent: corpus tests need it (set GDPRKIT_SHARED_DATA)"
        )
    return folder
