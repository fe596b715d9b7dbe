"""`meetbot discord --config FILE`: the Discord bot answering /meetbot commands.

Needs MEETBOT_DISCORD_TOKEN. With --guild the commands are registered in that server and appear
at once; without, globally (Discord takes up to an hour to show them everywhere).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from meetbot import config
from meetbot.cli import numbers

ENVIRONMENT = """environment:
  MEETBOT_DISCORD_TOKEN        the bot's token (posting as the bot, slash commands)
  MEETBOT_DISCORD_WEBHOOK_URL  a channel webhook, used when [discord] use_webhook = true
  MEETBOT_DISCORD_API_BASE     send Discord API calls here instead of https://discord.com/api/v10,
                               e.g. an HTTP proxy that speaks Discord's API, or a local test
                               server (http://127.0.0.1:PORT/api/v10)
  MEETBOT_DISCORD_GATEWAY      the bot's gateway WebSocket instead of wss://gateway.discord.gg/
                               (discord.py does not derive it from the API base)"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "discord",
        help="run the Discord bot (/meetbot myscore, compare, optout, optin, forget)",
        description="Run the Discord bot. Needs MEETBOT_DISCORD_TOKEN in the environment.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--config", metavar="FILE", help="chapter TOML file")
    which.add_argument(
        "--chapters",
        metavar="DIR",
        help="a region's folder of chapter files: one bot for every chapter's channel, with "
        "/meetbot invite and /meetbot next",
    )
    parser.add_argument(
        "--guild",
        type=int,
        metavar="ID",
        help="register the commands in this server only (they appear at once)",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: discord.py takes a while to import and every other
    # `meetbot` command would pay for it.
    from meetbot.publishers.chapter_data import StoreChapterData
    from meetbot.publishers.discord_service import bot_token, run_bot
    from meetbot.publishers.outbox import Outbox
    from meetbot.store import Store

    if args.guild is not None:
        numbers.count("--guild", args.guild)
    if args.chapters:
        return _run_region(args)
    settings = config.load(args.config)
    bot_token(settings)  # before touching the database: the commonest mistake, said first
    with Store.open(settings.storage.url) as store, contextlib.suppress(KeyboardInterrupt):
        data = StoreChapterData(store, settings)
        asyncio.run(run_bot(settings, data, outbox=Outbox(store.engine), guild_id=args.guild))
    return 0


def _run_region(args: argparse.Namespace) -> int:
    from meetbot.cli.fleet import chapters_of, claims_of
    from meetbot.fleet.invites import Invitations
    from meetbot.publishers.discord_fleet import run_region_bot
    from meetbot.publishers.discord_service import bot_token
    from meetbot.publishers.outbox import Outbox
    from meetbot.store import Store

    chapters = chapters_of(args)
    settings = list(chapters.by_name.values())
    bot_token(settings[0])
    claims = claims_of(chapters, lease_s=60.0)
    with Store.open(chapters.storage_url) as store, contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            run_region_bot(
                settings,
                store,
                Invitations(chapters, claims),
                Outbox(store.engine),
                guild_id=args.guild,
            )
        )
    return 0
