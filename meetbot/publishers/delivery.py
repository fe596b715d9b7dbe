"""From settings to delivered messages: which publishers exist, and the recap after a meeting.

`deliver_recap` is what `meetbot post SESSION` and `meetbot join` call once the record is saved.
It stores the recap in the outbox first, then tries to deliver everything pending. It never
raises because Discord is down, slow or misconfigured: the message stays in the outbox and the
receipt's note says, in one line, that `meetbot outbox --retry` will finish it. `within_s` bounds
the whole delivery (`discord.finish_timeout_s` at a meeting's end, for `meetbot post` and for
`meetbot outbox --retry`), so an outage or a long rate limit cannot hold a command for minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import TextIO

import sqlalchemy as sa

from meetbot.config import data_dir
from meetbot.config.paths import reports_dir
from meetbot.config.schema import Settings
from meetbot.domain.record import SessionRecord
from meetbot.errors import MeetbotError
from meetbot.publishers import console
from meetbot.publishers.attempts import Backoff, Sleep
from meetbot.publishers.base import DeliveryReceipt, Publisher, Status
from meetbot.publishers.discord_bot import DiscordBotPublisher, make_client
from meetbot.publishers.discord_webhook import DiscordWebhookPublisher
from meetbot.publishers.discord_wire import api_base_from_env
from meetbot.publishers.outbox import Outbox
from meetbot.store.database import create_engine
from reports.post import Post
from reports.recap import recap

log = logging.getLogger(__name__)

DISCORD = "discord"  # rows stored before destinations said more than this
# A webhook's rows: never a bot's to post, so in a region's shared store no chapter's bot can
# take them into its own channel.
WEBHOOK = "discord-webhook"
CONSOLE = console.DESTINATION
RECAP = "recap:"  # the outbox key of a session's recap is this and its id


def discord_configured(settings: Settings) -> bool:
    """Whether the config and the environment say where on Discord to post."""
    d, s = settings.discord, settings.secrets
    if d.use_webhook:
        return bool(s.discord_webhook_url)
    return bool(d.channel_id and s.discord_token)


def destination(settings: Settings) -> str:
    """Where this chapter's messages go. Through the bot it names the channel, so with many
    chapters in one store each chapter's run delivers only its own channel's messages."""
    if not discord_configured(settings):
        return CONSOLE
    if settings.discord.use_webhook:
        return WEBHOOK
    return f"{DISCORD}:{settings.discord.channel_id}"


def outbox_engine(settings: Settings, env: Mapping[str, str] | None = None) -> sa.Engine:
    """The session store's database, where the outbox keeps its table.

    Callers that already hold a `Store` use `Outbox(store.engine)` instead.
    """
    return create_engine(settings.storage.url, data_dir(env))


def report_dir(settings: Settings, env: Mapping[str, str] | None = None) -> Path:
    return reports_dir(settings.reports.out_dir, env)


@contextlib.asynccontextmanager
async def open_publishers(
    settings: Settings,
    *,
    env: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
) -> AsyncIterator[dict[str, Publisher]]:
    """The publishers this configuration can use, with their HTTP sessions open meanwhile.

    "console" is always there; "discord" only when configured (bot token + channel, or webhook).
    MEETBOT_DISCORD_API_BASE redirects discord.py (proxies, tests).
    """
    publishers: dict[str, Publisher] = {
        CONSOLE: console.ConsolePublisher(report_dir(settings, env), stream=stream)
    }
    d, s = settings.discord, settings.secrets
    async with contextlib.AsyncExitStack() as stack:
        if discord_configured(settings):
            api_base_from_env(env)
            if d.use_webhook:
                publishers[WEBHOOK] = publishers[DISCORD] = await stack.enter_async_context(
                    DiscordWebhookPublisher(
                        s.discord_webhook_url,
                        username=settings.meeting.display_name,
                        timeout_s=d.send_timeout_s,
                    )
                )
            else:
                client = await stack.enter_async_context(make_client())
                bot = DiscordBotPublisher(
                    client, d.channel_id, token=s.discord_token, timeout_s=d.send_timeout_s
                )
                # Rows stored before destinations named their channel say only "discord".
                publishers[destination(settings)] = publishers[DISCORD] = bot
        yield publishers


def backoff(settings: Settings) -> Backoff:
    d = settings.discord
    return Backoff(d.backoff_base_s, d.backoff_factor, d.backoff_cap_s, d.backoff_jitter)


def render_recap(record: SessionRecord, settings: Settings) -> Post:
    return recap(
        record,
        timezone=settings.chapter.timezone,
        min_group=settings.reports.min_group_for_detail,
        language=settings.chapter.language,
    )


def queue_recap(
    record: SessionRecord,
    settings: Settings,
    outbox: Outbox,
    render: Callable[[SessionRecord, Settings], Post] = render_recap,
) -> int:
    """Store the recap of `record` in the outbox (once per session); returns its message id."""
    return outbox.enqueue(
        destination(settings), render(record, settings), RECAP + record.session_id
    )


def what(outbox: Outbox, receipt: DeliveryReceipt) -> str:
    """What a delivered message is, for people: "recap of SESSION", else its outbox key."""
    key = outbox.get(receipt.message_id).dedupe_key
    return f"recap of {key.removeprefix(RECAP)}" if key.startswith(RECAP) else key


def recap_receipts(
    outbox: Outbox, receipts: list[DeliveryReceipt], session_id: str
) -> list[DeliveryReceipt]:
    """The receipts of `session_id`'s recap among a run's (the run delivers the whole queue)."""
    return [r for r in receipts if outbox.get(r.message_id).dedupe_key == RECAP + session_id]


async def deliver_recap(
    record: SessionRecord,
    settings: Settings,
    outbox: Outbox,
    *,
    render: Callable[[SessionRecord, Settings], Post] = render_recap,
    env: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
    sleep: Sleep = asyncio.sleep,
    within_s: float | None = None,
) -> list[DeliveryReceipt]:
    """Store the recap of `record` (once per session), then deliver everything pending
    (all within `within_s` seconds when given). The receipts always include this recap's."""
    where = destination(settings)
    message_id = queue_recap(record, settings, outbox, render)
    receipts = await deliver_pending(
        settings, outbox, env=env, stream=stream, sleep=sleep, within_s=within_s
    )
    if all(r.message_id != message_id for r in receipts):
        # Delivered by an earlier run, or not reached in this one (it stopped at an older
        # message still failing): say which rather than nothing.
        status = outbox.get(message_id).status
        note = "already sent" if status is Status.SENT else "waits behind older messages"
        receipts.append(DeliveryReceipt(message_id, where, status, note=note))
    return receipts


