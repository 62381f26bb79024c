"""Group commit: one transaction carries the records of many concurrent requests.

Audit-first reads make every read a write. Rather than one commit per read, a
single writer thread takes everything queued while the previous commit ran and
saves it in one transaction, then releases each waiting request. Nobody waits for
a timer: batches form by themselves under load, and a lone request commits at
once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

import structlog

from application.errors import AuditWriteError

log = structlog.get_logger(__name__)

SaveBatch = Callable[[Sequence[Any]], object]
_STOP = object()


class GroupCommitter:
    def __init__(
        self,
        save: SaveBatch,
        *,
        after_commit: Callable[[], object] | None = None,
        max_batch: int = 512,
        window_seconds: float = 0.0,
        timeout_seconds: float = 30.0,
    ) -> None:
        self._save = save
        self._after_commit = after_commit
        self._max_batch = max_batch
        self._window = window_seconds
        self._timeout = timeout_seconds
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._projector: threading.Thread | None = None
        self._projection_due = threading.Event()
        self._stopping = False
        self._start_lock = threading.Lock()
        self.batches = 0
        self.items = 0

    def submit(self, item: Any) -> None:
        """Blocks until `item` is durable; raises AuditWriteError if it is not."""
        self._ensure_running()
        done: Future[None] = Future()
        self._queue.put((item, done))
        try:
            done.result(timeout=self._timeout)
        except Exception as error:
            raise AuditWriteError(
                "the access record could not be written, so nothing is shown"
            ) from error

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=self._timeout)
            self._thread = None
        if self._projector is not None:
            self._stopping = True
            self._projection_due.set()
            self._projector.join(timeout=self._timeout)
            self._projector = None

    def _ensure_running(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                self._stopping = False
                if self._after_commit is not None:
                    self._projector = threading.Thread(
                        target=self._project,
                        args=(self._after_commit,),
                        name="group-commit-views",
                        daemon=True,
                    )
                    self._projector.start()
                self._thread = threading.Thread(
                    target=self._run, name="group-commit", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            if self._window:
                threading.Event().wait(self._window)
            while len(batch) < self._max_batch:
                try:
                    following = self._queue.get_nowait()
                except queue.Empty:
                    break
                if following is _STOP:
                    self._queue.put(_STOP)
                    break
                batch.append(following)
            self._commit(batch)

    def _commit(self, batch: list[tuple[Any, Future[None]]]) -> None:
        try:
            self._save([item for item, _ in batch])
        except Exception as error:
            log.error(
                "audit.group_commit_failed", size=len(batch), error=type(error).__name__
            )
            for _, done in batch:
                done.set_exception(error)
            return
        self.batches += 1
        self.items += len(batch)
        for _, done in batch:
            done.set_result(None)
        if self._after_commit is not None:
            # Projections follow the commit on a thread of their own: the next
            # batch never waits for them, and commits made meanwhile are caught
            # up in one pass.
            self._projection_due.set()

    def _project(self, after_commit: Callable[[], object]) -> None:
        while True:
            self._projection_due.wait()
            self._projection_due.clear()
            stopping = self._stopping
            try:
                after_commit()
            except Exception as error:
                log.warning("audit.catch_up_failed", error=type(error).__name__)
            if stopping:
                return
