"""The page's queue (connectors/browser/arrivals.py): oldest first, what the join looked at put
back in front in its order, a waiting get woken by either put, and a get cut off by a timeout
(the join's one-second polls) taking nothing."""

from __future__ import annotations

import asyncio

import pytest

from meetbot.connectors.browser.arrivals import Arrivals, Lost, PictureReady


async def test_oldest_first_and_what_is_put_back_comes_before_what_came_since() -> None:
    queue = Arrivals()
    kept = [{"type": "janus", "n": 1}, {"type": "janus", "n": 2}]
    queue.put_nowait(PictureReady("t1"))  # came while the join looked at `kept`
    for arrival in reversed(kept):  # as connector._join puts them back
        queue.put_front(arrival)
    queue.put_nowait(Lost("closed"))
    got = [await queue.get() for _ in range(4)]
    assert got == [*kept, PictureReady("t1"), Lost("closed")]


async def test_a_waiting_get_wakes_for_either_put_and_each_item_goes_to_one_getter() -> None:
    queue = Arrivals()
    async with asyncio.TaskGroup() as tg:
        first, second = tg.create_task(queue.get()), tg.create_task(queue.get())
        await asyncio.sleep(0)  # both are waiting on an empty queue
        queue.put_nowait({"type": "dom"})
        queue.put_front(Lost("closed"))
    assert sorted(map(repr, (first.result(), second.result()))) == sorted(
        map(repr, ({"type": "dom"}, Lost("closed")))
    )


async def test_a_get_cut_off_by_a_timeout_takes_nothing() -> None:
    queue = Arrivals()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await queue.get()
    queue.put_nowait({"type": "track"})
    async with asyncio.timeout(1.0):
        assert await queue.get() == {"type": "track"}
