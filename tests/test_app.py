"""app.finish with Discord down: the meeting ends within its deadline, the recap waits, once.

The real discord.py code path posts to a local fake Discord (tests/fake_discord.py) that answers
5xx, or to a closed port; time is a fake clock that only the outbox's backoff sleeps advance, so
"within the deadline" is asserted on that clock, never on the wall.
"""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fake_discord import FakeDiscord, serve
from outbox_fakes import FakeTime, chapter_file, meetbot
from records import small_session

from meetbot import app
from meetbot.config.schema import ChapterSection, DiscordSettings, ReportSettings, Secrets, Settings
from meetbot.publishers.base import Status
from meetbot.publishers.outbox import Outbox
from meetbot.store import Store

CHANNEL = 424242424242424242
DEADLINE_S = 30.0


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with serve() as server:
        yield server


@pytest.fixture
def store(isolated_meetbot_env: Path) -> Iterator[Store]:
    with Store.open("", isolated_meetbot_env) as opened:
        yield opened


@pytest.fixture
def chapter(tmp_path: Path) -> Path:
    """The same settings as a chapter file, for the later `meetbot outbox` process."""
    return chapter_file(tmp_path, CHANNEL)


def settings(tmp_path: Path, **discord: object) -> Settings:
    return Settings(
        chapter=ChapterSection("Riverside", timezone="Europe/London"),
        discord=DiscordSettings(
            **{
                "channel_id": CHANNEL,
                "finish_timeout_s": DEADLINE_S,
                "backoff_jitter": 0.0,  # the waits are then exactly 2, 4, 8, ... s
                **discord,
            }  # type: ignore[arg-type]
        ),
        reports=ReportSettings(out_dir=str(tmp_path / "reports")),
        secrets=Secrets(discord_token="bot-token"),
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def outbox_retry(chapter: Path, fake: FakeDiscord) -> tuple[int, str]:
    """`meetbot outbox --retry` as a user runs it later, on the same store."""
    env = {"MEETBOT_DISCORD_TOKEN": "bot-token", "MEETBOT_DISCORD_API_BASE": fake.base}
    code, out, _ = await meetbot("outbox", "--config", str(chapter), "--retry", **env)
    return code, out


@pytest.mark.parametrize("outage", ["503", "unreachable"])
async def test_discord_outage_ends_within_the_deadline_and_a_later_outbox_run_posts_once(
    outage: str, fake: FakeDiscord, store: Store, chapter: Path, tmp_path: Path
) -> None:
    record = small_session()
    time = FakeTime()
    outbox = Outbox(store.engine, clock=time)
    if outage == "503":
        # Down for as many tries as fit in the deadline, up again for the later run; a fifth
        # try at the meeting's end would succeed and fail the PENDING check below.
        for _ in range(4):
            fake.fail_next("message", 503)
        env = {"MEETBOT_DISCORD_API_BASE": fake.base}
    else:
        env = {"MEETBOT_DISCORD_API_BASE": f"http://127.0.0.1:{closed_port()}/api/v10"}
    out = io.StringIO()

    finished = await app.finish(
        record, settings(tmp_path), store, stream=out, outbox=outbox, sleep=time.sleep, env=env
    )

    # Tries at 0, 2, 6 and 14 s; the next wait (16 s) would end at the deadline: stop there,
    # far from the 8 attempts and ~3 minutes of waits max_attempts alone allows.
    assert time.slept == [2.0, 4.0, 8.0]
    assert time.now - time.start <= DEADLINE_S
    if outage == "503":
        assert len(fake.sent(f"/channels/{CHANNEL}/messages")) == 4
    (receipt,) = finished.receipts
    assert (receipt.destination, receipt.status) == (f"discord:{CHANNEL}", Status.PENDING)
    assert "not delivered in the time allowed" in receipt.note
    (entry,) = outbox.pending()
    assert (entry.dedupe_key, entry.status, entry.attempts) == (
        f"recap:{record.session_id}",
        Status.PENDING,
        4,
    )
    said = out.getvalue()
    assert "the recap is not on Discord yet (no success within 30 s)" in said
    assert "`meetbot outbox --retry`" in said
    assert "every 5 min" in said
    assert [p.name for p in finished.files] == ["report.html", "report.md", "attendees.csv"]

    code, printed = await outbox_retry(chapter, fake)
    assert code == 0, printed
    (posted,) = fake.messages
    assert printed == f"#{entry.id} sent via discord:{CHANNEL}: {posted['id']}\n"
    assert posted["embeds"][0]["title"].startswith("Meeting recap")
    code, printed = await outbox_retry(chapter, fake)
    assert (code, printed) == (0, "outbox: nothing to deliver\n")
    assert len(fake.messages) == 1


async def test_a_discord_that_never_answers_is_cut_off_at_the_deadline(
    fake: FakeDiscord, store: Store, tmp_path: Path
) -> None:
    """The one real wait here is the deadline itself (0.3 s): the behaviour under test is that
    a hung request does not outlive it, while send_timeout_s alone would allow 20 s."""
    answer = asyncio.Event()
    fake.fail_next("message", 503, hang=answer)
    outbox = Outbox(store.engine, clock=FakeTime())
    try:
        finished = await app.finish(
            small_session(),
            settings(tmp_path, finish_timeout_s=0.3),
            store,
            stream=io.StringIO(),
            outbox=outbox,
            env={"MEETBOT_DISCORD_API_BASE": fake.base},
        )
    finally:
        answer.set()  # let the fake's handler finish before the server stops
    (receipt,) = finished.receipts
    assert receipt.status is Status.PENDING
    assert "no answer before the deadline" in receipt.note
    assert len(fake.sent(f"/channels/{CHANNEL}/messages")) == 1
    (entry,) = outbox.pending()
    assert (entry.status, entry.last_error) == (Status.PENDING, "no answer before the deadline")


async def test_with_discord_up_nothing_is_said_about_later(
    fake: FakeDiscord, store: Store, tmp_path: Path
) -> None:
    out = io.StringIO()
    finished = await app.finish(
        small_session(),
        settings(tmp_path),
        store,
        stream=out,
        env={"MEETBOT_DISCORD_API_BASE": fake.base},
    )
    (receipt,) = finished.receipts
    assert receipt.status is Status.SENT
    assert "outbox" not in out.getvalue()
    assert len(fake.messages) == 1
