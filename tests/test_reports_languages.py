"""The recap and the member card in every shipped language: no English left in them.

An untranslated message falls back to its English source at run time (gettext's way), so it is
caught here instead (tests/english_left.py).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace

import pytest
import records
from english_left import leftovers
from figure_facts import all_axes, figure_texts
from html_text import visible
from matplotlib.figure import Figure

import reports
from meetbot.language import Language, shipped
from reports import Post, own_picture
from reports.member_trend import recent_scores
from reports.region import region_comparison
from reports.summary import find

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


# "46 Sek.." : an abbreviation's stop must also end the sentence (German durations).
_DOUBLED_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")


def text(post: Post) -> str:
    fields = [f"{f.name}\n{f.value}" for f in post.fields]
    return "\n".join([post.title, post.body, *fields, post.footer])


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
    rendered = "\n".join(text(p) for p in posts)
    assert leftovers(rendered, tag) == []
    assert not _DOUBLED_STOP.search(rendered)


@pytest.mark.parametrize("tag", OTHERS)
def test_every_kind_of_member_card_has_no_english_left(tag: str) -> None:
    session, history = records.chapter_session(), records.earlier_sessions()
    cards = [
        reports.member_card(session, person, history, timezone=records.TIMEZONE, language=tag)
        for person in CARD_PEOPLE
    ]
    rendered = "\n".join(text(c) for c in cards)
    assert leftovers(rendered, tag) == []
    assert not _DOUBLED_STOP.search(rendered)


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


@pytest.mark.parametrize("tag", OTHERS)
def test_the_organisers_reports_have_no_english_left(tag: str) -> None:
    tz = records.TIMEZONE
    full = (records.chapter_session(), records.earlier_sessions())
    small = (records.small_session(), ())  # too few for scores: the note that says so
    pages, files = [], []
    for record, history in (full, small):
        page = reports.html_report(record, history, timezone=tz, language=tag)
        assert f'<html lang="{tag}">' in page
        pages.append(visible(page))
        files.append(reports.markdown_report(record, history, timezone=tz, language=tag))
    assert leftovers("\n".join(pages), tag) == []
    assert leftovers("\n".join(files), tag) == []
    assert not _DOUBLED_STOP.search("\n".join([*pages, *files]))


def test_a_german_report_reads_as_german() -> None:
    page = reports.html_report(
        records.chapter_session(),
        records.earlier_sessions(),
        timezone=records.TIMEZONE,
        language="de",
    )
    text = visible(page)
    assert "Dienstag, 3. März 2026" in text
    assert "Uhr (Europe/London)" in text
    for heading in ("Überblick", "Das Treffen auf einen Blick", "Zu diesen Zahlen"):
        assert f"<h2>{heading}</h2>" in page
    assert "Aufmerksamkeitswert = 100 × aufmerksame Zeit ÷ beurteilbare Zeit" in text


@pytest.mark.parametrize("tag", OTHERS)
def test_the_lead_and_region_comparisons_have_no_english_left(tag: str) -> None:
    sessions = (records.chapter_session(), *records.earlier_sessions())
    # A small group (the note that per-member detail is withheld), named without English words.
    small = replace(records.small_session(), chapter="Tiny")
    posts = [
        reports.comparison(sessions, detail=True, timezone=records.TIMEZONE, language=tag),
        reports.comparison([small], detail=True, language=tag),
        region_comparison({"Alder": sessions, "Birch": [small], "Cedar": []}, language=tag),
    ]
    rendered = "\n".join(text(p) for p in posts)
    assert leftovers(rendered, tag) == []
    assert not _DOUBLED_STOP.search(rendered)


def test_a_region_view_writes_numbers_for_the_locale() -> None:
    """One decimal for late arrivals per session: a comma in German."""
    sessions = records.earlier_sessions()
    post = region_comparison({"Alder": sessions}, language="de")
    (row,) = [line for line in post.body.splitlines() if line.startswith("Alder")]
    assert re.fullmatch(r"Alder +\d+ +\d+\xa0% +\d,\d +(\d+\xa0%|—)", row)
    assert post.title == "Regionsansicht — 1 Chapter im Vergleich"


@pytest.mark.parametrize("tag", OTHERS)
def test_the_csv_has_no_english_left(tag: str) -> None:
    sheet = reports.csv_report(records.chapter_session(), timezone=records.TIMEZONE, language=tag)
    # Column names and cell words join their words with underscores: read them as words.
    assert leftovers(sheet.replace("_", " "), tag) == []


def test_a_german_csv_names_its_columns_in_german_and_keeps_numbers_machine_readable() -> None:
    sheet = reports.csv_report(records.chapter_session(), timezone=records.TIMEZONE, language="de")
    rows = list(csv.DictReader(io.StringIO(sheet)))
    grace = next(r for r in rows if r["person"] == records.CAMERA_OFF)
    assert grace["kamera_aus_s"] == "360.0"  # a point before the decimal, in every language
    assert grace["aufmerksamkeitswert"] == "60.7"
    assert grace["rolle"] == "Mitglied"
    hiro = next(r for r in rows if r["person"] == "Hiro Tanaka")
    assert hiro["hinweis_zum_wert"] == "nicht_genügend_daten"
    assert hiro["früher_gegangen"] == "ja"


def words_in(fig: Figure) -> str:
    """Every word drawn in a picture: titles, legends, tick labels and free text."""
    parts = figure_texts(fig)
    for ax in all_axes(fig):
        parts += [ax.title, *ax.legend, *ax.xticks, *ax.yticks, *ax.texts]
    return "\n".join(parts)


@pytest.mark.parametrize("tag", OTHERS)
def test_the_pictures_on_a_card_have_no_english_left(tag: str) -> None:
    session, lang = records.chapter_session(), Language.of(tag)
    drawn = []
    for person in CARD_PEOPLE[:5]:  # scored, camera off, accommodated, late, not enough data
        attendee = find(session, person)
        assert attendee is not None
        meeting = own_picture.meeting_figure(
            session, attendee, timezone=records.TIMEZONE, lang=lang
        )
        points = recent_scores(session, attendee, records.earlier_sessions())
        trend = own_picture.trend_figure(points, timezone=records.TIMEZONE, lang=lang)
        drawn += [words_in(fig) for fig in (meeting, trend) if fig is not None]
    assert len(drawn) >= 8
    assert leftovers("\n".join(drawn), tag) == []
