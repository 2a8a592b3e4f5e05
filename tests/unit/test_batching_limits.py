"""The writer's batches stay within their limits in commands and in events."""

from __future__ import annotations

from concurrent.futures import Future

import pytest

from shared.batching import BatchingWriter
from shared.deadline import Abandoned, Budget


def test_a_batch_stops_at_its_event_limit() -> None:
    saved: list[int] = []
    writer = BatchingWriter(lambda events: saved.append(len(events)), max_batch=100,
                            max_events=10)
    futures = [Future() for _ in range(7)]
    for done in futures:  # queued before the writer runs: it sees them all at once
        writer._queue.put(([object()] * 3, done, None))  # no request budget
    writer._queue.put(None)
    writer._loop()
    assert saved == [12, 9]  # 4 commands reach the limit; the other 3 go in the next
    assert all(done.done() for done in futures) and writer.commands == 7


def test_a_command_given_up_before_its_turn_is_never_executed() -> None:
    saved: list[int] = []
    writer = BatchingWriter(lambda events: saved.append(len(events)))
    gone, expired, wanted = Budget(60), Budget(0), Budget(60)
    assert gone.abandon()  # the client disconnected while the command queued
    futures = {b: Future() for b in (gone, expired, wanted)}
    for budget, done in futures.items():
        writer._queue.put(([object()], done, budget))
    writer._queue.put(None)
    writer._loop()
    assert saved == [1]  # only the wanted command reached the store
    for budget in (gone, expired):
        with pytest.raises(Abandoned):
            futures[budget].result()
    assert not wanted.abandon()  # claimed: the request waits for its outcome, not a 503
