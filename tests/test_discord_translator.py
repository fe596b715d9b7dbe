"""The /meetbot commands' descriptions in each member's Discord language (issue 26), through
discord.py's own Translator: the strings of the real command trees, and what the sync sends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import discord
import pytest
from discord import app_commands
from discord.app_commands import TranslationContext, TranslationContextLocation, locale_str
from fake_discord import APP_ID, GUILD_ID, serve
from test_discord_commands import ROSTER, ChapterFake
from test_discord_fleet import write_chapters
from test_publishers_chapter_data import MemoryStore

from meetbot.fleet.claims import Claims
from meetbot.fleet.invites import Invitations
from meetbot.language import shipped
from meetbot.publishers.discord_bot import make_client
from meetbot.publishers.discord_commands import build_tree
from meetbot.publishers.discord_fleet import FleetCommands
from meetbot.publishers.discord_service import start
from meetbot.publishers.discord_translator import CatalogTranslator
from meetbot.store.database import create_engine

MYSCORE = "Your own card for a session; only you see it"
# One Discord client language for each language meetbot ships besides English.
CLIENTS = {
    "de": discord.Locale.german,
    "es": discord.Locale.spain_spanish,
    "fr": discord.Locale.french,
    "it": discord.Locale.italian,
    "pt-BR": discord.Locale.brazil_portuguese,
}
Where = TranslationContextLocation


async def said(
    text: str, locale: discord.Locale, where: Where = Where.command_description
) -> str | None:
    context = TranslationContext(where, None)
    return await CatalogTranslator().translate(locale_str(text), locale, context)  # type: ignore[arg-type]


async def test_a_description_in_german_and_nothing_for_an_unshipped_language() -> None:
    assert await said(MYSCORE, discord.Locale.german) == (
        "Ihre persönliche Karte zu einem Treffen; nur Sie sehen sie"
    )
    assert await said(MYSCORE, discord.Locale.japanese) is None  # Discord shows the English
    assert await said(MYSCORE, discord.Locale.american_english) is None
    assert await said("myscore", discord.Locale.german, Where.command_name) is None  # names stay


def test_every_shipped_language_has_a_discord_client() -> None:
    assert set(CLIENTS) == set(shipped()) - {"en"}


def strings(tree: app_commands.CommandTree[discord.Client]) -> Iterator[tuple[str, Where]]:
    """Every description and choice the tree registers, with where it is shown."""
    for command in tree.walk_commands():
        group = isinstance(command, app_commands.Group)
        yield command.description, Where.group_description if group else Where.command_description
        if isinstance(command, app_commands.Command):
            for p in command.parameters:
                yield p.description, Where.parameter_description
                for choice in p.choices:
                    yield choice.name, Where.choice_name


def trees(folder: Path) -> Iterator[app_commands.CommandTree[discord.Client]]:
    client = make_client()
    yield build_tree(client, ChapterFake(), ROSTER)
    chapters = write_chapters(folder)
    engine = create_engine(f"sqlite:///{folder / 'fleet.sqlite3'}")
    region: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(make_client())
    region.add_command(
        FleetCommands(
            list(chapters.by_name.values()), MemoryStore([]), Invitations(chapters, Claims(engine))
        )
    )
    yield region
    engine.dispose()


@pytest.mark.parametrize("tag", sorted(CLIENTS))
async def test_every_description_of_the_real_command_trees_is_translated(
    tag: str, tmp_path: Path
) -> None:
    seen = 0
    for tree in trees(tmp_path):
        for text, where in strings(tree):
            translated = await said(text, CLIENTS[tag], where)
            assert translated, f"{tag}: no translation of {text!r}"
            assert len(translated) <= 100, f"{tag}: Discord allows 100 characters: {translated!r}"
            seen += 1
    assert seen >= 13  # the group, its seven commands and five options


async def test_the_registered_commands_carry_their_translations() -> None:
    async with serve() as fake, make_client() as client:
        await start(
            client, build_tree(client, ChapterFake(), ROSTER), "bot-token-for-tests", GUILD_ID
        )
    (put,) = fake.sent(f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands", method="PUT")
    (group,) = put.payload
    assert group["description_localizations"]["fr"] == "Vos chiffres de présence et d'écoute"
    assert "name_localizations" not in group or not group["name_localizations"]
    myscore = next(o for o in group["options"] if o["name"] == "myscore")
    assert myscore["description_localizations"]["de"].startswith("Ihre persönliche Karte")
    assert (
        myscore["description_localizations"]["pt-BR"]
        == "Seu cartão pessoal de uma reunião; só você o vê"
    )
    assert "ja" not in myscore["description_localizations"]
