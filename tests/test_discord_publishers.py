"""The real discord.py code path (bot and webhook) against a recording server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fake_discord import WEBHOOK_ID, WEBHOOK_TOKEN, WEBHOOK_URL, FakeDiscord, Recorded, serve

from meetbot.publishers.attempts import Backoff
from meetbot.publishers.base import Status
from meetbot.publishers.discord_bot import DiscordBotPublisher, make_client
from meetbot.publishers.discord_limits import Limits
from meetbot.publishers.discord_webhook import DiscordWebhookPublisher
from meetbot.publishers.outbox import Outbox
from reports.post import Attachment, Audience, Field, Post

TOKEN = "bot-token-for-tests"
CHANNEL = 424242424242424242
RECAP = Post(
    Audience.PUBLIC,
    "Chapter recap — 5 Jan",
    "Thank you all! @everyone was great.\n\n18 of 20 members attended.",
    (Field("Attendance", "18 present · 2 absent", inline=True),),
    "meetbot · nobody's video or audio was recorded",
    (Attachment("attendance.png", b"\x89PNG\r\n\x1a\nfake-chart"),),
)


class NoWait:
    """The outbox's sleep: records the backoff instead of waiting it out."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with serve() as server:
        yield server


@pytest.fixture
def db(tmp_path: Path) -> sa.Engine:
    return sa.create_engine(f"sqlite:///{tmp_path / 'meetbot.sqlite'}")


async def deliver_with_bot(
    engine: sa.Engine, *, timeout_s: float = 10.0, **kwargs: object
) -> list[Status]:
    async with make_client() as client:
        publisher = DiscordBotPublisher(client, CHANNEL, token=TOKEN, timeout_s=timeout_s)
        receipts = await Outbox(engine).deliver_pending({"discord": publisher}, **kwargs)  # type: ignore[arg-type]
    return [r.status for r in receipts]


async def test_recap_through_the_bot(fake: FakeDiscord, db: sa.Engine) -> None:
    Outbox(db).enqueue("discord", RECAP, "recap:s1")
    assert await deliver_with_bot(db) == [Status.SENT]

    (post,) = fake.sent(f"/channels/{CHANNEL}/messages")
    assert post.headers["Authorization"] == f"Bot {TOKEN}"
    assert post.payload is not None
    assert post.payload["allowed_mentions"] == {"parse": []}  # no pings from a public post
    assert post.payload["nonce"].endswith(".0")
    assert post.payload["enforce_nonce"] is True
    (embed,) = post.payload["embeds"]
    assert embed["title"] == "Chapter recap — 5 Jan"
    assert embed["fields"] == [
        {"name": "Attendance", "value": "18 present · 2 absent", "inline": True}
    ]
    assert embed["footer"] == {"text": "meetbot · nobody's video or audio was recorded"}
    assert post.files == (("attendance.png", b"\x89PNG\r\n\x1a\nfake-chart"),)
    entry = Outbox(db).get(1)
    assert entry.sent_parts == (fake.messages[0]["id"],)


async def test_recap_through_a_webhook_needs_no_token(fake: FakeDiscord, db: sa.Engine) -> None:
    outbox = Outbox(db)
    outbox.enqueue("discord", RECAP, "recap:s1")
    async with DiscordWebhookPublisher(WEBHOOK_URL, username="meetbot") as publisher:
        (receipt,) = await outbox.deliver_pending({"discord": publisher})
    assert receipt.status is Status.SENT
    (post,) = fake.sent("/webhooks/")
    assert post.path == f"/webhooks/{WEBHOOK_ID}/{WEBHOOK_TOKEN}"
    assert post.query["wait"] == "1"  # so Discord returns the message and its id
    assert "Authorization" not in post.headers
    assert post.payload is not None
    assert post.payload["username"] == "meetbot"
    assert post.payload["allowed_mentions"] == {"parse": []}
    assert receipt.remote_ids == (fake.messages[0]["id"],)
    assert [r.path for r in fake.requests] == [post.path]  # no login, no other call


