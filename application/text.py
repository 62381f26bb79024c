"""Text that is stored in clear (names of workspaces and inboxes, tags, purposes).

PostgreSQL refuses NUL in text columns. An event carrying one would be stored
and then stop every projection behind it, so NUL is dropped before it reaches an
event; sealed personal values are bytes and need no such care.
"""

from __future__ import annotations

from collections.abc import Iterable


def plain_text(value: str) -> str:
    return value.replace("\x00", "")


def plain_texts(values: Iterable[str]) -> list[str]:
    return [cleaned for cleaned in map(plain_text, values) if cleaned]
