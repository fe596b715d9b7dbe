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

from meetbot.domain.record import SessionRecord
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
    by_chapter: Mapping[str, Sequence[SessionRecord]], *, min_group: int = 5
) -> Post:
    """Chapters side by side (alphabetical), each over the sessions given for it."""
    rows = [figures(c, by_chapter[c], min_group) for c in sorted(by_chapter) if by_chapter[c]]
    if not rows:
        raise ValueError("the region view needs at least one chapter with a finished session")
    table = aligned(
        [
            ("chapter", "sessions", "attendance", "late/session", "listening"),
            *(
                (
                    f.chapter,
                    str(f.sessions),
                    wording.percent(f.attendance),
                    f"{f.late:.1f}",
                    wording.percent(f.listening),
                )
                for f in rows
            ),
        ]
    )
    missing = sorted(c for c, records in by_chapter.items() if not records)
    body = ["```text", *table, "```"]
    if missing:
        body.append(f"No finished sessions yet: {', '.join(missing)}.")
    return Post(
        audience=Audience.LEADS,
        title=f"Region view — {wording.plural(len(rows), 'chapter')} side by side",
        body="\n".join(body),
        footer=(
            "For directors and leads: group figures only, chapters in alphabetical order. "
            f"Listening counts sessions in which at least {min_group} people were scored."
        ),
        attachments=(Attachment(CHART_NAME, chart(rows)),),
    )


def chart(rows: Sequence[ChapterFigures]) -> bytes:
    """Attendance and listening per chapter as paired bars (a gap where withheld)."""
    xs = list(range(len(rows)))
    with canvas.figure(max(5.0, 1.2 * len(rows) + 2.0), 4.0) as fig:
        ax = fig.subplots()
        width = 0.38
        ax.bar([x - width / 2 for x in xs], [_nan(f.attendance) for f in rows], width,
               color=BLUE, label="attendance %")  # fmt: skip
        ax.bar([x + width / 2 for x in xs], [_nan(f.listening) for f in rows], width,
               color=GREEN, label="room listening %")  # fmt: skip
        ax.set_xticks(xs, [canvas.safe_text(f.chapter) for f in rows], rotation=20, ha="right")
        ax.set_ylim(0, 100)
        ax.legend(loc="lower right", frameon=False)
        ax.set_title("Chapters side by side (group figures)")
        fig.tight_layout()
        return canvas.png(fig)


def _nan(value: float | None) -> float:
    return math.nan if value is None else value