async def test_a_429_with_via_is_waited_out_by_discord_py(fake: FakeDiscord, db: sa.Engine) -> None:
    fake.fail_next("message", 429, retry_after=0.01)
    Outbox(db).enqueue("discord", RECAP, "recap:s1")
    assert await deliver_with_bot(db) == [Status.SENT]
    assert [r.status for r in fake.sent("/channels/")] == [429, 200]
    assert len(fake.messages) == 1


async def test_a_long_rate_limit_is_scheduled_by_the_outbox(
    fake: FakeDiscord, db: sa.Engine
) -> None:
    # Longer than 30 s: discord.py hands it back (RateLimited) instead of hanging the request.
    fake.fail_next("message", 429, retry_after=45.0)
    Outbox(db).enqueue("discord", RECAP, "recap:s1")
    sleep = NoWait()
    assert await deliver_with_bot(db, sleep=sleep) == [Status.SENT]
    assert sleep.delays == [45.0]
    assert [r.status for r in fake.sent("/channels/")] == [429, 200]


async def test_a_429_discord_py_will_not_retry_is_retried_by_the_outbox(
    fake: FakeDiscord, db: sa.Engine
) -> None:
    # Without Via, discord.py raises at once (it reads that as a Cloudflare ban): our backoff.
    fake.fail_next("webhook", 429, retry_after=5.0, via=False)
    outbox = Outbox(db)
    outbox.enqueue("discord", RECAP, "recap:s1")
    sleep = NoWait()
    async with DiscordWebhookPublisher(WEBHOOK_URL) as publisher:
        (receipt,) = await outbox.deliver_pending({"discord": publisher}, sleep=sleep)
    assert receipt.status is Status.SENT
    assert len(sleep.delays) == 1
    assert [r.status for r in fake.sent("/webhooks/")] == [429, 200]


@pytest.mark.parametrize(
    ("timeout_s", "within_s"),
    [(1.0, None), (10.0, 1.0)],
    ids=["the webhook's own timeout", "the run's deadline"],
)
async def test_a_429_discord_py_sleeps_through_is_rate_limited_not_maybe_posted(
    fake: FakeDiscord, db: sa.Engine, timeout_s: float, within_s: float | None
) -> None:
    # With Via, discord.py sleeps out the Retry-After inside the request; the webhook's own
    # timeout (3 x 1 s) or the run's deadline ends that sleep. Discord refused the part: it
    # was surely not posted. (The deadline case said "no answer before the deadline": issue
    # 23, L7.)
    fake.fail_next("webhook", 429, retry_after=600.0)
    outbox = Outbox(db)
    outbox.enqueue("discord", RECAP, "recap:s1")
    async with DiscordWebhookPublisher(WEBHOOK_URL, timeout_s=timeout_s) as publisher:
        (receipt,) = await outbox.deliver_pending(
            {"discord": publisher}, sleep=NoWait(), within_s=within_s
        )
    assert [r.status for r in fake.sent("/webhooks/")] == [429]
    assert fake.messages == []
    assert receipt.status is Status.PENDING
    assert "may have been posted" not in receipt.note
    assert "could post a copy" not in receipt.note
    assert "no answer before the deadline" not in receipt.note
    assert "rate limited (429)" in receipt.note
    assert "not posted" in receipt.note
    # Scheduled after the wait Discord asked for, less what discord.py already slept of it.
    entry = outbox.get(1)
    assert "may have been posted" not in entry.last_error
    assert "Discord asks to wait 10 min" in receipt.note
    assert entry.next_attempt_at > 0


async def test_a_500_then_success_sends_one_message(fake: FakeDiscord, db: sa.Engine) -> None:
    fake.fail_next("message", 500)  # discord.py retries a 500 itself, after its own 1 s pause
    fake.fail_next("message", 503)  # ... but raises on a 503: the outbox backs off and retries
    Outbox(db).enqueue("discord", RECAP, "recap:s1")
    sleep = NoWait()
    statuses = await deliver_with_bot(db, sleep=sleep, backoff=Backoff(base_s=3.0, jitter=0.0))
    assert statuses == [Status.SENT]
    assert sleep.delays == [3.0]
    assert [r.status for r in fake.sent("/channels/")] == [500, 503, 200]
    assert len(fake.messages) == 1


