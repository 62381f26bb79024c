"""The event store as the application sees it: aggregates in, aggregates out.

Which database, transcoder and mapper it uses is chosen by environment keys the
composition root sets; the application never names an adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Transcoding


class EventStore(Application[UUID]):
    name = "gdprkit"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        transcodings: Sequence[Transcoding] = (),
        before_save: Callable[[Sequence[Any]], object] | None = None,
    ) -> None:
        self._extra_transcodings = list(transcodings)
        self._before_save = before_save
        super().__init__(env)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Saves aggregates' pending events in one transaction, after letting the
        storage prepare what the events need (such as their data keys)."""
        if self._before_save is not None:
            self._before_save(objs)
        return super().save(*objs, **kwargs)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in self._extra_transcodings:
            transcoder.register(transcoding)

    def get(self, aggregate_id: UUID) -> Any:
        return self.repository.get(aggregate_id)