def still_waiting(
    outbox: Outbox, receipts: list[DeliveryReceipt], *, which: str = "more"
) -> str | None:
    """One line about the messages not among `receipts` still waiting in the outbox (the run
    stopped at a message still failing, ran out of time before reaching them, or they are other
    sessions' and `receipts` one session's); None if there are none.
    """
    seen = {r.message_id for r in receipts}
    left = [e for e in outbox.pending(include_failed=False) if e.id not in seen]
    if not left:
        return None
    noun = "message waits" if len(left) == 1 else "messages wait"
    return f"{len(left)} {which} {noun} in the outbox; `meetbot outbox --retry` sends them"


async def deliver_pending(
    settings: Settings,
    outbox: Outbox,
    *,
    retry_failed: bool = False,
    env: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
    sleep: Sleep = asyncio.sleep,
    within_s: float | None = None,
) -> list[DeliveryReceipt]:
    """Deliver what the outbox holds; problems become notes on pending receipts, not errors."""
    try:
        async with open_publishers(settings, env=env, stream=stream) as publishers:
            receipts = await outbox.deliver_pending(
                publishers,
                max_attempts=settings.discord.max_attempts,
                retry_failed=retry_failed,
                backoff=backoff(settings),
                sleep=sleep,
                within_s=within_s,
            )
    except MeetbotError as exc:  # e.g. a malformed webhook URL or API base
        note = f"{exc}; the message is kept, run `meetbot outbox --retry` once that is fixed"
        receipts = [
            DeliveryReceipt(e.id, e.destination, e.status, e.sent_parts, note)
            for e in outbox.pending(include_failed=retry_failed)
        ]
    for r in receipts:
        if r.status is not Status.SENT and r.note:
            log.warning("outbox message %s (%s): %s", r.message_id, r.destination, r.note)
    return receipts
