"""A plausible chapter meeting, as the events a correct bot would stamp, for pictures and docs.

Sixteen people over an hour: the chair's welcome, a minute per member, a feature talk, open
networking, a substitute and a visitor, one late joiner, one early leaver, a camera switched
off for a while, a few looks away, a stretch the bot could not read. The scripts are
`meetbot.lab.scenario` data; instead of playing them through Janus they are turned straight
into domain events (readings once a second) and assembled by the same `assemble` a live
session uses, so every figure and picture of the report comes out of the real domain code.
Seeded: the same week always gives the same meeting.

    records = sample_sessions(weeks=5)  # oldest first; the last one is "this week"
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

from meetbot.config import Settings
from meetbot.config.schema import ChapterSection
from meetbot.domain.assemble import assemble
from meetbot.domain.chapter import AgendaItem, Member
from meetbot.domain.events import (
    Event,
    MeetingEnded,
    Observation,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    SpeechChanged,
    TrackEnded,
    TrackStarted,
)
from meetbot.domain.header import SessionHeader
from meetbot.domain.record import SessionRecord
from meetbot.domain.states import Role, State, TrackKind, TurnKind
from meetbot.lab.scenario import Behaviour, Scenario, Script

CHAPTER = "Harbourside Business Network"
TIMEZONE = "Europe/London"
FIRST_MEETING = datetime(2026, 2, 3, 7, 0, tzinfo=UTC)  # a Tuesday, 07:00 in London
CHAIR = "Amira Haddad"
FEATURE = "Carla Jensen"
MEMBERS = (
    CHAIR,
    "Ben Okafor",
    FEATURE,
    "David Liu",
    "Elena Petrova",
    "Farhan Malik",
    "Grace O'Neill",
    "Hugo Martin",
    "Isla Brown",
    "Jonas Weber",
    "Keiko Sato",
    "Liam Walsh",
    "Maya Cohen",
    "Noah Fischer",  # away this week: Olivia stands in for him
)
SUBSTITUTE = "Olivia Grant"
VISITOR = "Priya Shah | Shah Design"
UNREADABLE = "Keiko Sato"  # a dim room for a while: the bot cannot tell, and says so
# Reading markers the timeline's rules turn into "could not tell" (below min_confidence).
_LOW_CONFIDENCE = 0.2
_MINUTE = 60.0


def settings() -> Settings:
    roster = tuple(
        Member(
            name,
            role=Role.LEAD if name == CHAIR else Role.MEMBER,
            substitutes=(SUBSTITUTE,) if name == "Noah Fischer" else (),
        )
        for name in MEMBERS
    )
    return Settings(
        chapter=ChapterSection(CHAPTER, timezone=TIMEZONE, chair=CHAIR),
        roster=roster,
        agenda=(AgendaItem(FEATURE, 600.0, TurnKind.FEATURE),),
    )


def scenario(week: int, duration_s: float = 60 * _MINUTE) -> Scenario:
    """The meeting of `week` (0 = the first); shorter `duration_s` scales every time."""
    rng = random.Random(f"{CHAPTER}/{week}")
    k = duration_s / (60 * _MINUTE)
    away = "Noah Fischer"
    speakers = [m for m in MEMBERS[1:] if m != away] + [SUBSTITUTE, VISITOR]
    speakers = [s for s in speakers if s != FEATURE]
    rng.shuffle(speakers)
    turn, first = 55.0 * k, 4 * _MINUTE * k
    slots = {name: first + i * 60.0 * k for i, name in enumerate(speakers)}
    feature = (22 * _MINUTE * k, 32 * _MINUTE * k)
    scripts = [
        Script(
            "chair", CHAIR, speaks=((5 * k, first - 10 * k), (50 * _MINUTE * k, 54 * _MINUTE * k))
        )
    ]
    late, early = rng.choice(speakers[4:]), rng.choice(speakers[:4])
    off = rng.choice([s for s in speakers if s not in (late, early)])
    for i, name in enumerate([FEATURE, *speakers]):
        speaks = (feature,) if name == FEATURE else ((slots[name], slots[name] + turn),)
        steps: list[tuple[float, float, Behaviour]] = []
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            start = rng.uniform(5, 33) * _MINUTE * k  # mostly while others present
            steps.append(
                (start, start + rng.uniform(0.3, 2.0) * _MINUTE * k, Behaviour.LOOKING_AWAY)
            )
        if name == off:
            start = rng.uniform(8, 26) * _MINUTE * k
            steps.append((start, start + rng.uniform(4, 8) * _MINUTE * k, Behaviour.CAMERA_OFF))
        if rng.random() < 0.15:
            start = rng.uniform(10, 30) * _MINUTE * k
            steps.append((start, start + rng.uniform(1, 3) * _MINUTE * k, Behaviour.AWAY))
        scripts.append(
            Script(
                f"p{i}",
                name,
                steps=_apart(steps, speaks),
                speaks=speaks,
                joins_at=(slots[name] - 90 * k) if name == late else rng.uniform(0, 40) * k,
                leaves_at=(slots[name] + 12 * _MINUTE * k) if name == early else None,
            )
        )
    return Scenario(tuple(scripts), duration_s=duration_s)


def _apart(
    steps: list[tuple[float, float, Behaviour]], speaks: tuple[tuple[float, float], ...]
) -> tuple[tuple[float, float, Behaviour], ...]:
    """Steps sorted, not overlapping each other, and never during the person's own turn."""
    out: list[tuple[float, float, Behaviour]] = []
    for start, end, what in sorted(steps):
        if out and start < out[-1][1]:
            start = out[-1][1] + 1
        if any(s < end and start < e for s, e in speaks) or end <= start:
            continue
        out.append((start, end, what))
    return tuple(out)


