"""Speaking a chapter's language: gettext messages and Babel's locale formatting for a BCP 47 tag.

Pure: a `Language` turns messages, counts, numbers, percentages and dates into text for one
locale, reading nothing but the shipped catalogs (meetbot.language.catalogs). The rendering
policy (how a duration is rounded, what a score looks like) stays with its callers, in reports.

    de = Language.of("de")
    de.ngettext("{count} visitor", "{count} visitors", 3)      # '3 Besucher'
    de.long_date(date(2026, 12, 8))                            # 'Dienstag, 8. Dezember 2026'
    de.percent(74.2)                                           # '74 %'
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, time

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent

from meetbot.language.catalogs import SOURCE, canonical, folder, shipped, translations

__all__ = ["ENGLISH", "N_", "SOURCE", "Language", "canonical", "reader", "shipped", "spoken"]

# English keeps the day-first dates meetbot has always printed (Babel's "en" is US order); every
# other language uses its locale's own full and medium forms (CLDR).
_LONG_DATE = {SOURCE: "EEEE d MMMM y"}
_SHORT_DATE = {SOURCE: "d MMM y"}


def N_(message: str) -> str:
    """Marks a message kept in a constant for the catalogs (pybabel finds N_); it is translated
    where it is shown, with `Language.gettext`."""
    return message


@dataclass(frozen=True, slots=True)
class Language:
    """One shipped language. Build it with `Language.of(tag)`, which refuses a tag not shipped."""

    tag: str

    @staticmethod
    def of(tag: str) -> Language:
        found = canonical(tag)
        if found is None:
            raise ValueError(f"meetbot does not speak {tag!r}: use one of {', '.join(shipped())}")
        return Language(found)

    @property
    def locale(self) -> Locale:
        return _locale(self.tag)

    def gettext(self, message: str, /, **values: object) -> str:
        """`message` in this language, its {placeholders} filled in."""
        text = translations(self.tag).gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """The form of `singular`/`plural` this language uses for `n` (gettext's plural rules),
        with {count} the number written for the locale."""
        text = translations(self.tag).ngettext(singular, plural, n)
        return text.format(count=self.number(n), **values)

    def number(self, value: float) -> str:
        """'1,234' in English, '1.234' in German."""
        return format_decimal(value, locale=self.locale)

    def percent(self, value: float | None) -> str:
        """A percentage rounded to a whole number: '87%', '87 %'; an em dash where there is no
        figure (never a misleading 0)."""
        if value is None:
            return "—"
        return format_percent(int(value + 0.5) / 100, locale=self.locale)

    def long_date(self, day: date) -> str:
        """'Tuesday 8 December 2026', 'Dienstag, 8. Dezember 2026'."""
        return format_date(day, _LONG_DATE.get(self.tag, "full"), locale=self.locale)

    def short_date(self, day: date) -> str:
        """'8 Dec 2026', '08.12.2026': for tables and chart axes where space is short."""
        return format_date(day, _SHORT_DATE.get(self.tag, "medium"), locale=self.locale)

    def clock(self, moment: time) -> str:
        """'19:05': a 24-hour clock, which every shipped language's business use reads."""
        return format_time(moment, "HH:mm", locale=self.locale)


ENGLISH = Language(SOURCE)


def reader(client: str | None, own: str, chapter: str) -> str:
    """The language a member reads their private card in: their client's (Discord's locale,
    'de', 'es-ES', 'en-GB') when meetbot ships it, else their roster entry's `own`, else the
    `chapter`'s. The client comes first because the member chose it themselves, on the device
    they read on; `own` serves those whose client speaks a language meetbot does not ship."""
    for tag in (client, own):
        found = spoken(tag) if tag else None
        if found is not None:
            return found
    return chapter


def spoken(tag: str) -> str | None:
    """The shipped language a client's locale reads, or None: a regional locale ('es-ES',
    'en-GB') reads its language's catalog; 'pt-BR' keeps its own, and 'pt-PT' is not taken for
    Brazilian Portuguese."""
    return canonical(tag) or canonical(tag.split("-")[0])


@functools.cache
def _locale(tag: str) -> Locale:
    return Locale.parse(folder(tag))
