"""Turning what a session folded (spans + non-observation events) into its SessionRecord.

The live actor, crash recovery and offline analysis all end here, so a recovered or offline
session is assembled exactly like a live one, by the domain's pure `assemble_from_spans`. This
module adds what only the edge knows: opt-outs recorded in the store (e.g. `/meetbot optout`),
which the chapter file does not list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import datetime

from meetbot.domain.assemble import assemble_from_spans
from meetbot.domain.chapter import Chapter
from meetbot.domain.events import Event
from meetbot.domain.names import key as name_key
from meetbot.domain.record import SessionRecord, Span
from meetbot.domain.settings import DomainSettings


def with_opt_outs(chapter: Chapter, opted_out: Collection[str]) -> Chapter:
    """The chapter with every roster member named in `opted_out` marked as opted out."""
    keys = {name_key(n) for n in opted_out}
    if not keys:
        return chapter
    roster = tuple(
        dataclasses.replace(m, opted_out=True)
        if keys & {name_key(n) for n in (m.name, *m.aliases)}
        else m
        for m in chapter.roster
    )
    return dataclasses.replace(chapter, roster=roster)


def build_record(
    *,
    session_id: str,
    chapter: Chapter,
    started_at: datetime,
    platform: str,
    room: str,
    spans: Sequence[Span],
    events: Sequence[Event],
    end_at: float,
    settings: DomainSettings,
    complete: bool = True,
    notes: Sequence[str] = (),
    opted_out: Collection[str] = (),
) -> SessionRecord:
    """The record of a session that ended at `end_at` (seconds since its start)."""
    record = assemble_from_spans(
        session_id=session_id,
        chapter=with_opt_outs(chapter, opted_out),
        started_at=started_at,
        platform=platform,
        room=room,
        spans=spans,
        events=events,
        settings=settings,
        end_at=end_at,
        complete=complete,
    )
    if notes:
        record = dataclasses.replace(record, notes=(*record.notes, *notes))
    return record