def events(scenario: Scenario, unreadable: tuple[str, float, float] | None = None) -> list[Event]:
    """What a correct bot stamps for `scenario`: joins, camera on/off, a reading a second,
    speech, goodbyes. `unreadable` (name, start, end): readings too unsure to count."""
    out: list[tuple[float, int, Event]] = []
    for script in scenario.scripts:
        pid = ParticipantId(script.name)
        end = script.ends_at if script.ends_at is not None else scenario.duration_s
        out.append(
            (script.joins_at, 0, ParticipantJoined(script.joins_at, pid, script.display_name))
        )
        out.append((script.joins_at, 1, TrackStarted(script.joins_at, pid, TrackKind.VIDEO)))
        for start, stop in script.speaks:
            out.append((start, 2, SpeechChanged(start, pid, True)))
            out.append((stop, 2, SpeechChanged(stop, pid, False)))
        camera_on = True
        t = script.joins_at + 1.0
        while t < end:
            behaviour = script.behaviour_at(t)
            if (behaviour is Behaviour.CAMERA_OFF) == camera_on:
                camera_on = not camera_on
                kind = TrackStarted if camera_on else TrackEnded
                out.append((t, 1, kind(t, pid, TrackKind.VIDEO)))
            if camera_on:
                dim = (
                    unreadable
                    and unreadable[0] == script.display_name
                    and unreadable[1] <= t < unreadable[2]
                )
                confidence = _LOW_CONFIDENCE if dim else 0.9
                out.append(
                    (
                        t,
                        2,
                        Observation(
                            t,
                            pid,
                            behaviour.state,
                            confidence,
                            faces=int(behaviour.state is not State.ABSENT),
                        ),
                    )
                )
            t += 1.0
        if script.ends_at is not None:
            out.append((end, 3, ParticipantLeft(end, pid)))
    out.append((scenario.duration_s, 4, MeetingEnded(scenario.duration_s)))
    return [e for _, _, e in sorted(out, key=lambda item: (item[0], item[1]))]


def session(week: int, duration_s: float = 60 * _MINUTE) -> SessionRecord:
    """The assembled record of `week`'s meeting."""
    plan = scenario(week, duration_s)
    k = duration_s / (60 * _MINUTE)
    started = FIRST_MEETING + timedelta(weeks=week)
    s = settings()
    # The grace periods shrink with the meeting, so a short one still has a late arrival.
    grace = dataclasses.replace(s.attendance, late_grace_s=300.0 * k, early_leave_grace_s=300.0 * k)
    s = dataclasses.replace(s, attendance=grace)
    header = SessionHeader(
        session_id=f"{started:%Y-%m-%d}-harbourside",
        chapter=s.to_chapter(),
        started_at=started,
        platform="janus",
        room="1234",
    )
    unreadable = (UNREADABLE, 41 * _MINUTE * k, 44 * _MINUTE * k)
    return assemble(header, events(plan, unreadable), settings=s.domain(), end_at=duration_s)


def sample_sessions(weeks: int = 5, duration_s: float = 60 * _MINUTE) -> list[SessionRecord]:
    """`weeks` weekly meetings, oldest first."""
    return [session(w, duration_s) for w in range(weeks)]