async def test_a_lost_response_is_not_posted_twice(fake: FakeDiscord, db: sa.Engine) -> None:
    # Discord creates the message but the answer never arrives: we time out and try again
    # with the same nonce, and Discord hands back the message it already has.
    never = asyncio.Event()
    fake.fail_next("message", 200, hang=never, after_create=True)
    Outbox(db).enqueue("discord", RECAP, "recap:s1")
    statuses = await deliver_with_bot(db, timeout_s=0.5, sleep=NoWait())
    never.set()
    assert statuses == [Status.SENT]
    first, second = fake.sent("/channels/")
    assert first.payload is not None
    assert second.payload is not None
    assert first.payload["nonce"] == second.payload["nonce"]
    assert len(fake.messages) == 1
    assert Outbox(db).get(1).sent_parts == (fake.messages[0]["id"],)


async def test_restart_with_a_pending_outbox_sends_exactly_once(
    fake: FakeDiscord, db: sa.Engine
) -> None:
    # Run 1: Discord is down for the whole run; the recap stays pending.
    for _ in range(2):
        fake.fail_next("message", 503)
    Outbox(db).enqueue("discord", RECAP, "recap:s1")
    assert await deliver_with_bot(db, max_attempts=2, sleep=NoWait()) == [Status.PENDING]
    assert fake.messages == []
    # Run 2, a new process: a new client and a new Outbox on the same file.
    assert await deliver_with_bot(db) == [Status.SENT]
    # Run 3 and a repeated `meetbot post`: nothing more is sent.
    Outbox(db).enqueue("discord", RECAP, "recap:s1")
    assert await deliver_with_bot(db) == []
    assert len(fake.messages) == 1


async def test_killed_mid_send_then_restarted_posts_once(fake: FakeDiscord, db: sa.Engine) -> None:
    held = asyncio.Event()
    fake.fail_next("message", 200, hang=held, after_create=True)
    Outbox(db).enqueue("discord", RECAP, "recap:s1")
    async with asyncio.TaskGroup() as tg:
        run = tg.create_task(deliver_with_bot(db))
        await fake.wait_for(lambda reqs: any(r.path.startswith("/channels/") for r in reqs))
        run.cancel()  # the process dies after Discord accepted the message
    held.set()
    assert Outbox(db).get(1).status is Status.SENDING
    assert await deliver_with_bot(db) == [Status.SENT]
    assert len(fake.sent("/channels/")) == 2
    assert len(fake.messages) == 1


async def test_long_recap_is_split_into_valid_numbered_messages(
    fake: FakeDiscord, db: sa.Engine
) -> None:
    body = "\n\n".join(f"Highlight {i}: " + "great referral work " * 40 for i in range(40))
    fields = tuple(Field(f"Group {i}", "attended, 3 turns") for i in range(30))
    Outbox(db).enqueue("discord", Post(Audience.PUBLIC, "Recap", body, fields), "recap:s1")
    assert await deliver_with_bot(db) == [Status.SENT]
    posts = fake.sent("/channels/")
    assert len(posts) > 1
    embeds = [e for p in posts for e in (p.payload or {})["embeds"]]
    n = len(embeds)
    assert [e["title"] for e in embeds] == [f"Recap ({i}/{n})" for i in range(1, n + 1)]
    for p in posts:
        sizes = [
            len(e["title"])
            + len(e.get("description", ""))
            + sum(len(f["name"]) + len(f["value"]) for f in e.get("fields", []))
            for e in (p.payload or {})["embeds"]
        ]
        assert sum(sizes) <= 6000
        assert len(sizes) <= 10
    assert len({(p.payload or {})["nonce"] for p in posts}) == len(posts)  # one per part
    assert Outbox(db).get(1).sent_parts == tuple(m["id"] for m in fake.messages)


# Three highlights of ~4000 characters: one embed each, so exactly three messages.
THREE_PARTS = Post(
    Audience.PUBLIC,
    "Recap",
    "\n\n".join(f"Highlight {i}: " + "great referral work " * 200 for i in range(3)),
)


