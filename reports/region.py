"""The region view for directors: chapters side by side, group figures only.

Per chapter, over its last sessions: how many members came (attendance), how many came late on
average, and the room's listening, withheld for a session in which fewer than `min_group`
people were scored (as in the chapter comparison). Never a person's name or figure, and the
chapters are listed alphabetically: a comparison, not a league table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from babel.numbers import format_decimal

from meetbot.domain.record import SessionRecord
from meetbot.language import SOURCE, Language
from reports import canvas, wording
from reports.chart import BLUE, GREEN
from reports.comparison import aligned
from reports.post import Attachment, Audience, Post
from reports.summary import summarize

CHART_NAME = "region.png"


@dataclass(frozen=True, slots=True)
class ChapterFigures:
    chapter: str
    sessions: int
    attendance: float | None  # percent of members there or represented, over the sessions
    late: float  # late arrivals per session
    listening: float | None  # the rooms' attentive time over judged time, sessions with enough

    def __post_init__(self) -> None:
        if self.sessions < 1:
            raise ValueError(f"{self.chapter}: figures need at least one session")


def figures(chapter: str, records: Sequence[SessionRecord], min_group: int) -> ChapterFigures:
    summaries = [summarize(r) for r in records]
    expected = sum(s.attended + s.covered + s.absent for s in summaries)
    there = sum(s.attended + s.covered for s in summaries)
    scored = [s for s in summaries if s.scored >= min_group and s.observable_s > 0]
    observable = sum(s.observable_s for s in scored)
    return ChapterFigures(
        chapter=chapter,
        sessions=len(summaries),
        attendance=100.0 * there / expected if expected else None,
        late=sum(s.late for s in summaries) / len(summaries),
        listening=100.0 * sum(s.attentive_s for s in scored) / observable if observable else None,
    )


def region_comparison(
    by_chapter: Mapping[str, Sequence[SessionRecord]],
    *,
    min_group: int = 5,
    language: str = SOURCE,
) -> Post:
    """Chapters side by side (alphabetical), each over the sessions given for it, in
    `language`."""
    lang = Language.of(language)
    rows = [figures(c, by_chapter[c], min_group) for c in sorted(by_chapter) if by_chapter[c]]
    if not rows:
        raise ValueError("the region view needs at least one chapter with a finished session")
    # TRANSLATORS: column headings of a fixed-width table: short, lower case where usual.
    headings = (
        lang.gettext("chapter"),
        lang.gettext("sessions"),
        lang.gettext("attendance"),
        lang.gettext("late/session"),
        lang.gettext("listening"),
    )
    table = aligned(
        [
            headings,
            *(
                (
                    f.chapter,
                    lang.number(f.sessions),
                    wording.percent(f.attendance, lang),
                    format_decimal(round(f.late, 1), "0.0", locale=lang.locale),
                    wording.percent(f.listening, lang),
                )
                for f in rows
            ),
        ]
    )
    missing = sorted(c for c, records in by_chapter.items() if not records)
    body = ["```text", *table, "```"]
    if missing:
        body.append(
            lang.gettext("No finished sessions yet: {chapters}.", chapters=", ".join(missing))
        )
    return Post(
        audience=Audience.LEADS,
        title=lang.ngettext(
            "Region view — {count} chapter side by side",
            "Region view — {count} chapters side by side",
            len(rows),
        ),
        body="\n".join(body),
        footer=lang.ngettext(
            "For directors and leads: group figures only, chapters in alphabetical order. "
            "Listening counts sessions in which at least {count} person was scored.",
            "For directors and leads: group figures only, chapters in alphabetical order. "
            "Listening counts sessions in which at least {count} people were scored.",
            min_group,
        ),
        attachments=(Attachment(CHART_NAME, chart(rows, lang)),),
    )


def chart(rows: Sequence[ChapterFigures], lang: Language) -> bytes:
    """Attendance and listening per chapter as paired bars (a gap where withheld)."""
    xs = list(range(len(rows)))
    with canvas.figure(max(5.0, 1.2 * len(rows) + 2.0), 4.0) as fig:
        ax = fig.subplots()
        width = 0.38
        ax.bar([x - width / 2 for x in xs], [_nan(f.attendance) for f in rows], width,
               color=BLUE, label=lang.gettext("attendance %"))  # fmt: skip
        ax.bar([x + width / 2 for x in xs], [_nan(f.listening) for f in rows], width,
               color=GREEN, label=lang.gettext("room listening %"))  # fmt: skip
        ax.set_xticks(xs, [canvas.safe_text(f.chapter) for f in rows], rotation=20, ha="right")
        ax.set_ylim(0, 100)
        ax.legend(loc="lower right", frameon=False)
        ax.set_title(lang.gettext("Chapters side by side (group figures)"))
        fig.tight_layout()
        return canvas.png(fig)


def _nan(value: float | None) -> float:
    return math.nan if value is None else value
