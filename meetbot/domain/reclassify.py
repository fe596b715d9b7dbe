"""The organiser's correction after the meeting: "that display name was a substitute for Bob".

`reclassify` works on a stored record alone: each connection's connected time is the union of
its spans, so the people concerned are recomputed with the same functions `assemble` uses and
everyone else is left as it was. The record notes what was changed, for the audit trail.
"""

from __future__ import annotations

from dataclasses import replace

from meetbot.domain import intervals, names
from meetbot.domain.attendance import Connection, Party, attendee
from meetbot.domain.chapter import Member
from meetbot.domain.events import ParticipantId
from meetbot.domain.record import Attendee, SessionRecord, Turn
from meetbot.domain.settings import DomainSettings
from meetbot.domain.states import Attendance, Role, TurnKind

_MEMBER_ROLES = (Role.MEMBER, Role.LEAD)


class ReclassifyError(ValueError):
    """The correction does not fit the record (unknown name, missing member, ...).

    The domain imports nothing outside itself, so this is not a MeetbotError: the command that
    calls `reclassify` re-raises it as one (`raise MeetbotError(str(exc)) from exc`); the message
    is already one line saying what to do.
    """


def reclassify(
    record: SessionRecord,
    display_name: str,
    attendance: Attendance,
    for_member: str | None = None,
    *,
    settings: DomainSettings | None = None,
) -> SessionRecord:
    """A new record where the connections that joined as `display_name` are `attendance`.

    - VISITOR: they become (or join) a visitor named after the cleaned display name.
    - SUBSTITUTE: `for_member` (a roster name) is required; they become a substitute for that
      member, whose own attendance becomes SUBSTITUTE if they did not come themselves. Without
      it, `display_name` must name a member who did not join (a substitute nobody saw).
    - PRESENT / LATE / LEFT_EARLY / ABSENT: with `for_member`, the connections were that
      member's own (e.g. an unrecognised phone); the member gets this category. Without it, the
      person who joined under (or is named) `display_name` gets this category.
    `settings` must be the ones the record was assembled with (defaults otherwise).
    """
    settings = settings or DomainSettings()
    if attendance is Attendance.OPTED_OUT:
        raise ReclassifyError(
            "opting out deletes a member's data; use the opt-out command, not reclassify"
        )
    member = _member(record, for_member) if for_member is not None else None
    if attendance is Attendance.VISITOR and member is not None:
        raise ReclassifyError("a visitor stands in for nobody: leave out the member's name")
    wanted = names.key(display_name)
    moved = {
        pid: name
        for a in record.attendees
        for pid, name in zip(a.participants, a.display_names, strict=False)
        if name == display_name or (wanted and names.key(name) == wanted)
    }
    note = f"organiser marked {display_name!r} as {attendance.value}" + (
        f" for {member.person}" if member is not None else ""
    )
    if not moved:
        # A roster person who never joined can still be marked (e.g. absent → substitute).
        named = [a for a in record.attendees if names.key(a.person) == wanted and wanted]
        if not named or member is not None or attendance is Attendance.VISITOR:
            known = ", ".join(sorted({n for a in record.attendees for n in a.names})) or "none"
            raise ReclassifyError(
                f"nobody joined as {display_name!r} in session {record.session_id}; "
                f"display names in it: {known}"
            )
        return _with(record, {named[0].person: replace(named[0], attendance=attendance)}, note)

    if attendance is Attendance.SUBSTITUTE and member is None:
        raise ReclassifyError("a substitute stands in for someone: give the roster member's name")
    if (
        member is not None
        and attendance is Attendance.SUBSTITUTE
        and moved.keys() & set(member.participants)
    ):
        # Moving a member's own connections to a stand-in would leave them absent, score gone.
        raise ReclassifyError(
            f"{display_name!r} is how {member.person} joined; nobody stands in for themselves: "
            "give the name their substitute joined under"
        )
    if attendance in (Attendance.VISITOR, Attendance.SUBSTITUTE):
        person = names.clean(display_name) or display_name.strip()
        if any(a.person == person and a.role is not Role.VISITOR for a in record.attendees):
            person = f"{person} (guest)"  # a namesake of a member: two people, two names
        target = next(
            (
                a
                for a in record.attendees
                if a.role is Role.VISITOR and names.key(a.person) == names.key(person)
            ),
            Attendee(person, Role.VISITOR, attendance),
        )
        target = replace(target, substitute_for=member.person if member else None)
    elif member is not None:
        target = member
    else:
        owners = [a for a in record.attendees if set(a.participants) & moved.keys()]
        target = owners[0]
    turns = tuple(_retold(t, frozenset(moved), target.person) for t in record.turns)

    def connections_of(a: Attendee) -> list[Connection]:
        return [
            _connection(record, pid, name)
            for pid, name in zip(a.participants, a.display_names, strict=False)
        ]

    changed: dict[str, Attendee | None] = {}
    parties: dict[str, tuple[Attendee, list[Connection]]] = {}
    for a in record.attendees:
        if a.person != target.person and set(a.participants) & moved.keys():
            kept = [c for c in connections_of(a) if c.participant not in moved]
            parties[a.person] = (a, kept)
    target_conns = [c for c in connections_of(target) if c.participant not in moved]
    target_conns += [_connection(record, pid, name) for pid, name in moved.items()]
    parties[target.person] = (target, target_conns)

    covered = {
        a.substitute_for
        for a in (*record.attendees, target)
        if a.substitute_for and a.participants and a.person not in parties
    }
    if target.substitute_for:
        covered.add(target.substitute_for)
    for person, (a, conns) in parties.items():
        forced = attendance if person == target.person else None
        if forced is None and a.attendance is Attendance.SUBSTITUTE and conns:
            forced = Attendance.SUBSTITUTE
        changed[person] = attendee(
            _party(a, conns),
            spans=record.spans,
            turns=turns,
            covered=frozenset(covered),
            settings=settings,
            end_at=record.duration_s,
            attendance=forced,
        )
    return replace(_covering(_with(record, changed, note), skip=target.person), turns=turns)


