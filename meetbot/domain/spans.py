"""The canonical form of a timeline: a list of state spans made whole and unambiguous.

Spans come from the incremental folder (meetbot.domain.timeline), from checkpoints, and from
spans rebuilt after a crash; `merge_adjacent` turns any mix of them into one timeline per
connection.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from meetbot.domain.events import ParticipantId
from meetbot.domain.record import Span


def merge_adjacent(spans: Iterable[Span]) -> tuple[Span, ...]:
    """The canonical timeline: per connection no overlaps, touching equal spans joined.

    The incremental folder can emit two touching equal spans when a switch lands exactly on the
    instant a span opened (the earlier one was already handed out for checkpointing). Spans
    rebuilt after a crash can overlap when a provisional open span (`open_spans`) was saved
    before a later switch was dated back into it: the span that starts later was decided later,
    so it wins while it lasts. The time covered never changes. Ordered by start, participant.
    """
    by_pid: dict[ParticipantId, list[tuple[int, Span]]] = {}
    for order, span in enumerate(spans):
        if span.end > span.start:
            by_pid.setdefault(span.participant, []).append((order, span))
    merged: list[Span] = []
    for pid, parts in by_pid.items():
        edges = sorted({t for _, s in parts for t in (s.start, s.end)})
        parts.sort(key=lambda p: (p[1].start, p[0]))
        active: list[tuple[int, Span]] = []
        run: list[Span] = []
        nxt = 0
        for start, end in itertools.pairwise(edges):
            while nxt < len(parts) and parts[nxt][1].start <= start:
                active.append(parts[nxt])
                nxt += 1
            active = [p for p in active if p[1].end > start]
            if not active:
                continue
            # Later-starting (then later-given) spans were decided later: they win.
            state = max(active, key=lambda p: (p[1].start, p[0]))[1].state
            if run and run[-1].state is state and run[-1].end == start:
                run[-1] = Span(pid, state, run[-1].start, end)
            else:
                run.append(Span(pid, state, start, end))
        merged += run
    return tuple(sorted(merged, key=lambda s: (s.start, s.participant, s.end)))