def titles(posts: list[Recorded]) -> list[str]:
    return [e["title"] for p in posts for e in (p.payload or {})["embeds"]]


async def test_a_cut_off_bot_delivery_resumes_at_the_first_unacknowledged_part(
    fake: FakeDiscord, db: sa.Engine
) -> None:
    held = asyncio.Event()  # part 2 gets no answer until the meeting's deadline has passed
    fake.fail_next("message", 200, hang=held, after=1)
    Outbox(db).enqueue("discord", THREE_PARTS, "recap:s1")
    assert await deliver_with_bot(db, within_s=1.0) == [Status.PENDING]
    held.set()
    entry = Outbox(db).get(1)
    assert (entry.status, entry.sent_parts) == (Status.PENDING, (fake.messages[0]["id"],))

    cut = len(fake.sent("/channels/"))
    assert await deliver_with_bot(db) == [Status.SENT]
    resumed = fake.sent("/channels/")[cut:]
    assert titles(resumed) == ["Recap (2/3)", "Recap (3/3)"]
    nonce = Outbox(db).get(1).nonce
    assert [(p.payload or {})["nonce"] for p in resumed] == [f"{nonce}.1", f"{nonce}.2"]
    assert Outbox(db).get(1).sent_parts == tuple(m["id"] for m in fake.messages)
    assert len(fake.messages) == 3


async def test_a_cut_off_webhook_delivery_does_not_post_a_part_twice(
    fake: FakeDiscord, db: sa.Engine
) -> None:
    held = asyncio.Event()
    fake.fail_next("webhook", 200, hang=held, after=1)
    outbox = Outbox(db)
    outbox.enqueue("discord", THREE_PARTS, "recap:s1")
    async with DiscordWebhookPublisher(WEBHOOK_URL) as publisher:
        (cut_off,) = await outbox.deliver_pending({"discord": publisher}, within_s=1.0)
        held.set()
        assert cut_off.status is Status.PENDING
        assert outbox.get(1).sent_parts == (fake.messages[0]["id"],)
        (receipt,) = await outbox.deliver_pending({"discord": publisher})
    assert receipt.status is Status.SENT
    # Webhooks have no nonce: only the outbox's record keeps part 1 from going out again.
    assert titles(fake.sent("/webhooks/")) == [
        "Recap (1/3)",
        "Recap (2/3)",  # held past the deadline, never created
        "Recap (2/3)",
        "Recap (3/3)",
    ]
    assert [(m["embeds"][0]["title"]) for m in fake.messages] == [
        "Recap (1/3)",
        "Recap (2/3)",
        "Recap (3/3)",
    ]
    assert receipt.remote_ids == outbox.get(1).sent_parts == tuple(m["id"] for m in fake.messages)


async def test_forbidden_channel_fails_clearly_without_retrying(
    fake: FakeDiscord, db: sa.Engine
) -> None:
    fake.fail_next("message", 403)
    outbox = Outbox(db)
    outbox.enqueue("discord", RECAP, "recap:s1")
    async with make_client() as client:
        publisher = DiscordBotPublisher(client, CHANNEL, token=TOKEN)
        (receipt,) = await outbox.deliver_pending({"discord": publisher}, sleep=NoWait())
    assert receipt.status is Status.FAILED
    assert "Send Messages" in receipt.note
    assert len(fake.sent("/channels/")) == 1


async def test_small_file_limit_comes_from_the_publisher(fake: FakeDiscord, db: sa.Engine) -> None:
    outbox = Outbox(db)
    outbox.enqueue("discord", RECAP, "recap:s1")
    async with make_client() as client:
        publisher = DiscordBotPublisher(client, CHANNEL, token=TOKEN, limits=Limits(file_size=4))
        (receipt,) = await outbox.deliver_pending({"discord": publisher})
    assert receipt.status is Status.SENT
    (post,) = fake.sent("/channels/")
    assert post.files == ()
    assert post.payload is not None
    assert "attendance.png left out" in post.payload["embeds"][0]["description"]


def test_bot_client_asks_for_no_privileged_intents() -> None:
    intents = make_client().intents
    assert (intents.members, intents.presences, intents.message_content) == (False, False, False)
