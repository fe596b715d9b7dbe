"""The session-over-session chart leads see: a PNG drawn on reports.canvas (deterministic,
headless, safe in a worker thread)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from meetbot.domain.record import SessionRecord
from meetbot.language import ENGLISH, Language
from reports import canvas, wording
from reports.summary import MeetingFigures, chronological, summarize

WIDTH_IN, HEIGHT_IN = 8.0, 5.0  # 800 x 500 px: readable inline in Discord
# Colour-blind safe (Okabe-Ito).
BLUE, ORANGE, GREEN, GREY = "#0072B2", "#E69F00", "#009E73", "#999999"


def chart_png(
    records: Sequence[SessionRecord],
    *,
    timezone: str = "UTC",
    min_group: int = 5,
    lang: Language = ENGLISH,
) -> bytes:
    """Attendance and the room's listening (top), late arrivals and guests (bottom), per session,
    labelled in `lang`.

    The listening line has a gap where fewer than `min_group` people were scored.
    """
    if not records:
        raise ValueError("chart_png needs at least one session record; none were given")
    summaries = [summarize(r) for r in chronological(records)]
    labels = [wording.short_date(s.started_at, timezone, lang) for s in summaries]
    xs = list(range(len(summaries)))
    with canvas.figure(WIDTH_IN, HEIGHT_IN) as fig:
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
        top.plot(
            xs,
            [_nan(s.attendance_rate) for s in summaries],
            marker="o",
            color=BLUE,
            label=lang.gettext("attendance %"),
        )
        top.plot(
            xs,
            [_nan(_listening(s, min_group)) for s in summaries],
            marker="s",
            color=ORANGE,
            label=lang.gettext("room listening %"),
        )
        top.set_ylim(0, 105)
        top.set_ylabel(lang.gettext("percent"))
        top.grid(axis="y", color="#dddddd", linewidth=0.6)
        top.legend(loc="lower left", frameon=False, ncols=2)
        chapter = canvas.safe_text(summaries[-1].chapter)
        top.set_title(
            lang.ngettext(
                "{chapter}: last {count} session",
                "{chapter}: last {count} sessions",
                len(xs),
                chapter=chapter,
            )
        )
        width = 0.38
        bottom.bar(
            [x - width / 2 for x in xs],
            [s.late for s in summaries],
            width,
            color=GREY,
            label=lang.gettext("late"),
        )
        guests = [len(s.visitors) + len(s.substitutes) for s in summaries]
        bottom.bar(
            [x + width / 2 for x in xs],
            guests,
            width,
            color=GREEN,
            label=lang.gettext("visitors + substitutes"),
        )
        bottom.set_ylabel(lang.gettext("people"))
        bottom.yaxis.get_major_locator().set_params(integer=True)
        bottom.legend(loc="upper left", frameon=False, ncols=2)
        bottom.set_xticks(xs, labels, rotation=30 if len(xs) > 6 else 0, ha="center")
        bottom.set_xlim(-0.6, len(xs) - 0.4)
        fig.tight_layout()
        return canvas.png(fig)


def _listening(s: MeetingFigures, min_group: int) -> float | None:
    return s.listening if s.scored >= min_group else None


def _nan(value: float | None) -> float:
    return math.nan if value is None else value
