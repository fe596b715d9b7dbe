"""Who came: connections merged into people, in the PALMS categories chapters already use.

- A *connection* is one ParticipantId with the display name it joined under and the time it was
  connected. Several connections of one person (phone + laptop, a rejoin under a new id) are
  one *party*, matched by display name (see meetbot.domain.names).
- Every roster member is listed: `opted_out` (never analysed: nothing else is kept), `absent`
  (never joined), `substitute` (did not join but someone stood in for them), else `present`,
  `late` (first joined after `late_grace_s`) or `left_early` (last left more than
  `early_leave_grace_s` before the end). Late wins when both are true; both facts are kept.
- A display name that is not on the roster is a `visitor`, or a `substitute` when the roster
  lists it under a member's `substitutes` or the name says so ("Sam (sub for Bob)").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from meetbot.domain import intervals, names, scoring
from meetbot.domain.chapter import Chapter, Member
from meetbot.domain.events import (
    Event,
    MeetingEnded,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
)
from meetbot.domain.intervals import Interval
from meetbot.domain.record import Attendee, Span, Turn
from meetbot.domain.settings import DomainSettings
from meetbot.domain.states import Attendance, Role

SCORED_ROLES = frozenset({Role.MEMBER, Role.LEAD})


@dataclass(frozen=True, slots=True)
class Connection:
    participant: ParticipantId
    display_name: str
    intervals: tuple[Interval, ...]  # when it was connected, [start, end)


@dataclass(frozen=True, slots=True)
class Party:
    """One person and their connections, before any figure is computed."""

    person: str
    role: Role
    connections: tuple[Connection, ...] = ()
    member: Member | None = None  # set for roster members
    substitute_for: str | None = None  # set for substitutes


def connections(events: Iterable[Event], end_at: float) -> tuple[Connection, ...]:
    """Connections from join/leave events; anything still open ends at the meeting end."""
    name: dict[ParticipantId, str] = {}
    opened: dict[ParticipantId, float] = {}
    spans: dict[ParticipantId, list[Interval]] = {}
    end = float(end_at)
    for event in events:
        match event:
            case ParticipantJoined(at=at, participant=pid, display_name=display):
                name.setdefault(pid, display)  # the first name is the one people saw arrive
                spans.setdefault(pid, [])
                opened.setdefault(pid, float(at))
            case ParticipantLeft(at=at, participant=pid) if pid in opened:
                spans[pid].append((opened.pop(pid), float(at)))
            case MeetingEnded(at=at):
                end = min(end, float(at))
            case _:
                pass
    for pid, start in opened.items():
        spans[pid].append((start, end))
    return tuple(
        Connection(pid, name[pid], intervals.union((s, min(e, end)) for s, e in spans[pid]))
        for pid in sorted(name)
    )


def group(conns: Sequence[Connection], chapter: Chapter) -> tuple[Party, ...]:
    """Roster members in roster order, then visitors and substitutes in order of arrival."""
    roster = names.Roster.of(chapter)
    by_member: dict[str, list[Connection]] = {m.name: [] for m in chapter.roster}
    guests: dict[str, Party] = {}
    first_seen = {c.participant: c.intervals[0][0] if c.intervals else 0.0 for c in conns}
    for conn in sorted(conns, key=lambda c: (first_seen[c.participant], c.participant)):
        member = roster.match(conn.display_name)
        if member is not None:
            by_member[member.name].append(conn)
            continue
        person = names.clean(conn.display_name) or conn.display_name.strip() or conn.participant
        guest_key = names.key(conn.display_name) or conn.participant
        stands_in = roster.substituted(conn.display_name)
        known = guests.get(guest_key)
        if known is None:
            known = Party(person, Role.VISITOR)
        guests[guest_key] = Party(
            known.person,
            Role.VISITOR,
            (*known.connections, conn),
            substitute_for=known.substitute_for or (stands_in.name if stands_in else None),
        )
    members = tuple(
        Party(m.name, m.role, tuple(by_member[m.name]), member=m) for m in chapter.roster
    )
    return members + tuple(guests.values())


def covered(parties: Iterable[Party]) -> frozenset[str]:
    """Members someone stood in for."""
    return frozenset(p.substitute_for for p in parties if p.substitute_for and p.connections)


def attendee(
    party: Party,
    *,
    spans: Sequence[Span],
    turns: Sequence[Turn],
    covered: frozenset[str],
    settings: DomainSettings,
    end_at: float,
    attendance: Attendance | None = None,
) -> Attendee | None:
    """Every figure of one person. None for a roster visitor who did not come (not expected).

    `attendance` forces the category (an organiser's correction); the facts stay computed.
    """
    member = party.member
    discord_id = member.discord_id if member else None
    exempt = member.camera_exempt if member else False
    if member is not None and member.opted_out:
        return Attendee(party.person, party.role, Attendance.OPTED_OUT, discord_id=discord_id)
    pids = tuple(c.participant for c in party.connections)
    connected = intervals.union(i for c in party.connections for i in c.intervals)
    if not connected:
        if party.role is Role.VISITOR and attendance is None:
            return None
        absent = Attendance.SUBSTITUTE if party.person in covered else Attendance.ABSENT
        return Attendee(
            party.person,
            party.role,
            attendance or absent,
            seconds_by_state=scoring.seconds_by_state((), end_at),
            discord_id=discord_id,
            camera_exempt=exempt,
        )
    a = settings.attendance
    joined_at, last_left = connected[0][0], connected[-1][1]
    left_at = last_left if last_left < end_at else None
    late = joined_at > a.late_grace_s
    left_early = left_at is not None and left_at < end_at - a.early_leave_grace_s
    if party.substitute_for is not None:
        category = Attendance.SUBSTITUTE
    elif party.role is Role.VISITOR:
        category = Attendance.VISITOR
    elif late:
        category = Attendance.LATE
    elif left_early:
        category = Attendance.LEFT_EARLY
    else:
        category = Attendance.PRESENT
    own = set(pids)
    own_spans = [s for s in spans if s.participant in own]
    stretches = scoring.person_states(own_spans)
    mine = scoring.own_turns(turns, party.person, pids)
    score = None
    if party.role in SCORED_ROLES and party.substitute_for is None:
        score = scoring.listening_score(
            stretches,
            scoring.others_turns(turns, party.person, pids),
            camera_exempt=exempt,
            settings=settings.scoring,
        )
    return Attendee(
        person=party.person,
        role=party.role,
        attendance=attendance or category,
        display_names=tuple(c.display_name for c in party.connections),
        participants=pids,
        joined_at=joined_at,
        left_at=left_at,
        # Drops shorter than rejoin_merge_s are a glitch: the person stayed.
        present_s=intervals.length(intervals.union(connected, bridge=a.rejoin_merge_s)),
        camera_on_s=scoring.camera_on_seconds(stretches),
        seconds_by_state=scoring.seconds_by_state(stretches, end_at),
        own_turn_s=float(sum(t.duration for t in mine)),
        turns=len(mine),
        score=score,
        discord_id=discord_id,
        substitute_for=party.substitute_for,
        late=late,
        left_early=left_early,
        camera_exempt=exempt,
    )


def people(parties: Iterable[Party]) -> dict[ParticipantId, str | None]:
    """Which person each connection is (turns leave opted-out members unnamed themselves)."""
    return {conn.participant: party.person for party in parties for conn in party.connections}
