"""The writer's batches stay within their limits in commands and in events."""

from __future__ import annotations

from concurrent.futures import Future

from shared.batching import BatchingWriter


def test_a_batch_stops_at_its_event_limit() -> None:
    saved: list[int] = []
    writer = BatchingWriter(lambda events: saved.append(len(events)), max_batch=100,
                            max_events=10)
    futures = [Future() for _ in range(7)]
    for done in futures:  # queued before the writer runs: it sees them all at once
        writer._queue.put(([object()] * 3, done))
    writer._queue.put(None)
    writer._loop()
    assert saved == [12, 9]  # 4 commands reach the limit; the other 3 go in the next
    assert all(done.done() for done in futures) and writer.commands == 7
