"""Build the immutable SessionRecord of a meeting: the single entry point.

The live session, offline analysis and the demo call `assemble` with every event; crash recovery
passes the spans checkpointed so far plus the non-observation events (joins, leaves, speech),
which is all the rest of the record needs. Either way the record is built by the same steps, so
a recovered or offline session reads exactly like a live one.
"""

from __future__ import annotations

from collections.abc import Sequence

from meetbot.domain import attendance, intervals, timeline, turns
from meetbot.domain.events import Event, MeetingEnded, Observation, ParticipantId
from meetbot.domain.header import SessionHeader
from meetbot.domain.record import SessionRecord, Span
from meetbot.domain.settings import DomainSettings
from meetbot.domain.spans import merge_adjacent
from meetbot.domain.states import State


def assemble(
    header: SessionHeader,
    events: Sequence[Event],
    *,
    settings: DomainSettings,
    end_at: float,
    spans: Sequence[Span] | None = None,
    complete: bool = True,
    notes: Sequence[str] = (),
) -> SessionRecord:
    """Fold a session into its record (spans, turns, attendees, scores), ending at `end_at`.

    `events` in arrival order, as the edges stamped them; the record ends at `end_at` (seconds
    since the start) or at an earlier MeetingEnded among the events. Without `spans` the
    observations among `events` are folded into spans here; with `spans` (already closed, e.g.
    checkpointed before a crash) observations are ignored, so the checkpointed events may be
    passed as they are. Spans are clipped to the end, made canonical (`spans.merge_adjacent`),
    spans of opted-out members dropped, and connected time no span covers (not saved before a
    crash) is stored as `unknown`, so the record's spans explain every figure on their own. An
    incomplete record says so in its first note; `notes` follow.
    """
    end = _end(events, end_at)
    if end < 0:
        raise ValueError(f"end_at must be 0 or later (seconds since the start), got {end_at}")
    if spans is None:
        spans = timeline.fold(events, settings.timeline, end)
    chapter = header.chapter
    rest = [e for e in events if not isinstance(e, Observation)]
    parties = attendance.group(attendance.connections(rest, end), chapter)
    hidden = {
        c.participant
        for p in parties
        if p.member is not None and p.member.opted_out
        for c in p.connections
    }
    clipped = [
        Span(s.participant, s.state, s.start, min(s.end, end))
        for s in spans
        if s.participant not in hidden and s.start < end
    ]
    kept = merge_adjacent(clipped + _unsaved(parties, clipped, hidden))
    spoken = turns.fold(rest, settings.turns, attendance.people(parties), chapter, end_at=end)
    covered = attendance.covered(parties)
    attendees = [
        attendance.attendee(
            p, spans=kept, turns=spoken, covered=covered, settings=settings, end_at=end
        )
        for p in parties
    ]
    missing = (
        ()
        if complete
        else (f"rebuilt from data saved up to {end:.0f} s; later minutes are missing",)
    )
    return SessionRecord(
        session_id=header.session_id,
        chapter=chapter.name,
        started_at=header.started_at,
        duration_s=end,
        platform=header.platform,
        room=header.room,
        attendees=tuple(a for a in attendees if a is not None),
        turns=spoken,
        spans=kept,
        complete=complete,
        notes=(*missing, *notes),
    )


def _unsaved(
    parties: Sequence[attendance.Party], spans: Sequence[Span], hidden: set[ParticipantId]
) -> list[Span]:
    covered: dict[ParticipantId, list[tuple[float, float]]] = {}
    for s in spans:
        covered.setdefault(s.participant, []).append((s.start, s.end))
    return [
        Span(c.participant, State.UNKNOWN, start, end)
        for p in parties
        for c in p.connections
        if c.participant not in hidden
        for start, end in intervals.subtract(c.intervals, covered.get(c.participant, ()))
    ]


def _end(events: Sequence[Event], end_at: float) -> float:
    """The meeting ends at end_at, or earlier if a MeetingEnded event says so."""
    ended = [e.at for e in events if isinstance(e, MeetingEnded)]
    return float(min([end_at, *ended]))
