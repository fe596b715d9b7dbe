"""Two deliverers on one store (the bot's loop and `meetbot outbox --retry`, say) never both
send a message: on a real SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from meetbot.fleet.claims import Claims
from meetbot.publishers.base import Acknowledged, DeliveryReceipt, OutgoingMessage, Status
from meetbot.publishers.outbox import Outbox
from meetbot.store import Store
from meetbot.store.database import create_engine
from reports.post import Audience, Post

POST = Post(Audience.PUBLIC, "Recap — Tuesday", "Thanks all.")


class SlowDiscord:
    """Counts every publish; each one waits until the test lets Discord answer."""

    def __init__(self) -> None:
        self.published: list[OutgoingMessage] = []
        self.started = asyncio.Event()
        self.answer = asyncio.Event()

    async def publish(
        self, message: OutgoingMessage, acknowledged: Acknowledged
    ) -> DeliveryReceipt:
        self.published.append(message)
        self.started.set()
        await self.answer.wait()
        ids = (f"m{message.id}",)
        acknowledged(ids)
        return DeliveryReceipt(message.id, message.destination, Status.SENT, ids)


class QuickDiscord:
    """Answers at once; safe to share between deliverers running in their own threads."""

    def __init__(self) -> None:
        self.published: list[OutgoingMessage] = []  # list.append is atomic

    async def publish(
        self, message: OutgoingMessage, acknowledged: Acknowledged
    ) -> DeliveryReceipt:
        self.published.append(message)
        await asyncio.sleep(0.01)  # long enough for the others to look at the same rows
        ids = (f"m{message.id}",)
        acknowledged(ids)
        return DeliveryReceipt(message.id, message.destination, Status.SENT, ids)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'meetbot.sqlite3'}"
    else:
        yield request.getfixturevalue("pg_url")


def engines(url: str, n: int) -> list[sa.Engine]:
    """Separate engines: separate connections, as two processes have."""
    return [create_engine(url) for _ in range(n)]


async def test_two_deliverers_send_a_message_once(url: str) -> None:
    first_engine, second_engine = engines(url, 2)
    first, second = Outbox(first_engine), Outbox(second_engine)
    mid = first.enqueue("discord", POST, "recap:s1")
    later = first.enqueue("discord", POST, "recap:s2")
    discord = SlowDiscord()
    async with asyncio.timeout(60), asyncio.TaskGroup() as tg:
        running = tg.create_task(first.deliver_pending({"discord": discord}))
        await discord.started.wait()  # the first one is sending: the row says `sending`
        assert second.get(mid).status is Status.SENDING
        (skipped,) = await second.deliver_pending({"discord": discord})
        discord.answer.set()
    assert (skipped.message_id, skipped.status) == (mid, Status.SENDING)
    assert skipped.note == "another meetbot process is delivering it right now"
    assert [r.status for r in running.result()] == [Status.SENT, Status.SENT]
    assert [m.id for m in discord.published] == [mid, later]  # each once, in order
    assert await second.deliver_pending({"discord": discord}) == []
    for engine in (first_engine, second_engine):
        engine.dispose()


async def test_racing_deliverers_claim_each_message_exactly_once(url: str) -> None:
    """Four deliverers start together on five messages: every message goes out once."""
    made = engines(url, 4)
    outboxes = [Outbox(engine) for engine in made]
    ids = [outboxes[0].enqueue("discord", POST, f"recap:s{i}") for i in range(5)]
    discord = QuickDiscord()
    async with asyncio.timeout(60):
        # Threads: each deliverer blocks on its own database connection, as processes do.
        runs = [
            asyncio.to_thread(asyncio.run, o.deliver_pending({"discord": discord}))
            for o in outboxes
        ]
        await asyncio.gather(*runs)
    assert sorted(m.id for m in discord.published) == ids
    assert {e.status for e in outboxes[0].entries()} == {Status.SENT}
    for engine in made:
        engine.dispose()


async def test_a_dead_deliverers_claim_expires(tmp_path: Path) -> None:
    now = [1_000_000.0]
    engine = create_engine(f"sqlite:///{tmp_path / 'meetbot.sqlite3'}")
    dead = Outbox(engine, clock=lambda: now[0], lease_s=300.0)
    mid = dead.enqueue("discord", POST, "recap:s1")
    assert dead._claim(mid, retry_failed=False) is not None  # then the process is killed
    alive = Outbox(engine, clock=lambda: now[0], lease_s=300.0)
    discord = QuickDiscord()
    (waiting,) = await alive.deliver_pending({"discord": discord})
    assert waiting.status is Status.PENDING
    assert discord.published == []
    now[0] += 301.0
    (sent,) = await alive.deliver_pending({"discord": discord})
    assert sent.status is Status.SENT
    engine.dispose()


def test_a_table_from_an_older_meetbot_gains_the_claim_columns(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'meetbot.sqlite3'}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE outbox_messages (id INTEGER PRIMARY KEY, destination VARCHAR(64) "
            "NOT NULL, dedupe_key VARCHAR(200) NOT NULL, status VARCHAR(16) NOT NULL, nonce "
            "VARCHAR(25) NOT NULL, post TEXT NOT NULL, attempts INTEGER NOT NULL, sent_parts "
            "TEXT NOT NULL, last_error TEXT NOT NULL, created_at FLOAT NOT NULL, "
            "next_attempt_at FLOAT NOT NULL, sent_at FLOAT, UNIQUE (destination, dedupe_key))"
        )
    outbox = Outbox(engine)
    mid = outbox.enqueue("discord", POST, "recap:s1")
    assert outbox.get(mid).status is Status.PENDING
    assert {c["name"] for c in sa.inspect(engine).get_columns("outbox_messages")} >= {
        "claim",
        "lease_until",
    }
    engine.dispose()


@pytest.mark.postgres
def test_workers_starting_at_once_on_a_new_database_all_get_their_tables(
    request: pytest.FixtureRequest,
) -> None:
    """A region's workers finish their meetings at the same moment on a database no one has
    used yet: each creates the outbox (and the store, and the fleet's table) without one of
    them failing on "relation already exists"."""
    url: str = request.getfixturevalue("pg_url")
    n = 6
    start = threading.Barrier(n)

    def open_all(engine: sa.Engine) -> None:
        start.wait(timeout=30)
        Outbox(engine)
        Claims(engine)
        with Store.open(url):
            pass

    workers = engines(url, n + 1)
    try:
        for _ in range(4):  # the race is narrow: run it a few times on an empty database
            with workers[n].begin() as conn:
                tables = sa.MetaData()
                tables.reflect(conn)
                tables.drop_all(conn)
            with concurrent.futures.ThreadPoolExecutor(n) as pool:
                opened = [pool.submit(open_all, e) for e in workers[:n]]
                for done in opened:
                    done.result(timeout=120)  # raises what the thread raised
            assert Outbox(workers[n]).pending() == []
    finally:
        for engine in workers:
            engine.dispose()
