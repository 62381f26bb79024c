"""What the JSON-based importers share: finding their files and pulling typed
fields out of loosely shaped records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from infrastructure.importers.errors import ImportSourceNotFoundError


class BadRecordError(Exception):
    """One record cannot be imported; `reason` is safe to report because it
    names fields and shapes, never values."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def existing(path: str) -> Path:
    source = Path(path)
    if not source.exists():
        raise ImportSourceNotFoundError(path)
    return source


def files_in(path: str, suffix: str) -> list[Path]:
    """`path` itself, or the files in the folder `path` that end in `suffix`."""
    source = existing(path)
    if source.is_dir():
        return sorted(p for p in source.iterdir() if p.suffix.lower() == suffix)
    return [source]


def numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, line


def parse_json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadRecordError("malformed JSON") from error
    return as_object(value, "record")


def as_object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRecordError(f"{what} is not a JSON object")
    return value


def as_list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise BadRecordError(f"{what} is not a JSON list")
    return value


def required_text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise BadRecordError(f"missing field {key}")
    return value


def optional_text(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
