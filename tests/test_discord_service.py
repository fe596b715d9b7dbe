"""The long-running chapter bot: start-up checks, the outbox loop, and a whole run on a fake
gateway (the region bot, the same service, is tested in test_region_outbox.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from fake_discord import APP_ID, GUILD_ID, LEAD_ROLE_ID, serve
from outbox_fakes import Passes
from test_discord_commands import BEN, ROSTER, ChapterFake, interaction

from meetbot.config.schema import ChapterSection, ReportSettings, Secrets, Settings
from meetbot.errors import ConfigError
from meetbot.publishers.base import Status
from meetbot.publishers.discord_service import chapter_delivery, keep_delivering, run_bot
from meetbot.publishers.outbox import Outbox
from reports.post import Audience, Post


async def test_without_a_token_the_bot_says_which_variable_to_set() -> None:
    settings = Settings(chapter=ChapterSection("Riverside"))
    with pytest.raises(ConfigError, match="MEETBOT_DISCORD_TOKEN is not set"):
        await run_bot(settings, ChapterFake())


class Ticks:
    """The loop's sleep: lets one round finish, then waits to be cancelled."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.round_done = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.round_done.set()
        await asyncio.Event().wait()


async def test_the_outbox_loop_delivers_pending_messages_then_waits(tmp_path: Path) -> None:
    settings = Settings(
        chapter=ChapterSection("Riverside"), reports=ReportSettings(out_dir=str(tmp_path))
    )
    outbox = Outbox(sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"))
    outbox.enqueue("console", Post(Audience.PUBLIC, "Recap", "Thanks."), "recap:s1")
    ticks = Ticks()
    async with asyncio.TaskGroup() as tg:
        passes = [chapter_delivery(settings, outbox, sleep=ticks)]
        loop = tg.create_task(keep_delivering(passes, 300.0, sleep=ticks))
        await ticks.round_done.wait()
        loop.cancel()
    assert ticks.waits == [300.0]
    assert outbox.get(1).status is Status.SENT
    assert (tmp_path / "recap-s1.md").exists()


async def test_the_chapter_outbox_loop_outlives_a_store_that_fails_and_delivers_after(
    tmp_path: Path,
) -> None:
    settings = Settings(
        chapter=ChapterSection("Riverside"), reports=ReportSettings(out_dir=str(tmp_path))
    )
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    outbox = Outbox(engine)
    passes = Passes()
    async with asyncio.TaskGroup() as tg:
        loop = tg.create_task(
            keep_delivering([chapter_delivery(settings, outbox)], 0.05, sleep=passes)
        )
        await passes.more(1)
        with engine.begin() as conn:  # the outbox cannot be read any more
            conn.execute(sa.text("DROP TABLE outbox_messages"))
        await passes.more(2)  # failing passes: said, and tried again
        assert not loop.done()
        Outbox(engine).enqueue("console", Post(Audience.PUBLIC, "Recap", "Thanks."), "recap:s1")
        await passes.more(2)
        loop.cancel()
    assert Outbox(engine).get(1).status is Status.SENT
    assert (tmp_path / "recap-s1.md").exists()


async def test_the_bot_logs_in_registers_joins_the_gateway_and_answers(tmp_path: Path) -> None:
    settings = Settings(
        chapter=ChapterSection("Riverside"),
        roster=ROSTER,
        reports=ReportSettings(out_dir=str(tmp_path)),
        secrets=Secrets(discord_token="bot-token-for-tests"),
    )
    outbox = Outbox(sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"))
    outbox.enqueue("console", Post(Audience.PUBLIC, "Recap", "Thanks."), "recap:s1")
    data = ChapterFake()
    async with serve() as fake:
        env = {"MEETBOT_DISCORD_API_BASE": fake.base, "MEETBOT_DISCORD_GATEWAY": fake.gateway}
        async with asyncio.TaskGroup() as tg:
            bot = tg.create_task(run_bot(settings, data, outbox=outbox, guild_id=GUILD_ID, env=env))
            identify = await fake.wait_for_frame(2)
            # Ben holds the "Chapter Lead" Discord role, known only from GUILD_CREATE.
            ask = interaction("77", BEN, "compare", [], roles=(LEAD_ROLE_ID,))
            await fake.dispatch("INTERACTION_CREATE", ask)
            await fake.wait_for(lambda reqs: any("/tok-77" in r.path for r in reqs))
            bot.cancel()
    assert identify["d"]["token"] == "bot-token-for-tests"
    privileged = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content
    assert identify["d"]["intents"] & privileged == 0
    assert fake.sent(f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands", method="PUT")
    assert data.calls == [("comparison", "6")]
    assert outbox.get(1).status is Status.SENT  # the outbox loop ran alongside
