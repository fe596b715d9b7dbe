"""The long-running bot: log in, register /meetbot, stay on the gateway, deliver the outbox.

One service for a chapter and for a region; what differs is handed in. `meetbot discord
--config FILE` runs `run_bot`: one chapter's commands, and each pass delivers whatever that
chapter's configuration can (its channel, webhook or console), as `meetbot outbox --retry` would.
`meetbot discord --chapters DIR` runs discord_fleet.run_region_bot: the region's commands, and
each chapter's pass posts to that chapter's channel through the bot's own client.

Everything lives in one TaskGroup under `async with client`, so Ctrl-C or a fatal gateway error
closes the HTTP session and stops the outbox loop together. A store that fails a pass is said
and tried again on the next: the bot stays up for the commands.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

import discord
from discord import app_commands

from meetbot.config.schema import Settings
from meetbot.errors import ConfigError, MeetbotError
from meetbot.publishers.attempts import Sleep
from meetbot.publishers.base import DeliveryReceipt
from meetbot.publishers.delivery import deliver_pending
from meetbot.publishers.discord_bot import make_client
from meetbot.publishers.discord_commands import ChapterData, build_tree
from meetbot.publishers.discord_translator import CatalogTranslator
from meetbot.publishers.discord_wire import api_base_from_env, gateway_from_env
from meetbot.publishers.outbox import Outbox

log = logging.getLogger(__name__)

Tree = app_commands.CommandTree[discord.Client]
# One chapter's pass over the outbox: what it delivered (or tried to).
Delivery = Callable[[], Awaitable[list[DeliveryReceipt]]]


def bot_token(settings: Settings) -> str:
    if not settings.secrets.discord_token:
        raise ConfigError(
            "MEETBOT_DISCORD_TOKEN is not set; export the bot token from the Discord developer "
            "portal (Bot → Reset Token) in that variable"
        )
    return settings.secrets.discord_token


async def start(
    client: discord.Client, tree: Tree, token: str, guild_id: int | None
) -> list[app_commands.AppCommand]:
    """Log in and register the commands; failures become one clear line."""
    try:
        await client.login(token)
        await tree.set_translator(CatalogTranslator())  # descriptions in each client's language
        if guild_id is None:
            return await tree.sync()
        # The commands are defined globally; a copy in one server shows up there at once.
        guild = discord.Object(guild_id)
        tree.copy_global_to(guild=guild)
        return await tree.sync(guild=guild)
    except discord.LoginFailure as exc:
        raise ConfigError(
            "Discord refused MEETBOT_DISCORD_TOKEN; reset the token in the developer portal "
            "and export it again"
        ) from exc
    except discord.Forbidden as exc:
        raise ConfigError(
            f"the bot may not register commands in server {guild_id}; invite it with the "
            "applications.commands scope"
        ) from exc
    except (discord.HTTPException, OSError, TimeoutError) as exc:
        raise MeetbotError(
            f"cannot reach Discord to start the bot ({exc}); try again later"
        ) from exc


async def serve(
    token: str,
    commands: Callable[[discord.Client], Tree],
    deliveries: Callable[[discord.Client], Sequence[Delivery]],
    every_s: float,
    *,
    guild_id: int | None = None,
    env: Mapping[str, str] | None = None,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Run the bot until cancelled: `commands` builds its command tree on the client, and
    `deliveries` (asked once the client is logged in) are the outbox passes, run every
    `every_s` seconds; none, and there is no outbox loop."""
    api_base_from_env(env)
    gateway_from_env(env)
    client = make_client()
    tree = commands(client)
    async with client:
        synced = await start(client, tree, token, guild_id)
        log.info("registered /%s", ", /".join(c.name for c in synced))
        passes = deliveries(client)
        async with asyncio.TaskGroup() as tg:
            tg.create_task(client.connect(reconnect=True))
            if passes:
                tg.create_task(keep_delivering(passes, every_s, sleep=sleep))


async def keep_delivering(
    passes: Sequence[Delivery], every_s: float, *, sleep: Sleep = asyncio.sleep
) -> None:
    """Run every pass now and every `every_s` seconds, until cancelled; a pass the store fails
    ends this round (the others would meet the same store) and is tried again next round."""
    while True:
        for deliver in passes:
            try:
                receipts = await deliver()
            except MeetbotError as exc:  # the store is down: the bot stays up, tries later
                log.warning("outbox: %s; trying again in %g s", exc, every_s)
                break
            for r in receipts:
                log.info("outbox #%s: %s %s", r.message_id, r.status.value, r.note)
        # A timer loop: messages are stored by other processes, there is no event to wait on.
        await sleep(every_s)


def chapter_delivery(
    settings: Settings,
    outbox: Outbox,
    env: Mapping[str, str] | None = None,
    *,
    sleep: Sleep = asyncio.sleep,
) -> Delivery:
    """A pass delivering everything this chapter's configuration can post (its own publishers,
    opened for the pass)."""
    return functools.partial(deliver_pending, settings, outbox, env=env, sleep=sleep)


async def run_bot(
    settings: Settings,
    data: ChapterData,
    *,
    outbox: Outbox | None = None,
    guild_id: int | None = None,
    env: Mapping[str, str] | None = None,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """One chapter's bot: its /meetbot commands and, given an `outbox`, its delivery every
    discord.outbox_every_s."""

    def commands(client: discord.Client) -> Tree:
        return build_tree(
            client,
            data,
            settings.roster,
            lead_role=settings.discord.lead_role,
            compare_last=settings.reports.compare_last,
            language=settings.chapter.language,
        )

    def deliveries(client: discord.Client) -> list[Delivery]:
        return [] if outbox is None else [chapter_delivery(settings, outbox, env, sleep=sleep)]

    await serve(
        bot_token(settings),
        commands,
        deliveries,
        settings.discord.outbox_every_s,
        guild_id=guild_id,
        env=env,
        sleep=sleep,
    )
