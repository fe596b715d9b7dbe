"""`meetbot outbox [--retry]` as a user runs it: a separate process on the same data folder."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fake_discord import FakeDiscord, serve
from outbox_fakes import chapter_file, meetbot

from meetbot import config
from meetbot.cli import main
from meetbot.publishers.delivery import outbox_engine
from meetbot.publishers.outbox import Outbox
from reports.post import Audience, Post

CHANNEL = 424242424242424242
RECAP = Post(Audience.PUBLIC, "Meeting recap — 5 January", "Thanks, everyone.")


@pytest.fixture
def chapter(tmp_path: Path) -> Path:
    return chapter_file(tmp_path, CHANNEL)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with serve() as server:
        yield server


def outbox_for(chapter: Path) -> Outbox:
    return Outbox(outbox_engine(config.load(chapter)))


def test_empty_outbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["outbox"]) == 0
    assert capsys.readouterr().out == "outbox: nothing pending\n"
    assert main(["outbox", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_lists_what_is_pending_and_how_to_send_it(
    chapter: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outbox_for(chapter).enqueue("discord", RECAP, "recap:s1")
    assert main(["outbox", "--config", str(chapter)]) == 0
    first, hint = capsys.readouterr().out.splitlines()
    assert first.startswith("#1 pending discord  recap:s1  'Meeting recap — 5 January'")
    assert hint == "1 not delivered; `meetbot outbox --retry` sends them"


async def test_retry_sends_it_once_through_the_bot(chapter: Path, fake: FakeDiscord) -> None:
    outbox_for(chapter).enqueue("discord", RECAP, "recap:s1")
    env = {"MEETBOT_DISCORD_TOKEN": "bot-token", "MEETBOT_DISCORD_API_BASE": fake.base}
    code, out, err = await meetbot("outbox", "--config", str(chapter), "--retry", **env)
    assert (code, err) == (0, "")
    assert out == f"#1 sent via discord: {fake.messages[0]['id']}\n"
    code, out, _ = await meetbot("outbox", "--config", str(chapter), "--retry", **env)
    assert (code, out) == (0, "outbox: nothing to deliver\n")
    assert len(fake.sent(f"/channels/{CHANNEL}/messages")) == 1


async def test_retry_without_discord_configured_keeps_it_and_says_why(chapter: Path) -> None:
    outbox_for(chapter).enqueue("discord", RECAP, "recap:s1")
    code, out, _ = await meetbot("outbox", "--config", str(chapter), "--retry")
    assert code == 1
    assert (
        out
        == "#1 pending via discord: no publisher for 'discord' is configured; it stays pending\n"
    )


async def test_a_long_rate_limit_ends_the_run_with_one_line_instead_of_sleeping_it_out(
    chapter: Path, fake: FakeDiscord
) -> None:
    outbox_for(chapter).enqueue("discord", RECAP, "recap:s1")
    # Without Via, discord.py hands the 429 to us instead of sleeping an hour itself.
    fake.fail_next("message", 429, retry_after=3600, via=False)
    env = {"MEETBOT_DISCORD_TOKEN": "bot-token", "MEETBOT_DISCORD_API_BASE": fake.base}
    code, out, _ = await meetbot("outbox", "--config", str(chapter), "--retry", **env)
    assert code == 1
    (line,) = out.splitlines()
    assert line.startswith("#1 pending via discord: ")
    assert "wait 1 h" in line
    assert "`meetbot outbox --retry`" in line
    assert len(fake.sent(f"/channels/{CHANNEL}/messages")) == 1  # one try, no hour of sleep
    assert fake.messages == []


async def test_retry_is_bounded_in_time_and_says_what_is_left(
    chapter: Path, fake: FakeDiscord
) -> None:
    outbox = outbox_for(chapter)
    outbox.enqueue("discord", RECAP, "recap:s1")
    outbox.enqueue("discord", RECAP, "recap:s2")
    for _ in range(8):
        fake.fail_next("message", 503)
    # Eight tries with this backoff would wait 2+4+8+16+32+60+60 s: far beyond the bound.
    env = {
        "MEETBOT_DISCORD_TOKEN": "bot-token",
        "MEETBOT_DISCORD_API_BASE": fake.base,
        "MEETBOT_DISCORD__FINISH_TIMEOUT_S": "3",
    }
    code, out, _ = await meetbot("outbox", "--config", str(chapter), "--retry", **env)
    assert code == 1
    first, rest = out.splitlines()
    assert first.startswith("#1 pending via discord: not delivered in the time allowed")
    assert rest == "1 more message waits in the outbox; `meetbot outbox --retry` sends them"
    assert fake.messages == []
    assert [e.status.value for e in outbox.pending()] == ["pending", "pending"]


def test_json_lists_pending_messages_for_scripts(
    chapter: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outbox_for(chapter).enqueue("discord", RECAP, "recap:s1")
    assert main(["outbox", "--config", str(chapter), "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["id"] == 1
    assert entry["status"] == "pending"
    assert entry["destination"] == "discord"
    assert entry["dedupe_key"] == "recap:s1"
    assert entry["title"] == "Meeting recap — 5 January"
    assert entry["sent_at"] is None
