"""deliver_recap: stored first, delivered through what is configured, never raising on Discord."""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fake_discord import WEBHOOK_URL, FakeDiscord, serve

from meetbot.config.schema import ChapterSection, DiscordSettings, ReportSettings, Secrets, Settings
from meetbot.domain.events import ParticipantId
from meetbot.domain.record import Attendee, ListeningScore, SessionRecord, Turn
from meetbot.domain.states import Attendance, Role
from meetbot.publishers.base import Status
from meetbot.publishers.delivery import deliver_pending, deliver_recap, destination
from meetbot.publishers.discord_wire import current_api_base, use_api_base
from meetbot.publishers.outbox import Outbox
from reports.post import Audience, Post

CHANNEL = 424242424242424242


def record(session_id: str = "s-2026-01-05") -> SessionRecord:
    def member(name: str, attentive: float) -> Attendee:
        return Attendee(
            person=name,
            role=Role.MEMBER,
            attendance=Attendance.PRESENT,
            display_names=(name,),
            participants=(ParticipantId(name.lower()),),
            joined_at=0.0,
            left_at=3600.0,
            present_s=3600.0,
            camera_on_s=3600.0,
            own_turn_s=60.0,
            turns=1,
            score=ListeningScore(100 * attentive / 2820, attentive, 2820.0, 2820.0, 0.0),
        )

    names = ["Ana Alves", "Ben Brook", "Cara Chen", "Dev Dole", "Eli Eze", "Fay Fox"]
    return SessionRecord(
        session_id=session_id,
        chapter="Riverside",
        started_at=datetime(2026, 1, 5, 7, 0, tzinfo=UTC),
        duration_s=3600.0,
        platform="janus",
        room="1234",
        attendees=tuple(member(n, 2400.0 + 60 * i) for i, n in enumerate(names)),
        turns=tuple(Turn(60.0 * i, 60.0 * i + 55, n) for i, n in enumerate(names)),
    )


def simple(rec: SessionRecord, settings: Settings) -> Post:
    return Post(Audience.PUBLIC, f"Recap {rec.session_id}", "Thanks, everyone.")


def settings_for(tmp_path: Path, **discord: object) -> Settings:
    return Settings(
        chapter=ChapterSection("Riverside", timezone="Europe/London"),
        discord=DiscordSettings(**discord),  # type: ignore[arg-type]
        reports=ReportSettings(out_dir=str(tmp_path / "reports")),
        secrets=Secrets(discord_token="bot-token", discord_webhook_url=WEBHOOK_URL),
    )


@pytest.fixture(autouse=True)
def restore_api_base() -> Iterator[None]:
    """deliver_* point discord.py at the env's base; later tests must not inherit it."""
    before = current_api_base()
    yield
    use_api_base(before)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with serve() as server:
        yield server


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(sa.create_engine(f"sqlite:///{tmp_path / 'meetbot.sqlite'}"))


class NoWait:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


async def test_without_discord_the_real_recap_goes_to_a_file(
    tmp_path: Path, outbox: Outbox
) -> None:
    settings = settings_for(tmp_path)  # channel_id 0: Discord is not configured
    assert destination(settings) == "console"
    stream = io.StringIO()
    (receipt,) = await deliver_recap(record(), settings, outbox, stream=stream)
    assert receipt.status is Status.SENT
    written = (tmp_path / "reports" / "recap-s-2026-01-05.md").read_text(encoding="utf-8")
    assert written.startswith("# Meeting recap")
    assert "Riverside" in written
    assert written in stream.getvalue() + "\n"


async def test_a_german_chapters_recap_is_delivered_in_german(
    tmp_path: Path, outbox: Outbox
) -> None:
    base = settings_for(tmp_path)
    settings = replace(base, chapter=replace(base.chapter, language="de"))
    (receipt,) = await deliver_recap(record(), settings, outbox, stream=io.StringIO())
    assert receipt.status is Status.SENT
    written = (tmp_path / "reports" / "recap-s-2026-01-05.md").read_text(encoding="utf-8")
    assert written.startswith("# Rückblick auf das Treffen — Montag, 5. Januar 2026")
    assert "**Anwesenheit:** 6 von 6 Mitgliedern anwesend" in written


async def test_bot_delivery_posts_once_even_when_run_twice(
    fake: FakeDiscord, tmp_path: Path, outbox: Outbox
) -> None:
    settings = settings_for(tmp_path, channel_id=CHANNEL)
    env = {"MEETBOT_DISCORD_API_BASE": fake.base}
    (receipt,) = await deliver_recap(record(), settings, outbox, render=simple, env=env)
    assert (receipt.status, receipt.remote_ids) == (Status.SENT, (fake.messages[0]["id"],))
    (again,) = await deliver_recap(record(), settings, outbox, render=simple, env=env)
    assert (again.status, again.note) == (Status.SENT, "already sent")
    assert len(fake.sent(f"/channels/{CHANNEL}/messages")) == 1


