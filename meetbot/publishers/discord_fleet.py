"""One Discord bot for a region: every chapter's channel, each seeing only its own chapter.

The chapter of a command is the one whose `discord.channel_id` is the channel it was typed in;
anywhere else /meetbot answers that the channel belongs to no chapter. Besides the members'
commands there are `/meetbot invite <link> [start]` (organisers and leads: a one-off meeting)
and `/meetbot next` (when the bot comes next).

The outbox loop delivers what workers left pending (Discord was down or slow when a meeting
ended) through the bot's own logged-in client: each chapter's messages to that chapter's channel
only (the destination names it), one chapter's pass bounded by its discord.finish_timeout_s so a
channel Discord refuses cannot hold the others back. Messages that name no channel ("discord",
stored by a webhook or an older meetbot; "console") are not the region bot's: in one store for
many chapters it could not tell whose they are; `meetbot outbox --retry --config FILE` sends
them.
"""

from __future__ import annotations

import asyncio
import functools
import zoneinfo
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

import discord
from discord import app_commands

from meetbot.config.schema import Settings
from meetbot.errors import ConfigError
from meetbot.language import N_
from meetbot.publishers.chapter_data import SessionStore, StoreChapterData
from meetbot.publishers.delivery import DISCORD, backoff, destination
from meetbot.publishers.discord_bot import DiscordBotPublisher
from meetbot.publishers.discord_commands import ChapterView, MeetbotCommands, is_lead
from meetbot.publishers.discord_service import Delivery, Tree, bot_token, serve
from meetbot.publishers.outbox import Outbox, Sleep

ORGANISERS_ONLY = (
    "Sorry, only the chapter's organisers and leads can invite the bot. Ask your chapter lead."
)


class Invitations(Protocol):
    async def invite(self, chapter: str, link: str, start: str | None) -> datetime:
        """Plan a one-off meeting; returns its start. ConfigError for a bad link or time."""
        ...

    async def next_visit(self, chapter: str) -> datetime | None: ...


class FleetCommands(MeetbotCommands):
    def __init__(
        self, chapters: Sequence[Settings], store: SessionStore, invitations: Invitations
    ) -> None:
        self._by_channel = {
            s.discord.channel_id: (
                s,
                ChapterView(
                    StoreChapterData(store, s),
                    s.roster,
                    s.discord.lead_role,
                    s.reports.compare_last,
                    s.chapter.name,
                    s.chapter.language,
                ),
            )
            for s in chapters
            if s.discord.channel_id
        }
        self._invitations = invitations
        super().__init__(resolve=self._chapter_view)

    def _chapter_view(self, interaction: discord.Interaction) -> ChapterView | None:
        found = self._by_channel.get(interaction.channel_id or 0)
        return None if found is None else found[1]

    def _settings(self, interaction: discord.Interaction) -> Settings:
        return self._by_channel[interaction.channel_id or 0][0]

    @app_commands.command(name="invite", description=N_("Organisers: bring the bot to a meeting"))
    @app_commands.describe(
        link=N_(
            "The meeting link: Google Meet, Teams, Zoom, Jitsi, or Janus wss://host/janus#1234"
        ),
        start=N_("HH:MM today in the chapter's time zone, or 2026-03-03T07:00 (default: now)"),
    )
    async def invite(
        self, interaction: discord.Interaction, link: str, start: str | None = None
    ) -> None:
        settings = self._settings(interaction)
        member = self._caller(interaction)
        # The organiser is the chapter's chair; leads by roster role or Discord role.
        organiser = member is not None and member.name == settings.chapter.chair
        if not (organiser or is_lead(member, interaction.user, settings.discord.lead_role)):
            await interaction.response.send_message(ORGANISERS_ONLY, ephemeral=True)
            return
        try:
            when = await self._invitations.invite(settings.chapter.name, link, start)
        except ConfigError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        await interaction.response.send_message(
            f"meetbot will join {settings.chapter.name}'s meeting at {_local(when, settings)}.",
            ephemeral=True,
        )

    @app_commands.command(name="next", description=N_("When the bot comes to this chapter next"))
    async def next(self, interaction: discord.Interaction) -> None:
        settings = self._settings(interaction)
        when = await self._invitations.next_visit(settings.chapter.name)
        text = (
            f"meetbot comes next on {_local(when, settings)}."
            if when is not None
            else "meetbot has no meeting of this chapter planned; organisers can invite it "
            "with /meetbot invite."
        )
        await interaction.response.send_message(text, ephemeral=True)


def _local(when: datetime, settings: Settings) -> str:
    tz = zoneinfo.ZoneInfo(settings.schedule.timezone or settings.chapter.timezone)
    local = when.astimezone(tz)
    return f"{local:%a %d %b %Y at %H:%M} ({tz.key})"


async def run_region_bot(
    chapters: Sequence[Settings],
    store: SessionStore,
    invitations: Invitations,
    outbox: Outbox,
    *,
    guild_id: int | None = None,
    env: Mapping[str, str] | None = None,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """The region's bot: the chapter bot's service (discord_service.serve) with the region's
    commands, delivering every chapter's channel every discord.outbox_every_s (the shortest of
    the chapters')."""

    def commands(client: discord.Client) -> Tree:
        tree: Tree = app_commands.CommandTree(client)
        tree.add_command(FleetCommands(chapters, store, invitations))
        return tree

    def deliveries(client: discord.Client) -> list[Delivery]:
        passes = (channel_delivery(s, client, outbox) for s in chapters)
        return [p for p in passes if p is not None]

    await serve(
        bot_token(chapters[0]),
        commands,
        deliveries,
        min(s.discord.outbox_every_s for s in chapters),
        guild_id=guild_id,
        env=env,
        sleep=sleep,
    )


def channel_delivery(settings: Settings, client: discord.Client, outbox: Outbox) -> Delivery | None:
    """A pass posting this chapter's messages to its channel through the region bot's client
    (already logged in), bounded by its discord.finish_timeout_s so a channel Discord refuses
    cannot hold the other chapters back; None when the chapter has no channel of the bot's."""
    where = destination(settings)
    if not where.startswith(f"{DISCORD}:"):  # no channel, or a webhook: not the bot's to post
        return None
    d = settings.discord
    return functools.partial(
        outbox.deliver_pending,
        {where: DiscordBotPublisher(client, d.channel_id, timeout_s=d.send_timeout_s)},
        max_attempts=d.max_attempts,
        backoff=backoff(settings),
        within_s=d.finish_timeout_s,
    )


# discord.py collects a Group's commands only from the first class that defines any, so a
# subclass must list its parent's commands and its own itself. This sets discord.py's own
# (undocumented) class attribute, read by Group.__init_subclass__ and Group.__init__ in 2.7:
# pinned by pyproject's `discord.py>=2.7,<2.8`; tests/test_discord_fleet.py (invite, next) fails
# if a newer discord.py collects commands differently.
FleetCommands.__discord_app_commands_group_children__ = [
    *MeetbotCommands.__discord_app_commands_group_children__,
    FleetCommands.__dict__["invite"],
    FleetCommands.__dict__["next"],
]
