"""The wrapper every personal value travels in, so the store can seal it.

A `PersonalData` names the owner whose key seals it (a data subject, a case, a log
period) and a short field label. The storage layer encrypts it under the owner's
key; once that key is destroyed the value reads back as erased, never as an error.
It is deliberately not a dataclass: JSON encoders serialise dataclasses by
themselves and would write the value in clear (see notes on orjson).
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

ERASED_MARKER: Final = "[erased]"
UNREADABLE_MARKER: Final = "[unreadable: failed its integrity check]"


class PersonalData:
    __slots__ = ("field", "owner_id", "unreadable", "value")

    def __init__(
        self,
        owner_id: UUID,
        field: str,
        value: str | bytes | None,
        *,
        unreadable: bool = False,
    ) -> None:
        self.owner_id = owner_id
        self.field = field
        self.value = value
        # True when the sealed value exists but did not authenticate: shown as
        # such, never as a wrong plaintext and never as a crash.
        self.unreadable = unreadable

    @classmethod
    def erased(cls, owner_id: UUID, field: str) -> PersonalData:
        return cls(owner_id, field, None)

    @property
    def is_erased(self) -> bool:
        return self.value is None

    def text(self) -> str:
        """The value as text, or the erased marker once its key is gone."""
        if self.value is None:
            return UNREADABLE_MARKER if self.unreadable else ERASED_MARKER
        if isinstance(self.value, bytes):
            return self.value.decode("utf-8", "replace")
        return self.value

    def content(self) -> bytes | None:
        if self.value is None or isinstance(self.value, bytes):
            return self.value
        return self.value.encode("utf-8")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PersonalData) and (
            self.owner_id,
            self.field,
            self.value,
        ) == (other.owner_id, other.field, other.value)

    def __hash__(self) -> int:
        return hash((self.owner_id, self.field, self.value))

    def __repr__(self) -> str:
        # Never show the value: reprs end up in logs and tracebacks.
        state = "erased" if self.value is None else "sealed"
        return f"PersonalData({self.owner_id}, {self.field!r}, <{state}>)"


def text_or_none(value: PersonalData | None) -> str | None:
    return None if value is None else value.text()
