"""The outbox on a real SQLite file: stored before sending, sent once, retried with backoff."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
import sqlalchemy as sa
from outbox_fakes import FakeTime

from meetbot.publishers.attempts import Backoff
from meetbot.publishers.base import (
    Acknowledged,
    DeliveryFailed,
    DeliveryReceipt,
    OutgoingMessage,
    Status,
    post_from_json,
    post_to_json,
)
from meetbot.publishers.outbox import Outbox
from reports.post import Attachment, Audience, Field, Post

POST = Post(
    Audience.PUBLIC,
    "Recap — Tuesday",
    "Thanks all.\n\n**18 of 20** members attended.",
    (Field("Attendance", "18 present", inline=True), Field("Turns", "18")),
    "meetbot · listening score explained in /meetbot myscore",
    (Attachment("chart.png", bytes(range(256)) * 4),),
)


class ScriptedPublisher:
    """Fails as scripted (one outcome per attempt), then succeeds; records what it was given."""

    def __init__(self, *outcomes: Exception | None) -> None:
        self.outcomes = list(outcomes)
        self.seen: list[OutgoingMessage] = []

    async def publish(
        self, message: OutgoingMessage, acknowledged: Acknowledged
    ) -> DeliveryReceipt:
        self.seen.append(message)
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome
        ids = (*message.sent_parts, f"m{message.id}-{len(message.sent_parts)}")
        return DeliveryReceipt(message.id, message.destination, Status.SENT, ids)


class ThreeParts:
    """Sends a message as three parts, acknowledging each as Discord would answer it.

    Per attempt, `stops` may name the part that gets no answer and what happens there: an
    exception, or None for a request that hangs (`hanging` is set when it does).
    """

    def __init__(self, *stops: tuple[int, Exception | None]) -> None:
        self.stops = list(stops)
        self.seen: list[OutgoingMessage] = []
        self.hanging = asyncio.Event()

    async def publish(
        self, message: OutgoingMessage, acknowledged: Acknowledged
    ) -> DeliveryReceipt:
        self.seen.append(message)
        stop = self.stops.pop(0) if self.stops else None
        sent = list(message.sent_parts)
        for index in range(len(sent), 3):
            if stop is not None and stop[0] == index:
                if stop[1] is not None:
                    raise stop[1]
                self.hanging.set()
                await asyncio.Event().wait()  # Discord took the request and never answers
            sent.append(f"m{message.id}.{index}")
            acknowledged(tuple(sent))
        return DeliveryReceipt(message.id, message.destination, Status.SENT, tuple(sent))


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def engine(path: Path) -> sa.Engine:
    return sa.create_engine(f"sqlite:///{path}")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "meetbot.sqlite"


def test_post_survives_the_round_trip_through_the_row() -> None:
    assert post_from_json(post_to_json(POST)) == POST


def test_enqueue_is_idempotent_per_destination_and_key(db: Path) -> None:
    outbox = Outbox(engine(db))
    first = outbox.enqueue("discord", POST, "recap:s1")
    assert outbox.enqueue("discord", POST, "recap:s1") == first
    other = outbox.enqueue("console", POST, "recap:s1")
    assert other != first
    assert [(e.destination, e.status) for e in outbox.pending()] == [
        ("discord", Status.PENDING),
        ("console", Status.PENDING),
    ]


async def test_delivers_once_and_never_again(db: Path) -> None:
    outbox = Outbox(engine(db))
    mid = outbox.enqueue("discord", POST, "recap:s1")
    publisher = ScriptedPublisher()
    receipts = await outbox.deliver_pending({"discord": publisher})
    assert receipts == [DeliveryReceipt(mid, "discord", Status.SENT, (f"m{mid}-0",))]
    assert await outbox.deliver_pending({"discord": publisher}) == []
    assert outbox.enqueue("discord", POST, "recap:s1") == mid  # a re-run of `post` adds nothing
    assert await outbox.deliver_pending({"discord": publisher}) == []
    assert len(publisher.seen) == 1
    entry = outbox.get(mid)
    assert (entry.status, entry.sent_parts, entry.attempts) == (Status.SENT, (f"m{mid}-0",), 1)


async def test_retryable_failures_back_off_exponentially_and_honour_retry_after(db: Path) -> None:
    outbox = Outbox(engine(db))
    mid = outbox.enqueue("discord", POST, "recap:s1")
    publisher = ScriptedPublisher(
        DeliveryFailed("Discord error 500", retryable=True),
        DeliveryFailed("Discord error 502", retryable=True),
        DeliveryFailed("rate limited", retryable=True, retry_after=30.0),
    )
    sleep = RecordingSleep()
    receipts = await outbox.deliver_pending(
        {"discord": publisher}, backoff=Backoff(base_s=1.0, jitter=0.0), sleep=sleep
    )
    assert sleep.delays == [1.0, 2.0, 30.0]
    assert receipts[0].status is Status.SENT
    assert [m.attempt for m in publisher.seen] == [1, 2, 3, 4]
    assert {m.nonce for m in publisher.seen} == {outbox.get(mid).nonce}  # one nonce, all tries


async def test_a_deadline_stops_before_a_wait_that_would_pass_it(db: Path) -> None:
    time = FakeTime()
    outbox = Outbox(engine(db), clock=time)
    first = outbox.enqueue("discord", POST, "recap:s1")
    second = outbox.enqueue("discord", POST, "recap:s2")
    third = outbox.enqueue("discord", POST, "recap:s3")
    down = DeliveryFailed("Discord error 503", retryable=True)
    publisher = ScriptedPublisher(down, None, down)  # s1: fails, then sent; s2: fails
    receipts = await outbox.deliver_pending(
        {"discord": publisher},
        backoff=Backoff(base_s=1.0, jitter=0.0),
        sleep=time.sleep,
        within_s=1.5,
    )
    # s1 waits 1 s and goes out at 1.0; s2's wait would end at 2.0, past 1.5: not waited for.
    assert time.slept == [1.0]
    assert [(r.message_id, r.status) for r in receipts] == [
        (first, Status.SENT),
        (second, Status.PENDING),
    ]
    assert receipts[1].note == (
        "not delivered in the time allowed (Discord error 503); `meetbot outbox --retry` sends it"
    )
    rows = {e.id: (e.status, e.attempts) for e in outbox.pending()}
    assert rows == {second: (Status.PENDING, 1), third: (Status.PENDING, 0)}


async def test_no_time_left_means_no_try(db: Path) -> None:
    outbox = Outbox(engine(db), clock=FakeTime())
    mid = outbox.enqueue("discord", POST, "recap:s1")
    publisher = ScriptedPublisher()
    (receipt,) = await outbox.deliver_pending({"discord": publisher}, within_s=0.0)
    assert (receipt.message_id, receipt.status) == (mid, Status.PENDING)
    assert "ran out before a first try" in receipt.note
    assert publisher.seen == []
    assert outbox.get(mid).attempts == 0


async def test_an_attempt_running_at_the_deadline_is_cut_off_and_kept(db: Path) -> None:
    outbox = Outbox(engine(db), clock=FakeTime())
    mid = outbox.enqueue("discord", POST, "recap:s1")
    hung = ThreeParts((0, None))
    (receipt,) = await outbox.deliver_pending({"discord": hung}, within_s=0.05)
    assert hung.hanging.is_set()
    assert receipt.status is Status.PENDING
    entry = outbox.get(mid)  # back to pending, not left looking like a crash mid-send
    assert (entry.status, entry.last_error) == (Status.PENDING, "no answer before the deadline")


async def test_parts_acknowledged_before_the_deadline_are_not_sent_again(db: Path) -> None:
    outbox = Outbox(engine(db), clock=FakeTime())
    mid = outbox.enqueue("discord", POST, "recap:s1")
    publisher = ThreeParts((1, None))  # part 1 answered, part 2 still waiting at the deadline
    (cut_off,) = await outbox.deliver_pending({"discord": publisher}, within_s=0.05)
    assert (cut_off.status, cut_off.remote_ids) == (Status.PENDING, (f"m{mid}.0",))
    entry = outbox.get(mid)
    assert (entry.status, entry.sent_parts) == (Status.PENDING, (f"m{mid}.0",))

    (receipt,) = await outbox.deliver_pending({"discord": publisher})  # the next run
    assert [m.sent_parts for m in publisher.seen] == [(), (f"m{mid}.0",)]
    assert (
        receipt.remote_ids == outbox.get(mid).sent_parts == (f"m{mid}.0", f"m{mid}.1", f"m{mid}.2")
    )


def test_backoff_is_capped_and_jitter_only_adds() -> None:
    backoff = Backoff(base_s=2.0, cap_s=60.0, jitter=0.2)
    rng = random.Random(7)
    for failures in range(1, 12):
        plain = min(60.0, 2.0 * 2 ** (failures - 1))
        assert plain <= backoff.delay(failures, None, rng) <= plain * 1.2
    assert backoff.delay(1, 90.0, rng) == 90.0  # Discord's retry_after wins


async def test_gives_up_for_this_run_keeps_it_pending_and_stops_the_queue(db: Path) -> None:
    outbox = Outbox(engine(db))
    first = outbox.enqueue("discord", POST, "recap:s1")
    outbox.enqueue("discord", POST, "recap:s2")
    down = DeliveryFailed("cannot reach Discord", retryable=True)
    publisher = ScriptedPublisher(down, down, down)
    receipts = await outbox.deliver_pending(
        {"discord": publisher}, max_attempts=3, sleep=RecordingSleep()
    )
    assert [(r.message_id, r.status) for r in receipts] == [(first, Status.PENDING)]
    assert "meetbot outbox --retry" in receipts[0].note
    assert {m.id for m in publisher.seen} == {first}  # s2 was not tried while Discord is down
    entry = outbox.get(first)
    assert (entry.status, entry.attempts, entry.last_error) == (
        Status.PENDING,
        3,
        "cannot reach Discord",
    )
    # Later, Discord is back: both go out, in order.
    receipts = await outbox.deliver_pending({"discord": publisher})
    assert [r.status for r in receipts] == [Status.SENT, Status.SENT]
    assert [m.id for m in publisher.seen[3:]] == [first, first + 1]


async def test_a_config_problem_fails_without_retrying_until_asked(db: Path) -> None:
    outbox = Outbox(engine(db))
    mid = outbox.enqueue("discord", POST, "recap:s1")
    publisher = ScriptedPublisher(DeliveryFailed("404: no such channel", retryable=False))
    sleep = RecordingSleep()
    (receipt,) = await outbox.deliver_pending({"discord": publisher}, sleep=sleep)
    assert receipt.status is Status.FAILED
    assert "fix that, then run `meetbot outbox --retry`" in receipt.note
    assert sleep.delays == []
    assert await outbox.deliver_pending({"discord": publisher}) == []  # not retried by itself
    assert [e.id for e in outbox.pending()] == [mid]  # ... but never lost
    (receipt,) = await outbox.deliver_pending({"discord": publisher}, retry_failed=True)
    assert receipt.status is Status.SENT


async def test_a_retry_resumes_after_the_parts_already_acknowledged(db: Path) -> None:
    outbox = Outbox(engine(db))
    mid = outbox.enqueue("discord", POST, "recap:s1")
    publisher = ThreeParts((2, DeliveryFailed("Discord error 503", retryable=True)))
    (receipt,) = await outbox.deliver_pending({"discord": publisher}, sleep=RecordingSleep())
    assert [m.sent_parts for m in publisher.seen] == [(), (f"m{mid}.0", f"m{mid}.1")]
    assert receipt.remote_ids == (f"m{mid}.0", f"m{mid}.1", f"m{mid}.2")


async def test_without_a_publisher_for_the_destination_it_stays_pending(db: Path) -> None:
    outbox = Outbox(engine(db))
    mid = outbox.enqueue("discord", POST, "recap:s1")
    (receipt,) = await outbox.deliver_pending({"console": ScriptedPublisher()})
    assert (receipt.status, receipt.message_id) == (Status.PENDING, mid)
    assert "no publisher for 'discord'" in receipt.note


async def test_an_attempt_cut_short_is_resent_after_restart_with_the_same_nonce(db: Path) -> None:
    outbox = Outbox(engine(db))
    mid = outbox.enqueue("discord", POST, "recap:s1")
    nonce = outbox.get(mid).nonce
    blocking = ThreeParts((1, None))
    async with asyncio.TaskGroup() as tg:
        delivery = tg.create_task(outbox.deliver_pending({"discord": blocking}))
        await blocking.hanging.wait()
        delivery.cancel()  # the process dies while part 2 waits for its answer
    entry = outbox.get(mid)
    assert (entry.status, entry.sent_parts) == (Status.SENDING, (f"m{mid}.0",))

    restarted = Outbox(engine(db))  # a new process on the same file
    publisher = ThreeParts()
    (receipt,) = await restarted.deliver_pending({"discord": publisher})
    assert receipt.status is Status.SENT
    assert [(m.nonce, m.sent_parts) for m in publisher.seen] == [(nonce, (f"m{mid}.0",))]
    assert await Outbox(engine(db)).deliver_pending({"discord": publisher}) == []


def test_entries_lists_newest_rows_of_any_status(db: Path) -> None:
    outbox = Outbox(engine(db))
    ids = [outbox.enqueue("console", POST, f"recap:s{i}") for i in range(5)]
    assert [e.id for e in outbox.entries(limit=3)] == ids[2:]
