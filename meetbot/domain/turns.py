"""Speaking turns from speech events: who held the floor, when, and in which agenda slot.

1. Each connection's speech (SpeechChanged on/off) becomes intervals; a person's connections
   (phone + laptop) are merged, and pauses of at most `merge_gap_s` stay inside one stretch.
2. A stretch is a turn when it lasts `min_turn_s` (`chair_min_turn_s` for the chair, whose many
   short interjections are not member turns).
3. Overlaps: a turn wholly inside an earlier one is an interjection and dropped; one that starts
   before the earlier ends starts at that end (a handover), and must still be long enough.
4. With an agenda, each speaker's turns fill their slots: a feature slot takes their longest
   turn, member slots the rest in order; the slot gives the kind and the label. Without a feature
   slot, the longest member turn of at least `feature_min_s` is the feature.
5. A connection attendance could not name stays unknown (`person=None`); an opted-out member's
   turn is kept (others listened to it) but never named.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from meetbot.domain import intervals
from meetbot.domain.chapter import Chapter
from meetbot.domain.events import (
    Event,
    MeetingEnded,
    ParticipantId,
    ParticipantLeft,
    SpeechChanged,
)
from meetbot.domain.intervals import Interval
from meetbot.domain.record import Turn
from meetbot.domain.settings import TurnSettings
from meetbot.domain.states import TurnKind

UNKNOWN_LABEL = "unknown speaker"


@dataclass(frozen=True, slots=True)
class _Stretch:
    start: float
    end: float
    person: str | None
    participants: tuple[ParticipantId, ...]


def speech(
    events: Iterable[Event], end_at: float | None = None
) -> dict[ParticipantId, tuple[Interval, ...]]:
    """When each connection was speaking; speech still on ends at the leave or meeting end."""
    opened: dict[ParticipantId, float] = {}
    out: dict[ParticipantId, list[Interval]] = {}
    last = 0.0
    for event in events:
        last = max(last, event.at)
        match event:
            case SpeechChanged(at=at, participant=pid, speaking=True):
                opened.setdefault(pid, at)
            case (
                SpeechChanged(at=at, participant=pid, speaking=False)
                | ParticipantLeft(at=at, participant=pid)
            ) if pid in opened:
                out.setdefault(pid, []).append((opened.pop(pid), at))
            case MeetingEnded(at=at):
                end_at = at if end_at is None else min(end_at, at)
            case _:
                pass
    end = last if end_at is None else end_at
    for pid, start in opened.items():
        out.setdefault(pid, []).append((start, end))
    return {pid: intervals.union((s, min(e, end)) for s, e in spans) for pid, spans in out.items()}


def fold(
    events: Iterable[Event],
    settings: TurnSettings,
    people: Mapping[ParticipantId, str | None],
    chapter: Chapter,
    *,
    end_at: float | None = None,
) -> tuple[Turn, ...]:
    """The meeting's turns in time order, none overlapping."""
    by_speaker: dict[str, list[tuple[ParticipantId, Interval]]] = {}
    for pid, spoken in speech(events, end_at).items():
        person = people.get(pid)
        # Unknown connections stay apart: two unnamed speakers are not one person.
        speaker = f"\0{pid}" if person is None else person
        by_speaker.setdefault(speaker, []).extend((pid, i) for i in spoken)
    stretches: list[_Stretch] = []
    for speaker, parts in by_speaker.items():
        person = None if speaker.startswith("\0") else speaker
        shortest = _shortest(person, chapter, settings)
        for start, end in intervals.union((i for _, i in parts), bridge=settings.merge_gap_s):
            if end - start < shortest:
                continue
            pids = sorted({pid for pid, (s, e) in parts if s < end and e > start})
            stretches.append(_Stretch(start, end, person, tuple(pids)))
    turns = [_as_turn(s, chapter) for s in _without_overlaps(stretches, settings, chapter)]
    turns = _with_agenda(turns, chapter, settings)
    return tuple(_anonymised(t, chapter) for t in turns)


def _without_overlaps(
    stretches: list[_Stretch], settings: TurnSettings, chapter: Chapter
) -> list[_Stretch]:
    kept: list[_Stretch] = []
    for s in sorted(stretches, key=lambda s: (s.start, -s.end, s.person or "")):
        if kept and s.start < kept[-1].end:
            if s.end <= kept[-1].end:
                continue  # an interjection inside someone else's turn
            s = replace(s, start=kept[-1].end)
            shortest = _shortest(s.person, chapter, settings)
            if s.end - s.start < shortest:
                continue
        kept.append(s)
    return kept


def _is_chair(person: str | None, chapter: Chapter) -> bool:
    return person is not None and person == chapter.chair


def _shortest(person: str | None, chapter: Chapter, settings: TurnSettings) -> float:
    return settings.chair_min_turn_s if _is_chair(person, chapter) else settings.min_turn_s


def _as_turn(s: _Stretch, chapter: Chapter) -> Turn:
    kind = TurnKind.CHAIR if _is_chair(s.person, chapter) else TurnKind.MEMBER
    return Turn(s.start, s.end, s.person, kind, s.person or UNKNOWN_LABEL, s.participants)


def _with_agenda(turns: list[Turn], chapter: Chapter, settings: TurnSettings) -> list[Turn]:
    out = list(turns)
    has_feature_slot = False
    for speaker in dict.fromkeys(item.speaker for item in chapter.agenda):
        slots = [item for item in chapter.agenda if item.speaker == speaker]
        mine = [i for i, t in enumerate(out) if t.person == speaker]
        for slot in (s for s in slots if s.kind is TurnKind.FEATURE):
            has_feature_slot = True
            if mine:
                longest = max(mine, key=lambda i: out[i].duration)
                out[longest] = replace(
                    out[longest], kind=TurnKind.FEATURE, label=_label(slot.kind, speaker)
                )
                mine.remove(longest)
        for slot, i in zip(
            (s for s in slots if s.kind is not TurnKind.FEATURE), mine, strict=False
        ):
            out[i] = replace(out[i], kind=slot.kind, label=_label(slot.kind, speaker))
    if not has_feature_slot:
        members = [i for i, t in enumerate(out) if t.kind is TurnKind.MEMBER]
        long = [i for i in members if out[i].duration >= settings.feature_min_s]
        if long:
            i = max(long, key=lambda i: out[i].duration)
            out[i] = replace(
                out[i], kind=TurnKind.FEATURE, label=_label(TurnKind.FEATURE, out[i].person)
            )
    return out


def _label(kind: TurnKind, person: str | None) -> str:
    name = person or UNKNOWN_LABEL
    return f"Feature: {name}" if kind is TurnKind.FEATURE else name


def _anonymised(turn: Turn, chapter: Chapter) -> Turn:
    member = chapter.member(turn.person) if turn.person else None
    if member is None or not member.opted_out:
        return turn
    label = "Feature" if turn.kind is TurnKind.FEATURE else ""
    return replace(turn, person=None, label=label, participants=())
