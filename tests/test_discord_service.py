"""The long-running bot's parts that run without a gateway: start-up checks, the outbox loop."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_discord_commands import ChapterFake

from meetbot.errors import ConfigError
from meetbot.publishers.base import Status
from meetbot.publishers.discord_service import keep_delivering, run_bot
from meetbot.publishers.outbox import Outbox
from meetbot.settings import ChapterSection, ReportSettings, Settings
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
        loop = tg.create_task(keep_delivering(settings, outbox, every_s=300.0, sleep=ticks))
        await ticks.round_done.wait()
        loop.cancel()
    assert ticks.waits == [300.0]
    assert outbox.get(1).status is Status.SENT
    assert (tmp_path / "recap-s1.md").exists()
