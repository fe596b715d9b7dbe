"""What the store does so that opted-out and forgotten people leave no trace.

Two rules, applied at the last moment before rows are written or after a request to forget:
- an opted-out person is kept as "opted out" only: no figures, no spans, never named in a turn;
- `forget` removes a person's attendee rows, spans, checkpointed events and turn names, in
  every session; group figures of the others stay as they were.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from meetbot.domain.events import ParticipantId
from meetbot.domain.names import key as name_key
from meetbot.domain.record import Attendee, SessionRecord, Turn
from meetbot.domain.states import Attendance
from meetbot.store import codec, schema

RewriteAttendees = Callable[[sa.Connection, str, Sequence[Attendee]], None]


def _is(person_key: str, attendee: Attendee) -> bool:
    keys = {name_key(attendee.person), *(name_key(n) for n in attendee.display_names)}
    return person_key in keys


def scrub_turns(
    turns: Iterable[Turn], persons: Collection[str], pids: Collection[ParticipantId]
) -> tuple[Turn, ...]:
    """Turns with these people unnamed: the turn stays (others listened to it), the name goes."""
    out = []
    for t in turns:
        if t.person in persons or set(t.participants) & set(pids):
            kept = tuple(p for p in t.participants if p not in pids)
            t = replace(t, person=None, label="", participants=kept)
        out.append(t)
    return tuple(out)


def without_opted_out(record: SessionRecord, opted_out: Iterable[str]) -> SessionRecord:
    """The record as it may be stored: opted-out people reduced to their opt-out."""
    keys = {name_key(n) for n in opted_out}
    people: list[Attendee] = []
    persons: set[str] = set()
    pids: set[ParticipantId] = set()
    for a in record.attendees:
        if a.attendance is Attendance.OPTED_OUT or any(_is(k, a) for k in keys):
            persons.add(a.person)
            pids.update(a.participants)
            a = Attendee(person=a.person, role=a.role, attendance=Attendance.OPTED_OUT)
        people.append(a)
    if not persons:
        return record
    return replace(
        record,
        attendees=tuple(people),
        spans=tuple(s for s in record.spans if s.participant not in pids),
        turns=scrub_turns(record.turns, persons, pids),
    )


def forget_in(conn: sa.Connection, person_key: str, rewrite: RewriteAttendees) -> int:
    """Delete `person_key`'s data in every session; returns how many sessions it touched."""
    if not person_key:
        return 0
    found: dict[str, tuple[set[str], set[ParticipantId]]] = {}
    a = schema.attendees.c
    kept: dict[str, list[Attendee]] = {}
    rows = conn.execute(sa.select(a.session_id, a.data).order_by(a.session_id, a.position))
    for sid, data in rows:
        attendee = codec.attendee_from(json.loads(data))
        kept.setdefault(sid, [])
        if _is(person_key, attendee):
            persons, pids = found.setdefault(sid, (set(), set()))
            persons.add(attendee.person)
            pids.update(attendee.participants)
        else:
            kept[sid].append(attendee)
    # A running (or crashed) session has no attendees yet: its joins name the connections.
    e = schema.events.c
    for sid, data in conn.execute(sa.select(e.session_id, e.data).where(e.kind == "joined")):
        joined: dict[str, Any] = json.loads(data)
        if name_key(joined["display_name"]) == person_key:
            found.setdefault(sid, (set(), set()))[1].add(ParticipantId(joined["participant"]))
    for sid, (persons, pids) in found.items():
        conn.execute(
            schema.spans.delete().where(
                schema.spans.c.session_id == sid, schema.spans.c.participant.in_(pids)
            )
        )
        conn.execute(schema.events.delete().where(e.session_id == sid, e.participant.in_(pids)))
        if sid in kept:
            rewrite(conn, sid, kept[sid])
        _scrub_header(conn, sid, persons, pids)
    return len(found)


def _scrub_header(
    conn: sa.Connection, sid: str, persons: set[str], pids: set[ParticipantId]
) -> None:
    s = schema.sessions.c
    raw = conn.execute(sa.select(s.header).where(s.session_id == sid)).scalar()
    header = json.loads(raw or "{}")
    if not header.get("turns"):
        return
    turns = scrub_turns(codec.turns_from(header["turns"]), persons, pids)
    header["turns"] = codec.to_data(turns)
    conn.execute(
        schema.sessions.update()
        .where(s.session_id == sid)
        .values(header=json.dumps(header, ensure_ascii=False))
    )


def set_opt_out_in(
    conn: sa.Connection, chapter: str, person_key: str, person: str, opted_out: bool
) -> None:
    """Record (or withdraw) one person's opt-out in `chapter`, replacing an earlier one."""
    table = schema.opt_outs
    conn.execute(table.delete().where(table.c.chapter == chapter, table.c.person_key == person_key))
    conn.execute(
        table.insert().values(
            chapter=chapter,
            person_key=person_key,
            person=person,
            opted_out=opted_out,
            updated_at=time.time(),
        )
    )


def opted_out_in(conn: sa.Connection, chapter: str) -> set[str]:
    """Names of the people of `chapter` who opted out (as they gave them)."""
    t = schema.opt_outs.c
    found = conn.execute(sa.select(t.person).where(t.chapter == chapter, t.opted_out))
    return {r.person for r in found}
