"""The member's own pictures for their private card: their meeting, and their recent scores.

Only the member sees these (an ephemeral reply to /meetbot myscore, or their own card file):
their state strip under the turns band, with the others' turns they were scored on
highlighted, so "attentive for 41 of 47 minutes" can be checked by eye; and their last
sessions' scores as a small line. Nobody else's states or scores are drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from meetbot.domain import intervals
from meetbot.domain.record import Attendee, SessionRecord, Turn
from meetbot.domain.scoring import LISTENED_TO, others_turns
from meetbot.domain.states import Attendance, State
from meetbot.language import ENGLISH, Language
from reports import canvas, listening_minutes, meeting_band, palette, wording
from reports.member_trend import Point, recent_scores
from reports.post import Attachment

MEETING_NAME, TREND_NAME = "your-meeting.png", "your-trend.png"
WIDTH_IN, MEETING_HEIGHT_IN = 8.0, 3.0
TREND_WIDTH_IN, TREND_HEIGHT_IN = 6.0, 2.0
COUNTED = "#56B4E9"  # the shading of the time that counted: the member-turn colour, pale
COUNTED_ALPHA = 0.35
STATE_ORDER = (State.ENGAGED, State.LOOKING_AWAY, State.ABSENT, State.CAMERA_OFF, State.UNKNOWN)


def card_pictures(
    record: SessionRecord,
    attendee: Attendee,
    history: Sequence[SessionRecord],
    *,
    timezone: str = "UTC",
    lang: Language = ENGLISH,
) -> tuple[Attachment, ...]:
    """The attachments of `attendee`'s private card, labelled in `lang`: whichever of the two
    pictures apply."""
    out = []
    meeting = meeting_figure(record, attendee, timezone=timezone, lang=lang)
    if meeting is not None:
        out.append(Attachment(MEETING_NAME, canvas.png(meeting)))
    trend = trend_figure(recent_scores(record, attendee, history), timezone=timezone, lang=lang)
    if trend is not None:
        out.append(Attachment(TREND_NAME, canvas.png(trend)))
    return tuple(out)


def meeting_figure(
    record: SessionRecord, a: Attendee, *, timezone: str = "UTC", lang: Language = ENGLISH
) -> Figure | None:
    """Their meeting, or None when there is nothing of theirs to draw (not scored as a
    member, or the per-second states are no longer kept)."""
    if a.score is None or a.attendance in (Attendance.OPTED_OUT, Attendance.ABSENT):
        return None
    stretches = listening_minutes.states_of(record, a)
    if not stretches:
        return None
    counted = intervals.intersect(
        others_turns(record.turns, a.person, a.participants),
        [(s.start, s.end) for s in stretches],
    )
    own = set(a.participants)

    def scored_on(t: Turn) -> bool:
        # The rule of scoring.others_turns, turn by turn: others' member and feature turns.
        return (
            t.kind in LISTENED_TO and t.person != a.person and not own.intersection(t.participants)
        )

    with canvas.figure(WIDTH_IN, MEETING_HEIGHT_IN) as fig:
        left, right = 0.6, 0.35
        width = 1 - (left + right) / WIDTH_IN
        band = fig.add_axes((left / WIDTH_IN, 0.44, width, 0.40))
        strip = fig.add_axes((left / WIDTH_IN, 0.20, width, 0.17), sharex=band)
        meeting_band.clock_axis(band, record, timezone)
        px_per_minute = (
            width * WIDTH_IN * canvas.DPI / max(meeting_band.minutes(record.duration_s), 1e-3)
        )
        meeting_band.draw_turns(
            band,
            record.turns,
            px_per_minute=px_per_minute,
            faded=lambda t: not scored_on(t),
            label=lambda t: (
                lang.gettext("you") if t.person == a.person else meeting_band.turn_label(t, lang)
            ),
            first=lambda t: t.person == a.person,
        )
        band.tick_params(axis="x", labelbottom=False, length=0)
        for start, end in counted:
            strip.axvspan(
                meeting_band.minutes(start),
                meeting_band.minutes(end),
                color=COUNTED,
                alpha=COUNTED_ALPHA,
                linewidth=0,
            )
        drawn = meeting_band.draw_strip(strip, 0.0, 0.5, stretches)
        strip.set_ylim(-0.5, 0.5)
        strip.set_yticks([0.0], [lang.gettext("you")])
        strip.tick_params(axis="y", length=0)
        strip.spines["left"].set_visible(False)
        date = wording.long_date(record.started_at, timezone, lang)
        fig.text(
            left / WIDTH_IN,
            0.97,
            lang.gettext("Your meeting on {date}", date=date),
            fontsize=10,
            fontweight="bold",
            va="top",
        )
        fig.text(
            left / WIDTH_IN,
            0.905,
            canvas.safe_text(_summary_line(a, lang)),
            fontsize=8.5,
            va="top",
            color="#333333",
        )
        handles = [palette.state_patch(s, lang) for s in STATE_ORDER if s in drawn]
        counted_label = lang.gettext("others' turns you were scored on")
        handles.append(Patch(facecolor=COUNTED, alpha=COUNTED_ALPHA, label=counted_label))
        strip.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.0, -0.55),
            frameon=False,
            ncols=len(handles),
            handlelength=1.3,
            columnspacing=1.0,
            fontsize=8,
        )
        return fig


def _summary_line(a: Attendee, lang: Language) -> str:
    score = a.score
    if score is None or score.value is None:
        judged = wording.minutes_pair(
            score.observable_s if score else 0.0, score.others_turns_s if score else 0.0, lang
        )
        return lang.gettext(
            "Not enough data for a score: {judged} of others' turns could be judged.",
            judged=judged,
        )
    judged = wording.minutes_pair(score.attentive_s, score.observable_s, lang)
    return lang.gettext(
        "Attentive for {judged} of the shaded time (others' turns that could be judged).",
        judged=judged,
    )


def trend_figure(
    points: Sequence[Point], *, timezone: str = "UTC", lang: Language = ENGLISH
) -> Figure | None:
    """Their scores over recent sessions (oldest first, this one last); None with fewer than
    two scores, where a line would say nothing."""
    if sum(p.score is not None for p in points) < 2:
        return None
    xs = list(range(len(points)))
    values = [math.nan if p.score is None else p.score for p in points]
    with canvas.figure(TREND_WIDTH_IN, TREND_HEIGHT_IN) as fig:
        ax = fig.add_axes((0.09, 0.2, 0.88, 0.62))
        # A session without a score leaves a gap in the line, never a zero.
        ax.plot(xs, values, color=palette.FEATURE_TURN, marker="o", linewidth=1.6)
        if points[-1].score is not None:
            ax.plot(
                [xs[-1]],
                [points[-1].score],
                marker="o",
                markersize=9,
                color=palette.FEATURE_TURN,
                markerfacecolor="white",
                markeredgewidth=2,
            )
        for x, value in zip(xs, values, strict=True):
            if math.isnan(value):
                no_score = lang.gettext("no score")
                ax.text(x, 4, no_score, ha="center", fontsize=7.5, color="#888888")
            else:
                ax.annotate(
                    str(int(value + 0.5)),
                    (x, value),
                    textcoords="offset points",
                    xytext=(0, 7),
                    ha="center",
                    fontsize=8,
                )
        ax.set_ylim(0, 105)
        ax.set_yticks([0, 50, 100])
        ax.grid(axis="y", color="#EEEEEE", linewidth=0.6)
        ax.set_xlim(-0.4, len(xs) - 0.6)
        labels = [wording.short_date(p.started_at, timezone, lang) for p in points]
        labels[-1] += "\n" + lang.gettext("(this one)")
        ax.set_xticks(xs, labels, fontsize=7.5)
        ax.set_title(
            lang.ngettext(
                "Your listening score, last {count} meeting",
                "Your listening score, last {count} meetings",
                len(points),
            ),
            loc="left",
            fontsize=9.5,
            fontweight="bold",
        )
        return fig