async def test_webhook_delivery(fake: FakeDiscord, tmp_path: Path, outbox: Outbox) -> None:
    settings = settings_for(tmp_path, use_webhook=True)
    env = {"MEETBOT_DISCORD_API_BASE": fake.base}
    (receipt,) = await deliver_recap(record(), settings, outbox, render=simple, env=env)
    assert receipt.status is Status.SENT
    (post,) = fake.sent("/webhooks/")
    assert post.payload is not None
    assert post.payload["embeds"][0]["title"] == "Recap s-2026-01-05"
    assert post.payload["username"] == settings.meeting.display_name


async def test_discord_down_keeps_it_pending_with_a_one_line_note_and_retry_finishes(
    fake: FakeDiscord, tmp_path: Path, outbox: Outbox
) -> None:
    settings = settings_for(tmp_path, channel_id=CHANNEL, max_attempts=2)
    env = {"MEETBOT_DISCORD_API_BASE": fake.base}
    fake.fail_next("message", 503)
    fake.fail_next("message", 503)
    (receipt,) = await deliver_recap(
        record(), settings, outbox, render=simple, env=env, sleep=NoWait()
    )
    assert receipt.status is Status.PENDING
    assert "\n" not in receipt.note
    assert "`meetbot outbox --retry`" in receipt.note
    assert fake.messages == []
    (retried,) = await deliver_pending(settings, outbox, env=env)
    assert retried.status is Status.SENT
    assert len(fake.messages) == 1


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_unreachable_discord_never_raises(tmp_path: Path, outbox: Outbox) -> None:
    settings = settings_for(tmp_path, channel_id=CHANNEL, max_attempts=2)
    env = {"MEETBOT_DISCORD_API_BASE": f"http://127.0.0.1:{closed_port()}/api/v10"}
    sleep = NoWait()
    (receipt,) = await deliver_recap(
        record(), settings, outbox, render=simple, env=env, sleep=sleep
    )
    assert receipt.status is Status.PENDING
    assert "cannot reach Discord" in receipt.note
    assert len(sleep.delays) == 1


async def test_a_malformed_webhook_url_keeps_the_message_and_says_what_to_fix(
    tmp_path: Path, outbox: Outbox
) -> None:
    settings = settings_for(tmp_path, use_webhook=True)
    settings = Settings(
        chapter=settings.chapter,
        discord=settings.discord,
        reports=settings.reports,
        secrets=Secrets(discord_webhook_url="https://example.org/not-a-webhook"),
    )
    (receipt,) = await deliver_recap(record(), settings, outbox, render=simple, env={})
    assert receipt.status is Status.PENDING
    assert "MEETBOT_DISCORD_WEBHOOK_URL is not a Discord webhook URL" in receipt.note
    assert [e.dedupe_key for e in outbox.pending()] == ["recap:s-2026-01-05"]


async def test_a_webhook_that_posts_but_answers_late_gets_one_copy_per_run(
    fake: FakeDiscord, tmp_path: Path, outbox: Outbox
) -> None:
    settings = settings_for(tmp_path, use_webhook=True, send_timeout_s=0.1)
    env = {"MEETBOT_DISCORD_API_BASE": fake.base}
    # Every try creates the message and answers after the webhook stopped waiting (0.3 s).
    fake.answer_late("webhook", 1.0, times=8)
    (receipt,) = await deliver_recap(
        record(), settings, outbox, render=simple, env=env, sleep=NoWait()
    )
    assert receipt.status is Status.PENDING
    assert "may have been posted" in receipt.note
    assert "\n" not in receipt.note
    assert len(fake.messages) == 1  # not one copy per try
    (post,) = fake.sent("/webhooks/")
    assert post.query.get("wait") in {"1", "true"}  # Discord answers with what it created


async def test_a_webhook_waits_longer_than_one_bot_try(
    fake: FakeDiscord, tmp_path: Path, outbox: Outbox
) -> None:
    settings = settings_for(tmp_path, use_webhook=True, send_timeout_s=2.0)
    env = {"MEETBOT_DISCORD_API_BASE": fake.base}
    fake.answer_late("webhook", 2.5)  # past send_timeout_s, well inside the webhook's patience
    (receipt,) = await deliver_recap(
        record(), settings, outbox, render=simple, env=env, sleep=NoWait()
    )
    assert receipt.status is Status.SENT
    assert receipt.remote_ids == (fake.messages[0]["id"],)
    assert len(fake.messages) == 1
