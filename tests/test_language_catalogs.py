"""The shipped catalogs: in step with the code, complete, and faithful to each message's
placeholders and its language's plural rules; and the locale formatting they go with."""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from meetbot.language import Language, canonical, shipped
from meetbot.language.catalogs import TEMPLATE, folder, po_file

ROOT = Path(__file__).resolve().parent.parent
OTHERS = [tag for tag in shipped() if tag != "en"]
_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def test_meetbot_ships_the_six_languages_of_the_issue() -> None:
    assert set(shipped()) >= {"en", "de", "es", "fr", "pt-BR", "it"}
    assert canonical("pt_br") == "pt-BR"
    assert canonical("DE") == "de"
    assert canonical("xx") is None


def test_the_template_holds_exactly_the_messages_in_the_code() -> None:
    """`make catalogs` was run after the last message changed: nothing in the code is missing
    from the template (it would reach no translator), nothing in it is gone from the code."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    in_code = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        in_code.add(message if isinstance(message, str) else message[0])
    assert in_code == _ids(_read(TEMPLATE))


@pytest.mark.parametrize("tag", OTHERS)
def test_every_message_is_translated_with_the_same_placeholders(tag: str) -> None:
    catalog = _read(po_file(tag), folder(tag))
    assert _ids(catalog) == _ids(_read(TEMPLATE)), "run `make catalogs`"
    problems = []
    for m in catalog:
        if not m.id:
            continue
        source = m.id if isinstance(m.id, str) else m.id[1]
        forms = (m.string,) if isinstance(m.string, str) else m.string
        if m.fuzzy:
            problems.append(f"fuzzy (a guess, left out when compiled): {source!r}")
        for form in forms:
            if not form:
                problems.append(f"untranslated: {source!r}")
            elif placeholders(form) != placeholders(source):
                problems.append(f"{form!r} has other placeholders than {source!r}")
            else:  # a stray brace would fail only when the message is shown
                form.format(**dict.fromkeys(placeholders(source), "x"))
    assert problems == []


@pytest.mark.parametrize("tag", OTHERS)
def test_plurals_follow_the_languages_own_rule(tag: str) -> None:
    catalog = _read(po_file(tag), folder(tag))
    rule = get_plural(folder(tag))
    assert catalog.plural_forms == rule.plural_forms
    for m in catalog:
        if m.id and isinstance(m.id, tuple):
            assert len(m.string) == rule.num_plurals, m.id


def test_a_language_not_shipped_is_refused_naming_the_shipped_ones() -> None:
    with pytest.raises(ValueError, match=r"does not speak 'xx': use one of en, de, .*pt-BR"):
        Language.of("xx")


@pytest.mark.parametrize(
    ("tag", "long", "short", "percent"),
    [
        ("en", "Tuesday 8 December 2026", "8 Dec 2026", "74%"),
        ("de", "Dienstag, 8. Dezember 2026", "08.12.2026", "74\xa0%"),
        ("es", "martes, 8 de diciembre de 2026", "8 dic 2026", "74\xa0%"),
        ("fr", "mardi 8 décembre 2026", "8 déc. 2026", "74\xa0%"),
        ("pt-BR", "terça-feira, 8 de dezembro de 2026", "8 de dez. de 2026", "74%"),
        ("it", "martedì 8 dicembre 2026", "8 dic 2026", "74%"),
    ],
)
def test_dates_and_percentages_are_written_for_the_locale(
    tag: str, long: str, short: str, percent: str
) -> None:
    lang = Language.of(tag)
    assert lang.long_date(date(2026, 12, 8)) == long
    assert lang.short_date(date(2026, 12, 8)) == short
    assert lang.percent(73.6) == percent
    assert lang.percent(None) == "—"
    assert lang.clock(time(19, 5)) == "19:05"


def test_counts_use_gettext_plural_rules_and_locale_numbers() -> None:
    de, fr = Language.of("de"), Language.of("fr")
    minutes = ("{part} of {count} minute", "{part} of {count} minutes")
    assert de.ngettext(*minutes, 1, part=1) == "1 von 1 Minute"
    assert de.ngettext(*minutes, 1500, part=3) == "3 von 1.500 Minuten"
    # French takes the singular for zero as well as one, unlike German and English.
    assert fr.ngettext(*minutes, 0, part=0) == "0 sur 0 minute"
    assert de.ngettext(*minutes, 0, part=0) == "0 von 0 Minuten"
