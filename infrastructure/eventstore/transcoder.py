"""An orjson transcoder that round-trips every type our events carry, exactly.

orjson writes UUIDs and datetimes as plain strings by itself and never asks us,
so they would come back as `str`. Encoding therefore walks the tree first and
turns every non-JSON value into the `_type_`/`_data_` pair of a registered
transcoding; decoding walks it back.
"""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import (
    JSONTranscoder,
    Transcoding,
    TranscodingNotRegisteredError,
)

# Exact types only: a str subclass such as an enum member must not pass silently.
_PLAIN = frozenset({str, int, float, bool, type(None)})


class BytesAsBase64(Transcoding):
    type = bytes
    name = "bytes_b64"

    def encode(self, obj: bytes) -> str:
        return base64.b64encode(obj).decode("ascii")

    def decode(self, data: str) -> bytes:
        return base64.b64decode(data)


class SetAsList(Transcoding):
    type = set
    name = "set"

    def encode(self, obj: set[Any]) -> list[Any]:
        return sorted(obj, key=repr)

    def decode(self, data: list[Any]) -> set[Any]:
        return set(data)


class OrjsonTranscoder(JSONTranscoder):
    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(self._to_plain(obj))

    def decode(self, data: bytes) -> Any:
        return self._from_plain(orjson.loads(data))

    def _to_plain(self, obj: Any) -> Any:
        if type(obj) in _PLAIN:
            return obj
        if type(obj) is dict:
            return {key: self._to_plain(value) for key, value in obj.items()}
        if type(obj) in (list, tuple):
            return [self._to_plain(value) for value in obj]
        transcoding = self.types.get(type(obj))
        if transcoding is None:
            raise TranscodingNotRegisteredError(
                f"Object of type {type(obj)} is not serializable: register a "
                "transcoding for it"
            )
        return {
            "_type_": transcoding.name,
            "_data_": self._to_plain(transcoding.encode(obj)),
        }

    def _from_plain(self, obj: Any) -> Any:
        if type(obj) is list:
            return [self._from_plain(value) for value in obj]
        if type(obj) is not dict:
            return obj
        if len(obj) == 2 and "_type_" in obj and "_data_" in obj:
            transcoding = self.names.get(obj["_type_"])
            if transcoding is not None:
                return transcoding.decode(self._from_plain(obj["_data_"]))
        return {key: self._from_plain(value) for key, value in obj.items()}


# Re-exported so callers can check what the base application registers.
STANDARD_TYPES = (UUID, Decimal, dt.datetime)
