"""The meeting at a glance, for the organiser's HTML report: one timeline picture.

Three panels on one clock axis: the turns (who had the floor, member / feature / chair), one row
per person (when they were connected; with `detail`, what state they were in), and the room's
listening per minute. `detail` is for readers who already see individual figures (the
organiser's report of a group of at least `reports.min_group_for_detail` members): without
it the rows show presence only, as the attendance table does. The public recap never carries
this picture. The room's line is withheld, as its summary figure is, when too few were scored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from meetbot.domain.record import Attendee, SessionRecord
from meetbot.domain.scoring import Stretch
from meetbot.domain.states import Attendance, State, TurnKind
from meetbot.language import ENGLISH, Language
from reports import canvas, listening_minutes, meeting_band, palette, wording
from reports.organiser import attendee_order
from reports.summary import (
    MEMBER_ATTENDANCE,
    MeetingFigures,
    is_late,
    left_early,
    represented,
    summarize,
)

WIDTH_IN = 9.6  # fills the report's 60rem column at 100 dpi
LEFT_IN, RIGHT_IN = 2.5, 0.2  # the left margin holds the row names
BAND_IN, ROW_IN, ROOM_IN = 1.3, 0.22, 1.25
ABOVE_IN, TICKS_IN, EDGE_IN = 0.56, 0.28, 0.08  # a panel's title and legend; clock labels
ROW_CHARS = 42  # about what LEFT_IN holds at 8.5 pt
NAME_COLOUR, QUIET_COLOUR, OWN_TURN = "#222222", "#888888", "#000000"
ROOM_TITLE = "Room listening per minute, during members' turns"
STATE_ORDER = (State.ENGAGED, State.LOOKING_AWAY, State.ABSENT, State.CAMERA_OFF, State.UNKNOWN)


@dataclass(frozen=True, slots=True)
class Glance:
    png: bytes
    width: int  # pixels
    height: int
    alt: str


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the picture of one record will show, worked out once."""

    summary: MeetingFigures
    min_group: int
    detail: bool  # states per person (the reader sees individual figures anyway)
    states: dict[str, tuple[Stretch, ...]]
    minutes: list[float]  # the room's listening per minute, [] when withheld

    @property
    def room(self) -> bool:
        return listening_minutes.any_figure(self.minutes)


def _plan(record: SessionRecord, min_group: int) -> _Plan:
    s = summarize(record)
    detail = s.members >= min_group
    room = s.scored >= min_group  # as the summary's room figure: withheld with fewer
    states = listening_minutes.states_by_person(record) if detail or room else {}
    minutes = listening_minutes.per_minute(record, states) if room else []
    return _Plan(s, min_group, detail, states, minutes)


def meeting_glance(
    record: SessionRecord, *, timezone: str = "UTC", min_group: int = 5, lang: Language = ENGLISH
) -> Glance:
    """The picture as PNG bytes with its size and a text alternative in `lang` (the picture's
    own labels are English still)."""
    plan = _plan(record, min_group)
    fig = _figure(record, plan, timezone)
    width, height = (int(v * canvas.DPI + 0.5) for v in fig.get_size_inches())
    turns = lang.ngettext("{count} turn", "{count} turns", len(record.turns))
    people = lang.ngettext("{count} person", "{count} people", len(record.attendees))
    if plan.room:
        alt = lang.gettext(
            "Timeline of the meeting: {turns} and {people}, when each was there, and the room's "
            "listening per minute.",
            turns=turns,
            people=people,
        )
    else:
        alt = lang.gettext(
            "Timeline of the meeting: {turns} and {people}, when each was there.",
            turns=turns,
            people=people,
        )
    return Glance(canvas.png(fig), width, height, alt)


def meeting_figure(record: SessionRecord, *, timezone: str = "UTC", min_group: int = 5) -> Figure:
    """The timeline as a matplotlib Figure (not yet rendered: tests read its structure)."""
    return _figure(record, _plan(record, min_group), timezone)


