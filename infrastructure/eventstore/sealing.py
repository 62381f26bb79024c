"""Sealing personal data inside events: the `pii_v1` transcoding and its mapper.

Each `PersonalData` is encrypted under its owner's data key with associated data
that names the owner, the key version, the field and the event it belongs to
(originator id and version). A sealed value copied into another event, field or
owner therefore fails to open.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.persistence import Mapper, StoredEvent, Transcoding

from domain.personal_data import PersonalData
from infrastructure.vault import KeyVault, TamperedCiphertextError

log = structlog.get_logger(__name__)

_event_context: contextvars.ContextVar[str] = contextvars.ContextVar(
    "gdprkit_sealing_context", default=""
)


@contextmanager
def sealing_context(context: str) -> Iterator[None]:
    token = _event_context.set(context)
    try:
        yield
    finally:
        _event_context.reset(token)


def event_context(originator_id: Any, originator_version: int) -> str:
    return f"event/{originator_id}/{originator_version}"


class SealingMapper(Mapper[UUID]):
    """Binds every sealed field to the identity of the event that carries it."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        with sealing_context(
            event_context(domain_event.originator_id, domain_event.originator_version)
        ):
            return super().to_stored_event(domain_event)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        with sealing_context(
            event_context(stored_event.originator_id, stored_event.originator_version)
        ):
            return super().to_domain_event(stored_event)


class SealedPersonalData(Transcoding):
    type = PersonalData
    name = "pii_v1"

    def __init__(self, vault: KeyVault) -> None:
        self._vault = vault

    def encode(self, obj: PersonalData) -> dict[str, str]:
        encoded = {"o": obj.owner_id.hex, "f": obj.field}
        if obj.value is None:
            # An erased value stays erased when an aggregate holding it is saved.
            encoded["t"] = "x"
            return encoded
        is_bytes = isinstance(obj.value, bytes)
        plaintext = obj.value if isinstance(obj.value, bytes) else obj.value.encode()
        envelope = self._vault.seal(
            obj.owner_id, obj.field, plaintext, _event_context.get()
        )
        encoded["t"] = "b" if is_bytes else "s"
        encoded["v"] = base64.b64encode(envelope).decode("ascii")
        return encoded

    def decode(self, data: dict[str, str]) -> PersonalData:
        owner_id, field = UUID(hex=data["o"]), data["f"]
        if data["t"] == "x":
            return PersonalData.erased(owner_id, field)
        try:
            envelope = base64.b64decode(data["v"], validate=True)
            plaintext = self._vault.open(
                owner_id, field, envelope, _event_context.get()
            )
        except (TamperedCiphertextError, binascii.Error):
            log.error("sealing.authentication_failed", owner=str(owner_id), field=field)
            return PersonalData(owner_id, field, None, unreadable=True)
        if plaintext is None:
            return PersonalData.erased(owner_id, field)
        if data["t"] == "b":
            return PersonalData(owner_id, field, plaintext)
        return PersonalData(owner_id, field, plaintext.decode("utf-8"))


class ClearPersonalData(Transcoding):
    """No sealing at all: only the benchmark's baseline uses it, never a store."""

    type = PersonalData
    name = "pii_clear_v0"

    def encode(self, obj: PersonalData) -> dict[str, Any]:
        value = obj.value
        return {
            "o": obj.owner_id.hex,
            "f": obj.field,
            "b": isinstance(value, bytes),
            "v": None
            if value is None
            else base64.b64encode(
                value if isinstance(value, bytes) else value.encode()
            ).decode("ascii"),
        }

    def decode(self, data: dict[str, Any]) -> PersonalData:
        raw = None if data["v"] is None else base64.b64decode(data["v"])
        value: str | bytes | None = raw if raw is None or data["b"] else raw.decode()
        return PersonalData(UUID(hex=data["o"]), data["f"], value)


class KeyPreparer:
    """Finds every owner whose values a save is about to seal and has the vault
    load or create their keys in bulk before the events are encoded."""

    def __init__(self, vault: KeyVault) -> None:
        self._vault = vault

    def __call__(self, objs: Sequence[Any]) -> None:
        owners: dict[UUID, str] = {}
        for obj in objs:
            events = getattr(obj, "pending_events", None)
            for event in events if events is not None else (obj,):
                _collect_owners(vars(event), owners)
        if owners:
            self._vault.ensure_keys(owners)


def _collect_owners(value: Any, owners: dict[UUID, str]) -> None:
    if isinstance(value, PersonalData):
        if value.value is not None:
            owners.setdefault(value.owner_id, value.field)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_owners(item, owners)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect_owners(item, owners)
