"""The long-running bot: log in, register /meetbot, stay on the gateway, drain the outbox.

`meetbot discord` runs this. Everything lives in one TaskGroup under `async with client`, so
Ctrl-C or a fatal gateway error closes the HTTP session and stops the outbox loop together.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import discord
from discord import app_commands

from meetbot.config.schema import Settings
from meetbot.errors import ConfigError, MeetbotError
from meetbot.publishers.attempts import Sleep
from meetbot.publishers.delivery import deliver_pending
from meetbot.publishers.discord_bot import make_client
from meetbot.publishers.discord_commands import ChapterData, build_tree
from meetbot.publishers.discord_wire import api_base_from_env, gateway_from_env
from meetbot.publishers.outbox import Outbox

log = logging.getLogger(__name__)


def bot_token(settings: Settings) -> str:
    if not settings.secrets.discord_token:
        raise ConfigError(
            "MEETBOT_DISCORD_TOKEN is not set; export the bot token from the Discord developer "
            "portal (Bot → Reset Token) in that variable"
        )
    return settings.secrets.discord_token


async def start(
    client: discord.Client,
    tree: app_commands.CommandTree[discord.Client],
    token: str,
    guild_id: int | None,
) -> list[app_commands.AppCommand]:
    """Log in and register the commands; failures become one clear line."""
    try:
        await client.login(token)
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


async def run_bot(
    settings: Settings,
    data: ChapterData,
    *,
    outbox: Outbox | None = None,
    guild_id: int | None = None,
    env: Mapping[str, str] | None = None,
) -> None:
    token = bot_token(settings)
    api_base_from_env(env)
    gateway_from_env(env)
    client = make_client()
    tree = build_tree(
        client,
        data,
        settings.roster,
        lead_role=settings.discord.lead_role,
        compare_last=settings.reports.compare_last,
    )
    async with client:
        synced = await start(client, tree, token, guild_id)
        log.info("registered /%s", ", /".join(c.name for c in synced))
        async with asyncio.TaskGroup() as tg:
            tg.create_task(client.connect(reconnect=True))
            if outbox is not None:
                tg.create_task(keep_delivering(settings, outbox, env))


async def keep_delivering(
    settings: Settings,
    outbox: Outbox,
    env: Mapping[str, str] | None = None,
    *,
    every_s: float | None = None,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Deliver what is pending now and every `every_s` seconds (default: the setting
    discord.outbox_every_s), until cancelled."""
    every_s = settings.discord.outbox_every_s if every_s is None else every_s
    while True:
        for r in await deliver_pending(settings, outbox, env=env, sleep=sleep):
            log.info("outbox #%s: %s %s", r.message_id, r.status.value, r.note)
        await sleep(every_s)
