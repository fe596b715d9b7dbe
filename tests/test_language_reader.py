"""Which language a member reads their private card in (issue 26): client, roster, chapter."""

from __future__ import annotations

import discord
import pytest

from meetbot.language import reader


@pytest.mark.parametrize(
    ("client", "own", "chapter", "read"),
    [
        (discord.Locale.german, "", "en", "de"),  # a German client in an English chapter
        (discord.Locale.brazil_portuguese, "", "en", "pt-BR"),
        (discord.Locale.spain_spanish, "", "de", "es"),  # a regional client: its language
        (discord.Locale.american_english, "fr", "de", "en"),  # the client before the roster
        (discord.Locale.british_english, "", "de", "en"),
        (discord.Locale.japanese, "fr", "de", "fr"),  # not shipped: the roster entry's
        (discord.Locale.japanese, "pt_br", "de", "pt-BR"),  # as the config spells it
        (discord.Locale.japanese, "", "it", "it"),  # then the chapter's
        ("pt-PT", "", "it", "it"),  # European Portuguese is not taken for Brazilian
        (None, "", "fr", "fr"),
    ],
)
def test_the_client_then_the_roster_entry_then_the_chapter(
    client: discord.Locale | str | None, own: str, chapter: str, read: str
) -> None:
    tag = client.value if isinstance(client, discord.Locale) else client
    assert reader(tag, own, chapter) == read
