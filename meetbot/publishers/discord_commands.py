"""The `/meetbot` slash commands: each member's own card, leads' comparisons, opt-out, forget.

Who is asking is always the Discord account that ran the command, matched to the roster by
`discord_id`; no command takes a member's name, so nobody can ask for somebody else's figures.
Private answers are ephemeral; anything slower than a lookup is deferred first (Discord drops an
interaction that is not answered within 3 s). Data comes through one seam, `ChapterData`, so the
store and the report renderers stay outside this module and tests can hand in small records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import discord
from discord import app_commands

from meetbot.domain.chapter import Member
from meetbot.domain.states import Role
from meetbot.errors import SessionNotFound
from meetbot.language import N_, SOURCE, reader
from meetbot.publishers.discord_limits import DEFAULT_LIMITS, Limits, split
from meetbot.publishers.discord_wire import send_kwargs
from reports.post import Post

log = logging.getLogger(__name__)

NOT_ON_ROSTER = (
    "Sorry, your Discord account isn't linked to a member of this chapter, so there is nothing "
    "of yours to show or change. Ask your chapter lead to add your Discord id to the roster."
)
LEADS_ONLY = (
    "Sorry, comparisons across sessions are for chapter leads. You can always see your own "
    "figures with /meetbot myscore."
)
NOT_A_CHAPTER_CHANNEL = (
    "This channel doesn't belong to a chapter meetbot serves; run /meetbot in your chapter's "
    "channel."
)
SOMETHING_WRONG = (
    "Sorry, that didn't work on our side. Nothing was changed; please try again later or let "
    "your chapter lead know."
)


class ChapterData(Protocol):
    """What the commands need from the store and the report renderers."""

    async def member_card(
        self, person: str, session: str | None, language: str | None = None
    ) -> Post:
        """`person`'s private card for `session` (an id or prefix; None = the latest), in
        `language` (a shipped tag; None = the chapter's).

        Raises SessionNotFound, with a message fit for the member, for an unknown session;
        any other error is answered with a generic apology and logged."""
        ...

    async def comparison(self, sessions: int) -> Post:
        """The leads' comparison of the last `sessions` sessions, with its chart.

        Raises SessionNotFound when there is nothing to compare yet."""
        ...

    async def set_opt_out(self, person: str, opted_out: bool) -> None: ...

    async def forget(self, person: str) -> int:
        """Delete everything stored about `person`; returns how many sessions it touched."""
        ...


def roster_member(roster: Sequence[Member], discord_id: int) -> Member | None:
    return next((m for m in roster if m.discord_id == discord_id), None)


def is_lead(member: Member | None, user: discord.abc.User, lead_role: str) -> bool:
    """A lead by the roster's role, or by holding the configured Discord role."""
    if member is not None and member.role is Role.LEAD:
        return True
    roles = getattr(user, "roles", ())  # only a guild Member has roles; DMs have none
    return bool(lead_role) and any(r.name == lead_role for r in roles)


@dataclass(frozen=True, slots=True)
class ChapterView:
    """One chapter as the commands see it: its data, roster and who leads it."""

    data: ChapterData
    roster: tuple[Member, ...]
    lead_role: str = "Chapter Lead"
    compare_last: int = 6
    name: str = ""
    language: str = SOURCE  # the chapter's: a member's card falls back to it


# Which chapter an interaction belongs to (one bot serving a region: by its channel).
Resolve = Callable[[discord.Interaction], ChapterView | None]


class MeetbotCommands(app_commands.Group):
    def __init__(
        self,
        data: ChapterData | None = None,
        roster: Sequence[Member] = (),
        *,
        lead_role: str = "Chapter Lead",
        compare_last: int = 6,
        language: str = SOURCE,
        resolve: Resolve | None = None,
    ) -> None:
        super().__init__(name="meetbot", description=N_("Your attendance and listening figures"))
        if resolve is None:
            assert data is not None, "give one chapter's data, or resolve"
            one = ChapterView(data, tuple(roster), lead_role, compare_last, language=language)
            resolve = lambda _: one  # noqa: E731
        self._resolve = resolve

    def _caller(self, interaction: discord.Interaction) -> Member | None:
        view = self._resolve(interaction)
        return None if view is None else roster_member(view.roster, interaction.user.id)

    def _view(self, interaction: discord.Interaction) -> ChapterView:
        view = self._resolve(interaction)
        assert view is not None, "checked by the caller"
        return view

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if self._resolve(interaction) is None:
            await interaction.response.send_message(NOT_A_CHAPTER_CHANNEL, ephemeral=True)
            return False
        return True

    @app_commands.command(
        name="myscore", description=N_("Your own card for a session; only you see it")
    )
    @app_commands.describe(session=N_("Session id or its first characters (default: the latest)"))
    async def myscore(self, interaction: discord.Interaction, session: str | None = None) -> None:
        member = self._caller(interaction)
        if member is None:
            await interaction.response.send_message(NOT_ON_ROSTER, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = self._view(interaction)
        language = reader(interaction.locale.value, member.language, view.language)
        try:
            post = await view.data.member_card(member.name, session, language)
        except SessionNotFound as exc:  # the member's own typo: say so; anything else is ours
            await interaction.followup.send(str(exc), ephemeral=True)
            return
        await reply(interaction, post)

    @app_commands.command(name="compare", description=N_("Leads: compare recent sessions"))
    @app_commands.describe(sessions=N_("How many recent sessions (default from the config)"))
    async def compare(
        self,
        interaction: discord.Interaction,
        sessions: app_commands.Range[int, 2, 52] | None = None,
    ) -> None:
        view = self._view(interaction)
        if not is_lead(self._caller(interaction), interaction.user, view.lead_role):
            await interaction.response.send_message(LEADS_ONLY, ephemeral=True)
            return
        # Rendering the chart takes longer than Discord's 3 s: acknowledge first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            post = await view.data.comparison(sessions or view.compare_last)
        except SessionNotFound as exc:  # nothing stored yet: say so; anything else is ours
            await interaction.followup.send(str(exc), ephemeral=True)
            return
        await reply(interaction, post)

    @app_commands.command(
        name="optout", description=N_("Stop being analysed from the next meeting")
    )
    async def optout(self, interaction: discord.Interaction) -> None:
        await self._set_opt_out(
            interaction,
            True,
            "Done: meetbot will not analyse you from now on; you still count as present. "
            "/meetbot forget deletes what is already stored, /meetbot optin undoes this.",
        )

    @app_commands.command(name="optin", description=N_("Be analysed again (undo optout)"))
    async def optin(self, interaction: discord.Interaction) -> None:
        await self._set_opt_out(
            interaction,
            False,
            "Welcome back: from the next meeting your listening figures are kept again, and "
            "only you can see them with /meetbot myscore.",
        )

    async def _set_opt_out(
        self, interaction: discord.Interaction, opted_out: bool, done: str
    ) -> None:
        member = self._caller(interaction)
        if member is None:
            await interaction.response.send_message(NOT_ON_ROSTER, ephemeral=True)
            return
        await self._view(interaction).data.set_opt_out(member.name, opted_out)
        await interaction.response.send_message(done, ephemeral=True)

    @app_commands.command(
        name="forget", description=N_("Delete everything meetbot stored about you")
    )
    @app_commands.describe(confirm=N_("True to delete it all now; this cannot be undone"))
    async def forget(self, interaction: discord.Interaction, confirm: bool) -> None:
        member = self._caller(interaction)
        if member is None:
            await interaction.response.send_message(NOT_ON_ROSTER, ephemeral=True)
            return
        if not confirm:
            await interaction.response.send_message(
                "Nothing was deleted. Run /meetbot forget confirm:True to delete your figures.",
                ephemeral=True,
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        touched = await self._view(interaction).data.forget(member.name)
        sessions = "1 session" if touched == 1 else f"{touched} sessions"
        await interaction.followup.send(
            f"Deleted your figures from {sessions}. Future meetings still note attendance; "
            "use /meetbot optout to stop being analysed.",
            ephemeral=True,
        )

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CheckFailure):
            return  # answered already: not a chapter's channel
        # A storage or rendering failure: say so politely, privately, and keep the traceback.
        log.error(
            "/meetbot %s failed", interaction.command and interaction.command.name, exc_info=error
        )
        if interaction.response.is_done():
            await interaction.followup.send(SOMETHING_WRONG, ephemeral=True)
        else:
            await interaction.response.send_message(SOMETHING_WRONG, ephemeral=True)


async def reply(interaction: discord.Interaction, post: Post, *, ephemeral: bool = True) -> None:
    """Follow up a deferred interaction with `post`, cut to Discord's limits."""
    limits = Limits(file_size=interaction.filesize_limit or DEFAULT_LIMITS.file_size)
    for message in split(post, limits):
        await interaction.followup.send(ephemeral=ephemeral, **send_kwargs(message))


def build_tree(
    client: discord.Client,
    data: ChapterData,
    roster: Sequence[Member],
    *,
    lead_role: str = "Chapter Lead",
    compare_last: int = 6,
    language: str = SOURCE,
) -> app_commands.CommandTree[discord.Client]:
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    commands = MeetbotCommands(
        data, roster, lead_role=lead_role, compare_last=compare_last, language=language
    )
    tree.add_command(commands)
    return tree