def _figure(record: SessionRecord, plan: _Plan, timezone: str) -> Figure:
    people = sorted(record.attendees, key=attendee_order)
    panels = [
        ("band", BAND_IN, False),
        ("people", max(ROW_IN * len(people), 0.5), True),
        ("room", ROOM_IN if plan.room else 0.3, plan.room),
    ]
    height = 2 * EDGE_IN + sum(
        ABOVE_IN + h + (TICKS_IN if ticks else 0.0) for _, h, ticks in panels
    )
    with canvas.figure(WIDTH_IN, height) as fig:
        axes: dict[str, Axes] = {}
        top = height - EDGE_IN
        for name, h, ticks in panels:
            top -= ABOVE_IN + h
            axes[name] = fig.add_axes(
                (LEFT_IN / WIDTH_IN, top / height, 1 - (LEFT_IN + RIGHT_IN) / WIDTH_IN, h / height),
                sharex=axes.get("band"),
            )
            top -= TICKS_IN if ticks else 0.0
        px_per_minute = (
            (WIDTH_IN - LEFT_IN - RIGHT_IN)
            * canvas.DPI
            / max(meeting_band.minutes(record.duration_s), 1e-3)
        )
        meeting_band.clock_axis(axes["band"], record, timezone)
        _turns(axes["band"], record, px_per_minute)
        _people(axes["people"], record, people, plan.states if plan.detail else {}, plan.detail)
        if plan.room:
            _room(axes["room"], plan.summary, plan.minutes)
        else:
            _withheld(axes["room"], plan.summary.scored, plan.min_group)
        return fig


def _title(ax: Axes, text: str, handles: list[Patch | Line2D]) -> None:
    # The title on its own line, the legend under it: a wide legend never runs into it.
    ax.set_title(text, loc="left", fontsize=9.5, fontweight="bold", pad=20 if handles else 6)
    if handles:
        ax.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            frameon=False,
            ncols=len(handles),
            handlelength=1.3,
            columnspacing=1.0,
            borderaxespad=0.1,
            fontsize=8,
        )


def _turns(ax: Axes, record: SessionRecord, px_per_minute: float) -> None:
    hidden = meeting_band.draw_turns(ax, record.turns, px_per_minute=px_per_minute)
    ax.tick_params(axis="x", labelbottom=False, length=0)
    kinds = [k for k in TurnKind if any(t.kind is k for t in record.turns)]
    text = "Turns" if not hidden else f"Turns ({hidden} names left out where they would overlap)"
    _title(ax, text, [palette.turn_patch(k) for k in kinds])
    if not record.turns:
        ax.text(
            0.5,
            0.2,
            "no turns were recorded",
            transform=ax.transAxes,
            ha="center",
            color=QUIET_COLOUR,
        )


def _people(
    ax: Axes,
    record: SessionRecord,
    people: list[Attendee],
    states: dict[str, tuple[Stretch, ...]],
    detail: bool,
) -> None:
    height = 0.62
    drawn: set[State] = set()
    plain = False
    for y, a in enumerate(people):
        if _away(a):
            continue
        stretches = states.get(a.person, ())
        if stretches:
            drawn |= meeting_band.draw_strip(ax, y, height, stretches)
        else:
            plain |= meeting_band.draw_connected(ax, y, height, [_presence(record, a)])
        for t in record.turns:
            if t.person == a.person:
                start, length = meeting_band.minutes(t.start), meeting_band.minutes(t.duration)
                ax.broken_barh(
                    [(start, length)],
                    (y - height / 2, height),
                    facecolors="none",
                    edgecolors=OWN_TURN,
                    linewidth=1.3,
                )
    ax.set_ylim(max(len(people), 1) - 0.5, -0.5)  # first person on top
    if not people:
        _say(ax, "nobody was recorded")
    ax.set_yticks(range(len(people)), [canvas.safe_text(row_label(a)) for a in people])
    for tick, a in zip(ax.get_yticklabels(), people, strict=True):
        quiet = _away(a)
        tick.set_color(QUIET_COLOUR if quiet else NAME_COLOUR)
    ax.tick_params(axis="y", length=0, labelsize=8.5)
    ax.spines["left"].set_visible(False)
    ax.grid(axis="x", color="#EEEEEE", linewidth=0.6)
    ax.set_axisbelow(True)
    handles: list[Patch | Line2D] = [palette.state_patch(s) for s in STATE_ORDER if s in drawn]
    if plain:
        handles.append(Patch(facecolor=palette.CONNECTED, label="connected"))
    handles.append(Patch(facecolor="none", edgecolor=OWN_TURN, linewidth=1.3, label="own turn"))
    _title(ax, "People" if detail else "People (when connected)", handles)


