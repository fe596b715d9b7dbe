"""The parts every meeting picture shares: a clock-time axis, the turns band, state strips.

Times are drawn in minutes since the start and labelled with the chapter's clock, so a reader
can match a stretch to the agenda. Pure drawing on axes the caller made; no layout here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta

from matplotlib.axes import Axes

from meetbot.domain.intervals import Interval
from meetbot.domain.record import SessionRecord, Turn
from meetbot.domain.scoring import Stretch
from meetbot.domain.states import State, TurnKind
from meetbot.language import ENGLISH, Language
from reports import canvas, palette, wording

# Tick spacing candidates (minutes): the smallest that gives at most MAX_TICKS labels.
_TICK_STEPS = (1, 2, 5, 10, 15, 20, 30, 60)
MAX_TICKS = 10
LABEL_CHARS = 16  # a turn label longer than this is shortened with an ellipsis
LABEL_GAP_PX = 11.0  # rotated 7.5 pt labels closer than this would print over each other
CHAR_PX = 5.6  # about one character of 7.5 pt DejaVu Sans at 100 dpi


def minutes(seconds: float) -> float:
    return seconds / 60.0


def clock_axis(ax: Axes, record: SessionRecord, timezone: str) -> None:
    """x from the start to the end of the meeting, ticks labelled with the local clock."""
    length = minutes(record.duration_s)
    step = next((s for s in _TICK_STEPS if length / s <= MAX_TICKS), _TICK_STEPS[-1])
    ticks = [float(m) for m in range(0, int(length) + 1, step)]
    labels = [wording.clock(record.started_at + timedelta(minutes=m), timezone) for m in ticks]
    ax.set_xlim(0.0, max(length, 1e-3))
    ax.set_xticks(ticks, labels)


def short_name(name: str) -> str:
    """'Chloé Martin' → 'Chloé M.'; a label has room for little more than a first name."""
    words = wording.plain_name(name).split()
    text = words[0] if len(words) < 2 else f"{words[0]} {words[-1][0]}."
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def turn_label(turn: Turn, lang: Language = ENGLISH) -> str:
    if turn.kind is TurnKind.CHAIR:
        return lang.gettext("chair")
    # The colour says "feature" (see the legend): the label is the name alone.
    return short_name(turn.person) if turn.person else lang.gettext("unidentified")


def draw_turns(
    ax: Axes,
    turns: Sequence[Turn],
    *,
    px_per_minute: float,
    faded: Callable[[Turn], bool] = lambda t: False,
    label: Callable[[Turn], str] = turn_label,
    first: Callable[[Turn], bool] = lambda t: False,
) -> int:
    """Turns as blocks along y 0..0.4, names rotated above them; returns labels left out.

    A label that would print over another is left out rather than overlapped: the blocks
    still show the turn, and the per-person rows say whose it was. Labels of `first` turns
    (the reader's own) are placed before any other.
    """
    ax.set_ylim(0.0, 1.0)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    fig = ax.get_figure(root=True)
    fig_px = fig.get_size_inches()[1] * fig.dpi if fig is not None else 0.0
    above_px = 0.55 * ax.get_position().height * fig_px
    longest = max(int(above_px / CHAR_PX), 4)
    rotated: list[tuple[Turn, str]] = []
    for turn in sorted(turns, key=lambda t: (t.start, t.end)):
        dim = faded(turn)
        colour = "#DDDDDD" if dim else palette.TURN_COLOURS[turn.kind]
        x, width = minutes(turn.start), minutes(turn.duration)
        ax.broken_barh(
            [(x, width)], (0.0, 0.4), facecolors=colour, edgecolors="white", linewidth=0.4
        )
        text = canvas.safe_text(label(turn))
        if width * px_per_minute >= CHAR_PX * len(text) + 8:
            # Wide enough (a feature talk): the name goes inside the block, level.
            ink = "#FFFFFF" if turn.kind is TurnKind.FEATURE and not dim else "#222222"
            ax.text(x + width / 2, 0.2, text, ha="center", va="center", fontsize=7.5, color=ink)
        else:
            rotated.append((turn, text if len(text) <= longest else text[: longest - 1] + "…"))
    placed: list[float] = []
    hidden = 0
    for turn, text in sorted(rotated, key=lambda item: not first(item[0])):
        middle = minutes(turn.start + turn.duration / 2)
        if any(abs(middle - x) * px_per_minute < LABEL_GAP_PX for x in placed):
            hidden += 1
            continue
        placed.append(middle)
        ax.text(
            middle,
            0.45,
            text,
            rotation=90,
            ha="center",
            va="bottom",
            fontsize=7.5,
            color="#888888" if faded(turn) else "#333333",
        )
    return hidden


def draw_strip(ax: Axes, y: float, height: float, stretches: Iterable[Stretch]) -> set[State]:
    """One person's states as coloured blocks on row `y`; returns the states drawn."""
    by_state: dict[State, list[tuple[float, float]]] = {}
    for st in stretches:
        if st.state in palette.STATE_COLOURS and st.end > st.start:
            by_state.setdefault(st.state, []).append(
                (minutes(st.start), minutes(st.end - st.start))
            )
    for state, blocks in by_state.items():
        unknown = state is State.UNKNOWN
        ax.broken_barh(
            blocks,
            (y - height / 2, height),
            facecolors=palette.STATE_COLOURS[state],
            edgecolors="#BBBBBB" if unknown else "none",
            hatch=palette.UNKNOWN_HATCH if unknown else None,
            linewidth=0.0,
        )
    return set(by_state)


def draw_connected(ax: Axes, y: float, height: float, spans: Iterable[Interval]) -> bool:
    """Plain presence blocks, for readers who see attendance but not states."""
    blocks = [(minutes(s), minutes(e - s)) for s, e in spans if e > s]
    if blocks:
        ax.broken_barh(
            blocks, (y - height / 2, height), facecolors=palette.CONNECTED, linewidth=0.0
        )
    return bool(blocks)