def _covering(record: SessionRecord, *, skip: str) -> SessionRecord:
    """Members who did not come are `substitute` exactly when someone stands in for them now."""
    covered = {a.substitute_for for a in record.attendees if a.substitute_for and a.participants}
    out = []
    for a in record.attendees:
        if (
            a.person != skip
            and a.role in _MEMBER_ROLES
            and not a.participants
            and a.attendance in (Attendance.ABSENT, Attendance.SUBSTITUTE)
        ):
            now = Attendance.SUBSTITUTE if a.person in covered else Attendance.ABSENT
            a = replace(a, attendance=now)
        out.append(a)
    return replace(record, attendees=tuple(out))


def _member(record: SessionRecord, name: str) -> Attendee:
    for a in record.attendees:
        if a.role in _MEMBER_ROLES and (a.person == name or names.key(a.person) == names.key(name)):
            return a
    members = ", ".join(a.person for a in record.attendees if a.role in _MEMBER_ROLES) or "none"
    raise ReclassifyError(f"{name!r} is not a roster member in this session; members: {members}")


def _connection(record: SessionRecord, pid: ParticipantId, name: str) -> Connection:
    spans = [(s.start, s.end) for s in record.spans if s.participant == pid]
    return Connection(pid, name, intervals.union(spans))


def _party(a: Attendee, conns: list[Connection]) -> Party:
    member = None
    if a.role in _MEMBER_ROLES:
        member = Member(a.person, a.role, discord_id=a.discord_id, camera_exempt=a.camera_exempt)
    return Party(a.person, a.role, tuple(conns), member=member, substitute_for=a.substitute_for)


def _retold(turn: Turn, moved: frozenset[ParticipantId], person: str) -> Turn:
    """A turn spoken from a moved connection now belongs to its new person."""
    if not moved.intersection(turn.participants):
        return turn
    label = f"Feature: {person}" if turn.kind is TurnKind.FEATURE else person
    return replace(turn, person=person, label=label)


def _with(record: SessionRecord, changed: dict[str, Attendee | None], note: str) -> SessionRecord:
    out: list[Attendee] = []
    for a in record.attendees:
        if a.person in changed:
            new = changed.pop(a.person)
            if new is not None:
                out.append(new)
        else:
            out.append(a)
    out += [a for a in changed.values() if a is not None]  # a newly named visitor
    return replace(record, attendees=tuple(out), notes=(*record.notes, note))
