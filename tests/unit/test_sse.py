"""The server-sent-events loop (shared/sse.py) on its own: rows once and in order, a resume
point, keep-alives on a quiet stream, an end when the client goes."""

from __future__ import annotations

import pytest

from shared.errors import Invalid
from shared.sse import follow, start_after


class Table:
    """Rows the way a numbered read-model table hands them out."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, str, str]] = []

    async def fetch(self, after: int, limit: int) -> list[tuple[int, str, str]]:
        return [r for r in self.rows if r[0] > after][:limit]


async def _latest() -> int:
    return 41


async def test_start_after_prefers_the_clients_last_id() -> None:
    assert await start_after("7", _latest) == 7
    assert await start_after(None, _latest) == 41
    assert await start_after(" ", _latest) == 41
    for not_ours in ("not-a-number", "²", str(2**63)):  # issue 13: these were 500s or ignored
        with pytest.raises(Invalid, match="Last-Event-ID"):
            await start_after(not_ours, _latest)


async def test_rows_arrive_once_in_order_with_keep_alives_until_the_client_goes() -> None:
    table = Table()
    table.rows = [(1, "a", "{}"), (2, "b", '{"x":1}')]
    polls = 0

    async def gone() -> bool:
        nonlocal polls
        polls += 1
        if polls == 3:
            table.rows.append((3, "c", "{}"))
        return polls > 8

    chunks = [c async for c in follow(table.fetch, 1, poll=0.001, is_disconnected=gone,
                                      keep_alive=0.002)]
    assert chunks[0] == ": connected\n\n"
    events = [c for c in chunks if c.startswith("id:")]
    assert events == ['id: 2\nevent: b\ndata: {"x":1}\n\n', "id: 3\nevent: c\ndata: {}\n\n"]
    assert ": keep-alive\n\n" in chunks


async def test_a_stream_whose_client_left_stops() -> None:
    async def gone() -> bool:
        return True

    chunks = [c async for c in follow(Table().fetch, 0, poll=1, is_disconnected=gone)]
    assert chunks == [": connected\n\n"]
