"""The message catalogs meetbot ships: one gettext .po file per language, compiled when first used.

English is the source language: the messages in the code are the English text, so English needs
no catalog. Every other language is a folder locales/<ll or ll_CC>/LC_MESSAGES/meetbot.po,
extracted and updated with Babel (`make catalogs`, see the README), so a translator works with
the usual gettext tools. The .po files are compiled in memory the first time a language is asked
for (no .mo file is built, installed or kept in step with its source), and a language is shipped
exactly when its .po file is here.
"""

from __future__ import annotations

import functools
import gettext
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "meetbot"
SOURCE = "en"
LOCALES = Path(__file__).with_name("locales")
TEMPLATE = LOCALES / f"{DOMAIN}.pot"


def folder(tag: str) -> str:
    """The gettext folder of a BCP 47 tag: 'pt-BR' -> 'pt_BR'."""
    return tag.replace("-", "_")


def po_file(tag: str) -> Path:
    return LOCALES / folder(tag) / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def shipped() -> tuple[str, ...]:
    """The BCP 47 tags meetbot speaks: English, then every language with a catalog, by tag."""
    found = sorted(p.parent.parent.name.replace("_", "-") for p in LOCALES.glob("*/*/*.po"))
    return (SOURCE, *found)


def canonical(tag: str) -> str | None:
    """The shipped tag `tag` names ('pt_br', 'PT-BR' -> 'pt-BR'), or None."""
    key = tag.strip().replace("_", "-").casefold()
    return next((t for t in shipped() if t.casefold() == key), None)


@functools.cache
def translations(tag: str) -> gettext.NullTranslations:
    """The compiled catalog of a shipped tag; the source language translates to itself."""
    if tag == SOURCE:
        return gettext.NullTranslations()
    with po_file(tag).open("rb") as source:
        catalog = read_po(source, locale=folder(tag), domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out: a guess is not a translation
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
