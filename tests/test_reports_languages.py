"""The recap and the member card in every shipped language: no English left in them.

An untranslated message falls back to its English source at run time (gettext's way), so it is
caught here instead: every English phrase of the catalog template must be absent from what each
other language renders, unless that language's own translation of the message keeps it (a
command name such as /meetbot optout stays as it is typed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import records
from babel.messages.pofile import read_po

import reports
from meetbot.language import shipped
from meetbot.language.catalogs import folder, po_file
from reports import Post

OTHERS = [tag for tag in shipped() if tag != "en"]
CARD_PEOPLE = (
    "Jon Park",
    records.CAMERA_OFF,
    "Dev Patel",
    records.LOOKED_AWAY,
    "Hiro Tanaka",
    "Ines Duarte",
    "Farid Haddad",
    "Zoe Li",
    "Nobody Here",
)
# Between placeholders and Markdown: the English words a reader would see.
_SPLIT = re.compile(r"\{\w*\}|\*\*|_|[—:;,.!()]")
_WORDS = re.compile(r"[A-Za-z']+")


def text(post: Post) -> str:
    fields = [f"{f.name}\n{f.value}" for f in post.fields]
    return "\n".join([post.title, post.body, *fields, post.footer])


def english_phrases(tag: str) -> Iterator[tuple[str, str]]:
    """(phrase, message) for every phrase of two or more words, or one word of five letters or
    more, that this language's translation of the message does not itself contain."""
    with po_file(tag).open("rb") as source:
        catalog = read_po(source, locale=folder(tag))
    for m in catalog:
        if not m.id:
            continue
        sources = (m.id,) if isinstance(m.id, str) else m.id
        translated = " ".join((m.string,) if isinstance(m.string, str) else m.string)
        for source_text in sources:
            for chunk in _SPLIT.split(source_text):
                phrase = " ".join(_WORDS.findall(chunk))
                words = phrase.split()
                seen = len(words) >= 2 or (len(words) == 1 and len(words[0]) >= 5)
                if seen and phrase.casefold() not in translated.casefold():
                    yield phrase, source_text


def leftovers(rendered: str, tag: str) -> list[str]:
    return sorted(
        {
            f"{phrase!r} (from {message!r})"
            for phrase, message in english_phrases(tag)
            if re.search(rf"\b{re.escape(phrase)}\b", rendered, re.IGNORECASE)
        }
    )


def test_the_check_finds_english_left_in_a_post() -> None:
    """The checker itself: an English recap is full of the phrases it looks for."""
    english = text(reports.recap(records.chapter_session(), timezone=records.TIMEZONE))
    assert len(leftovers(english, "de")) >= 5


@pytest.mark.parametrize("tag", OTHERS)
def test_a_recap_has_no_english_left(tag: str) -> None:
    posts = [
        reports.recap(records.chapter_session(), timezone=records.TIMEZONE, language=tag),
        reports.recap(records.small_session(), timezone="Asia/Tokyo", language=tag),
    ]
    assert leftovers("\n".join(text(p) for p in posts), tag) == []


@pytest.mark.parametrize("tag", OTHERS)
def test_every_kind_of_member_card_has_no_english_left(tag: str) -> None:
    session, history = records.chapter_session(), records.earlier_sessions()
    cards = [
        reports.member_card(session, person, history, timezone=records.TIMEZONE, language=tag)
        for person in CARD_PEOPLE
    ]
    assert leftovers("\n".join(text(c) for c in cards), tag) == []


def test_a_german_recap_and_card_read_as_german() -> None:
    session = records.chapter_session()
    recap = reports.recap(session, timezone=records.TIMEZONE, language="de")
    assert recap.title.startswith("Rückblick auf das Treffen — ")
    assert "**Anwesenheit:**" in recap.body
    card = reports.member_card(
        session, "Jon Park", records.earlier_sessions(), timezone=records.TIMEZONE, language="de"
    )
    assert card.title.startswith("Ihr Treffen am ")
    assert [f.name for f in card.fields] == ["Aufmerksamkeitswert", "Ihr Beitrag", "Entwicklung"]
    assert "aufmerksam während 15 Min. 44 Sek. von 16 Min. 16 Sek. der Beiträge" in card.body


def test_a_language_not_shipped_is_refused() -> None:
    with pytest.raises(ValueError, match=r"does not speak 'tlh'"):
        reports.recap(records.chapter_session(), language="tlh")
