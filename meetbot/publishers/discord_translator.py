"""The /meetbot commands' descriptions and choices in each member's Discord language.

Discord shows a command's description, its options' descriptions and its choices in the client's
language when the registered command carries them; discord.py asks an installed
`app_commands.Translator` for each string when the tree is synced (discord_service.start). The
strings are the English messages declared with the commands (marked with N_), so they are
translated with every other message, in the catalogs' .po files.

Names are not translated: Discord wants them lowercase, without spaces and unique, members type
them, and the README, the bot's own replies ("/meetbot optout") and the chapter leads all name
the commands in English; one name everywhere is what lets them point each other to a command.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from meetbot.language import SOURCE, Language, spoken

TRANSLATED = frozenset(
    {
        Where.command_description,
        Where.group_description,
        Where.parameter_description,
        Where.choice_name,
    }
)


class CatalogTranslator(app_commands.Translator):
    """Reads the catalogs; None (Discord shows the English) for names, for a language meetbot
    does not ship, and for a message not translated yet."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        tag = spoken(locale.value)
        if context.location not in TRANSLATED or tag is None or tag == SOURCE:
            return None
        text = Language.of(tag).gettext(string.message)
        return None if text == string.message else text
