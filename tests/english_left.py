"""English left in text rendered in another language: the check behind the language tests.

An untranslated message falls back to its English source at run time (gettext's way), so the
tests look for it instead: every English phrase of the catalog must be absent from what another
language renders, unless that language's translations use it too (a command name such as
/meetbot optout stays as it is typed; some words are the same in both languages).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from babel.messages.pofile import read_po

from meetbot.language.catalogs import folder, po_file

# Between placeholders and Markdown: the English words a reader would see.
_SPLIT = re.compile(r"\{\w*\}|\*\*|_|[—:;,.!()]")
_WORDS = re.compile(r"[A-Za-z']+")


def english_phrases(tag: str) -> Iterator[tuple[str, str]]:
    """(phrase, message) for every phrase of two or more words, or one word of five letters or
    more, that no translation of this language contains (French writes "absent" and German
    "Person" too)."""
    with po_file(tag).open("rb") as source:
        catalog = read_po(source, locale=folder(tag))
    messages = [m for m in catalog if m.id]
    translated = " ".join(
        form.replace("_", " ").casefold()
        for m in messages
        for form in ((m.string,) if isinstance(m.string, str) else m.string)
    )
    for m in messages:
        for source_text in (m.id,) if isinstance(m.id, str) else m.id:
            for chunk in _SPLIT.split(source_text):
                phrase = " ".join(_WORDS.findall(chunk))
                words = phrase.split()
                seen = len(words) >= 2 or (len(words) == 1 and len(words[0]) >= 5)
                if seen and phrase.casefold() not in translated:
                    yield phrase, source_text


def leftovers(rendered: str, tag: str) -> list[str]:
    return sorted(
        {
            f"{phrase!r} (from {message!r})"
            for phrase, message in english_phrases(tag)
            if re.search(rf"\b{re.escape(phrase)}\b", rendered, re.IGNORECASE)
        }
    )
