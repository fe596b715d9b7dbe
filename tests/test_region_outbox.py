"""The region bot's outbox loop, end to end: recaps that workers could not post (Discord was
unreachable when their meetings ended) wait in the one PostgreSQL store; `run_region_bot`, on
the local fake Discord through discord.py's own code path, posts each once, to its own
chapter's channel, and keeps delivering what is stored later."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fake_discord import GUILD_ID, FakeDiscord, Recorded, serve
from outbox_fakes import Passes
from redis_server import free_port
from scripted_meeting import Connection, record

from meetbot.domain.chapter import Chapter, Member
from meetbot.domain.record import SessionRecord
from meetbot.fleet.chapters import Chapters, load_folder
from meetbot.fleet.claims import Claims
from meetbot.fleet.invites import Invitations
from meetbot.publishers.base import Status
from meetbot.publishers.delivery import deliver_recap, destination, queue_recap
from meetbot.publishers.discord_fleet import run_region_bot
from meetbot.publishers.outbox import Outbox
from meetbot.store import Store
from reports.post import Audience, Post

pytestmark = pytest.mark.postgres
CHANNELS = {"Alder": 6001, "Birch": 6002}


def region(folder: Path) -> Chapters:
    for name, channel in CHANNELS.items():
        (folder / f"{name.lower()}.toml").write_text(
            f'[chapter]\nname = "{name}"\n'
            f"[discord]\nchannel_id = {channel}\noutbox_every_s = 0.2\nfinish_timeout_s = 2.0\n"
            "backoff_base_s = 0.1\nbackoff_jitter = 0.0\n"
        )
    return load_folder(folder)


def meeting(chapter: str, session_id: str, day: int) -> SessionRecord:
    people = (Member("Ann Lee"), Member("Bo Chen"))
    script = (Connection("Ann Lee", speaks=((10, 40),)), Connection("Bo Chen", speaks=((50, 80),)))
    start = datetime(2031, 3, day, 7, 0, tzinfo=UTC)
    return record(session_id, Chapter(name=chapter, roster=people), start, script, 120.0)


def start_bot(
    chapters: Chapters, store: Store, outbox: Outbox, fake: FakeDiscord, passes: Passes
) -> asyncio.Task[None]:
    """`meetbot discord --chapters` on the fake Discord (HTTP and gateway)."""
    env = {"MEETBOT_DISCORD_API_BASE": fake.base, "MEETBOT_DISCORD_GATEWAY": fake.gateway}
    return asyncio.create_task(
        run_region_bot(
            list(chapters.by_name.values()),
            store,
            Invitations(chapters, Claims(store.engine)),
            outbox,
            guild_id=GUILD_ID,
            env=env,
            sleep=passes,
        )
    )


def posts(fake: FakeDiscord, chapter: str) -> list[Recorded]:
    return fake.sent(f"/channels/{CHANNELS[chapter]}/messages")


async def test_the_region_bot_posts_what_workers_left_pending_once_each_in_its_channel(
    tmp_path: Path,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEETBOT_STORAGE__URL", pg_url)
    monkeypatch.setenv("MEETBOT_DISCORD_TOKEN", "region-bot-token")
    chapters = region(tmp_path)
    alder, birch = chapters.get("Alder"), chapters.get("Birch")
    passes = Passes()
    with Store.open(pg_url) as store:
        outbox = Outbox(store.engine)
        async with serve() as fake:
            # Each worker's meeting ends while Discord is unreachable: the real delivery path
            # stores the recap and gives up after the time allowed.
            down = {"MEETBOT_DISCORD_API_BASE": f"http://127.0.0.1:{free_port()}/api/v10"}
            for settings, sid in ((alder, "20310304-070000-a1de"), (birch, "20310304-070000-b1c4")):
                record_ = meeting(settings.chapter.name, sid, 4)
                tried = await deliver_recap(record_, settings, outbox, env=down, within_s=2.0)
                (receipt,) = [r for r in tried if r.destination == destination(settings)]
                assert receipt.status is Status.PENDING
            waiting = outbox.pending()
            assert sorted(e.destination for e in waiting) == ["discord:6001", "discord:6002"]
            assert all(e.attempts >= 1 for e in waiting)  # tried, and failed: Discord was down
            # A row naming no channel (a webhook's, or an older meetbot's): whose chapter it is
            # cannot be told in a region's store, so the region bot must post it nowhere.
            outbox.enqueue("discord", Post(Audience.PUBLIC, "Cedar's recap", "Thanks."), "recap:c")
            assert fake.sent("/channels/") == []

            bot = start_bot(chapters, store, outbox, fake, passes)
            try:
                await fake.wait_for(lambda _: bool(posts(fake, "Alder") and posts(fake, "Birch")))
                await passes.more(1)
                # A recap stored while the bot runs is posted on a later pass.
                before = len(posts(fake, "Birch"))
                await asyncio.to_thread(
                    queue_recap, meeting("Birch", "20310311-070000-b2c4", 11), birch, outbox
                )
                await fake.wait_for(lambda _: len(posts(fake, "Birch")) > before)
                await passes.more(3)  # passes that would post anything a second time
            finally:
                bot.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await bot
        everything = Outbox(store.engine).entries()
    (unclaimed,) = [e for e in everything if e.destination == "discord"]
    assert unclaimed.status is Status.PENDING
    entries = [e for e in everything if e is not unclaimed]
    assert len(entries) == 3
    assert all(e.status is Status.SENT for e in entries)
    assert len(fake.sent("/users/@me", method="GET")) == 1  # the bot's one login serves all
    for chapter, channel in CHANNELS.items():
        mine = posts(fake, chapter)
        text = " ".join(json.dumps(p.payload, ensure_ascii=False) for p in mine)
        assert chapter in text
        assert not any(other in text for other in (*CHANNELS, "Cedar") if other != chapter)
        nonces = [p.payload["nonce"] for p in mine]
        assert len(set(nonces)) == len(nonces), f"{chapter}: a part was posted twice"
        parts = [p for e in entries if e.destination == f"discord:{channel}" for p in e.sent_parts]
        assert len(mine) == len(parts)  # each message once, every part once
    assert len({e.dedupe_key for e in entries if e.destination == "discord:6002"}) == 2


async def test_the_region_bot_outlives_a_store_that_fails_and_delivers_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEETBOT_DISCORD_TOKEN", "region-bot-token")
    chapters = region(tmp_path)
    passes = Passes()
    with Store.open(f"sqlite:///{tmp_path / 'region.sqlite3'}") as store:
        outbox = Outbox(store.engine)
        async with serve() as fake:
            bot = start_bot(chapters, store, outbox, fake, passes)
            try:
                await passes.more(1)
                with store.engine.begin() as conn:  # the outbox cannot be read any more
                    conn.execute(sa.text("DROP TABLE outbox_messages"))
                await passes.more(2)  # failing passes: said, and tried again
                assert not bot.done()
                Outbox(store.engine).enqueue(
                    "discord:6001", Post(Audience.PUBLIC, "Alder's recap", "Thanks."), "recap:a"
                )
                await fake.wait_for(lambda _: bool(posts(fake, "Alder")))
            finally:
                bot.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await bot


async def test_a_workers_delivery_leaves_a_webhook_chapters_recap_to_the_webhook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a region's one store, a chapter posting through a webhook and a chapter posting
    through the bot: the bot chapter's end of meeting sends its own recap only, never the
    webhook chapter's into its channel."""
    monkeypatch.setenv("MEETBOT_DISCORD_TOKEN", "region-bot-token")
    alder = region(tmp_path).get("Alder")
    hooked = dataclasses.replace(
        alder,
        discord=dataclasses.replace(alder.discord, use_webhook=True),
        secrets=dataclasses.replace(
            alder.secrets, discord_webhook_url="https://discord.com/api/webhooks/1/x"
        ),
    )
    assert destination(hooked) != destination(alder)
    with Store.open(f"sqlite:///{tmp_path / 'region.sqlite3'}") as store:
        outbox = Outbox(store.engine)
        queue_recap(meeting("Cedar", "20310304-070000-c3d4", 4), hooked, outbox)
        async with serve() as fake:
            env = {"MEETBOT_DISCORD_API_BASE": fake.base}
            record_ = meeting("Alder", "20310304-070000-a1de", 4)
            await deliver_recap(record_, alder, outbox, env=env, within_s=20.0)
        text = " ".join(json.dumps(p.payload, ensure_ascii=False) for p in posts(fake, "Alder"))
        assert "Alder" in text
        assert "Cedar" not in text
        (webhook_row,) = [e for e in outbox.entries() if e.dedupe_key.endswith("c3d4")]
        assert webhook_row.status is Status.PENDING
        assert webhook_row.destination == destination(hooked)