def _away(a: Attendee) -> bool:
    """Not in the meeting, or not to be shown in it: a row with a name and nothing else."""
    return a.attendance in (Attendance.ABSENT, Attendance.OPTED_OUT) or a.joined_at is None


def _presence(record: SessionRecord, a: Attendee) -> tuple[float, float]:
    start = a.joined_at or 0.0
    return (start, a.left_at if a.left_at is not None else record.duration_s)


def row_label(a: Attendee) -> str:
    """'Erin O'Brien · joined late', 'Sam Jones · substitute for Bob Nguyen'."""
    facts: list[str] = []
    if represented(a):
        facts.append("sent a substitute")
    elif a.attendance in MEMBER_ATTENDANCE:
        if a.attendance is Attendance.ABSENT:
            facts.append("absent")
        elif a.attendance is Attendance.OPTED_OUT:
            facts.append("opted out")
        facts += [
            w for w, yes in (("joined late", is_late(a)), ("left early", left_early(a))) if yes
        ]
    elif a.attendance is Attendance.SUBSTITUTE:
        facts.append(
            "substitute" + (f" for {_cut(a.substitute_for, 16)}" if a.substitute_for else "")
        )
    else:
        facts.append("visitor")
    tail = f" · {', '.join(facts)}" if facts else ""
    # The fact stays readable; a long name gives way.
    return _cut(wording.plain_name(a.person), max(ROW_CHARS - len(tail), 12)) + tail


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _room(ax: Axes, s: MeetingFigures, values: list[float]) -> None:
    ax.set_ylim(0, 100)
    ax.set_yticks([0, 50, 100], ["0%", "50%", "100%"])
    ax.grid(axis="y", color="#EEEEEE", linewidth=0.6)
    ax.set_axisbelow(True)
    # One collection of bars, not a patch per minute: a 90-minute meeting draws fast.
    bars = [
        [(m + 0.07, 0.0), (m + 0.07, v), (m + 0.93, v), (m + 0.93, 0.0)]
        for m, v in enumerate(values)
        if not math.isnan(v)
    ]
    ax.add_collection(PolyCollection(bars, facecolors=palette.ENGAGED, linewidths=0))
    handles: list[Patch | Line2D] = [Patch(facecolor=palette.ENGAGED, label="share engaged")]
    if s.listening is not None:
        ax.axhline(s.listening, color=palette.ROOM, linewidth=1.0, linestyle="--")
        handles.append(
            Line2D(
                [],
                [],
                color=palette.ROOM,
                linestyle="--",
                linewidth=1.0,
                label=f"whole meeting {wording.percent(s.listening)}",
            )
        )
    _title(ax, ROOM_TITLE, handles)


def _withheld(ax: Axes, scored: int, min_group: int) -> None:
    """The room panel as one line of text saying why there is no figure."""
    ax.set_axis_off()
    _title(ax, ROOM_TITLE, [])
    why = (
        f"not shown: fewer than {min_group} members could be scored"
        if scored < min_group
        else "not shown: the per-second states of this meeting are no longer kept"
    )
    _say(ax, why)


def _say(ax: Axes, text: str) -> None:
    ax.text(0.0, 0.5, text, transform=ax.transAxes, ha="left", va="center", color=QUIET_COLOUR)
