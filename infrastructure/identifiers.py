"""The keyed blind index over identifiers, and the system clock."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import unicodedata

import phonenumbers

from application.ports import Clock, IdentifierHasher

SOCIAL_KINDS = frozenset(
    {"twitter", "facebook", "instagram", "youtube", "chat", "webform"}
)


class HmacIdentifierHasher(IdentifierHasher):
    def __init__(self, key: bytes) -> None:
        self._key = key

    def normalise(self, kind: str, value: str) -> str:
        value = unicodedata.normalize("NFKC", value).strip()
        if kind == "email":
            return value.casefold()
        if kind == "phone":
            try:
                number = phonenumbers.parse(value, "NO")
            except phonenumbers.NumberParseException:
                return "".join(ch for ch in value if ch.isdigit() or ch == "+")
            return phonenumbers.format_number(
                number, phonenumbers.PhoneNumberFormat.E164
            )
        if kind in SOCIAL_KINDS:
            return value.removeprefix("@").casefold()
        return value

    def digest(self, kind: str, value: str) -> str:
        message = f"{kind}\x1f{self.normalise(kind, value)}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


class SystemClock(Clock):
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock(Clock):
    """A clock that moves only when told to: for tests and scheduled purges."""

    def __init__(self, start: dt.datetime) -> None:
        self.current = start

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, delta: dt.timedelta) -> None:
        self.current += delta
