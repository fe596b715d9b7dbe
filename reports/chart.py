"""The session-over-session chart leads see: a PNG made with matplotlib's Agg renderer.

Byte-for-byte deterministic for the same records: a fixed size and dpi, fixed style settings
(not the user's matplotlibrc), no pyplot global state (safe in a worker thread), and no
'Software' or date text chunk in the PNG.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from meetbot.domain.record import SessionRecord
from reports import wording
from reports.summary import MeetingFigures, chronological, summarize

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 5.0, 100  # 800 x 500 px: readable inline in Discord
STYLE = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: same glyphs on every machine
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": False,
}
# Colour-blind safe (Okabe-Ito).
BLUE, ORANGE, GREEN, GREY = "#0072B2", "#E69F00", "#009E73", "#999999"


def chart_png(
    records: Sequence[SessionRecord], *, timezone: str = "UTC", min_group: int = 5
) -> bytes:
    """Attendance and the room's listening (top), late arrivals and guests (bottom), per session.

    The listening line has a gap where fewer than `min_group` people were scored.
    """
    if not records:
        raise ValueError("chart_png needs at least one session record; none were given")
    summaries = [summarize(r) for r in chronological(records)]
    labels = [wording.short_date(s.started_at, timezone) for s in summaries]
    xs = list(range(len(summaries)))
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
        FigureCanvasAgg(fig)
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
        top.plot(
            xs,
            [_nan(s.attendance_rate) for s in summaries],
            marker="o",
            color=BLUE,
            label="attendance %",
        )
        top.plot(
            xs,
            [_nan(_listening(s, min_group)) for s in summaries],
            marker="s",
            color=ORANGE,
            label="room listening %",
        )
        top.set_ylim(0, 105)
        top.set_ylabel("percent")
        top.grid(axis="y", color="#dddddd", linewidth=0.6)
        top.legend(loc="lower left", frameon=False, ncols=2)
        # A '$' pair in a chapter name would switch matplotlib to math mode.
        chapter = summaries[-1].chapter.replace("$", r"\$")
        top.set_title(f"{chapter}: last {wording.plural(len(xs), 'session')}")
        width = 0.38
        bottom.bar(
            [x - width / 2 for x in xs],
            [s.late for s in summaries],
            width,
            color=GREY,
            label="late",
        )
        guests = [len(s.visitors) + len(s.substitutes) for s in summaries]
        bottom.bar(
            [x + width / 2 for x in xs], guests, width, color=GREEN, label="visitors + substitutes"
        )
        bottom.set_ylabel("people")
        bottom.yaxis.get_major_locator().set_params(integer=True)
        bottom.legend(loc="upper left", frameon=False, ncols=2)
        bottom.set_xticks(xs, labels, rotation=30 if len(xs) > 6 else 0, ha="center")
        bottom.set_xlim(-0.6, len(xs) - 0.4)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _listening(s: MeetingFigures, min_group: int) -> float | None:
    return s.listening if s.scored >= min_group else None


def _nan(value: float | None) -> float:
    return math.nan if value is None else value
