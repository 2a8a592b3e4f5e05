"""Group the saves of concurrent commands into one transaction.

eventsourcing takes a table lock per insert so that notification ids commit in order; with
one command per transaction, writers queue on that lock and each pays a commit of its own.
Here request threads hand their new events to one writer thread, which stores everything
waiting in a single transaction. A command returns only after its transaction committed, so
an accepted command is durable. If a batch fails on a conflict (two commands on the same
issue, an idempotency race), each command is retried alone so only the loser sees the error.

A command submitted for a request carries the request's budget (shared/deadline.py): the
writer claims it as it takes the command into a transaction, and drops a command whose client
gave up or whose deadline passed, so nothing is executed for a request already answered.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from eventsourcing.persistence import IntegrityError

from shared import deadline

log = logging.getLogger("gongzhi.batching")

SaveEvents = Callable[[Sequence[Any]], Any]
_Item = tuple[list[Any], Future, "deadline.Budget | None"]


def _claim(item: _Item) -> bool:
    """Take the command into a transaction, or fail it if its request was given up."""
    _, done, budget = item
    try:
        deadline.claim_or_raise(budget)
    except deadline.Abandoned as exc:
        done.set_exception(exc)
        return False
    return True


class BatchingWriter:
    def __init__(self, save_events: SaveEvents, *, max_batch: int = 200,
                 max_events: int = 500, name: str = "writer"):
        self._save = save_events
        self._max = max_batch
        # One transaction of a few thousand events stalled psycopg's pipeline (client and
        # server each waiting on the other); batches stop well short of that.
        self._max_events = max_events
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._started = False
        self._lock = threading.Lock()
        self.batches = 0  # how many transactions, for tests and benchmarks
        self.commands = 0

    def submit(self, events: list[Any]) -> Any:
        """Store the events of one command; block until committed (or raise its error)."""
        with self._lock:
            if not self._started:
                self._thread.start()
                self._started = True
        done: Future = Future()
        self._queue.put((events, done, deadline.current()))
        return done.result()

    def stop(self) -> None:
        if self._started:
            self._queue.put(None)
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch: list[tuple[list[Any], Future]] = []
            events = 0
            item: _Item | None = first
            while item is not None:
                if _claim(item):
                    batch.append(item[:2])
                    events += len(item[0])
                if len(batch) >= self._max or events >= self._max_events:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this batch
            if batch:
                self._flush(batch)

    def _flush(self, batch: list[tuple[list[Any], Future]]) -> None:
        self.batches += 1
        self.commands += len(batch)
        try:
            result = self._save([e for events, _ in batch for e in events])
        except IntegrityError:
            if len(batch) == 1:
                batch[0][1].set_exception(IntegrityError("conflicting write"))
                return
            for events, done in batch:  # find the loser(s); the others still commit
                self._flush([(events, done)])
            return
        except BaseException as exc:
            log.exception("saving a batch of %d commands failed", len(batch))
            for _, done in batch:
                done.set_exception(exc)
            return
        for _, done in batch:
            done.set_result(result)
