"""Domain values ⇄ JSON-ready data, driven by the dataclasses' own type hints.

Records are stored as JSON documents so that a field the domain adds later (with a default) needs
no migration: old rows simply lack the key and get the default when read back. Unknown keys in a
row (written by a newer meetbot) are ignored rather than crashing an older reader.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from datetime import datetime
from functools import cache
from typing import Any

from meetbot.domain.chapter import Chapter
from meetbot.domain.events import (
    ConnectionLost,
    ConnectionRestored,
    Event,
    MeetingEnded,
    Observation,
    ParticipantJoined,
    ParticipantLeft,
    SpeechChanged,
    TrackEnded,
    TrackStarted,
)
from meetbot.domain.record import Attendee, SessionRecord, Turn
from meetbot.domain.settings import DomainSettings

# Stable names for stored events: class names could be refactored, rows cannot.
EVENT_KINDS: dict[str, type[Any]] = {
    "joined": ParticipantJoined,
    "left": ParticipantLeft,
    "track_started": TrackStarted,
    "track_ended": TrackEnded,
    "speech": SpeechChanged,
    "observation": Observation,
    "connection_lost": ConnectionLost,
    "connection_restored": ConnectionRestored,
    "ended": MeetingEnded,
}
_KIND_OF = {cls: kind for kind, cls in EVENT_KINDS.items()}


def to_data(value: Any) -> Any:
    """Dataclasses, enums, tuples and datetimes as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(to_data(k)): to_data(v) for k, v in value.items()}
    return value


@cache
def _hints(cls: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_data(tp: Any, data: Any) -> Any:
    """The inverse of `to_data` for a value of type `tp`."""
    if data is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return from_data(args[0], data)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        known = {f.name for f in dataclasses.fields(tp)}
        return tp(**{k: from_data(hints[k], v) for k, v in data.items() if k in known})
    if origin is tuple:
        (item_tp, *_) = typing.get_args(tp)
        return tuple(from_data(item_tp, v) for v in data)
    if origin is dict:
        key_tp, value_tp = typing.get_args(tp)
        return {from_data(key_tp, k): from_data(value_tp, v) for k, v in data.items()}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(data)
    if tp is datetime:
        return datetime.fromisoformat(data)
    if tp is float:
        return float(data)
    if typing.get_origin(tp) is None and getattr(tp, "__supertype__", None) is str:
        return str(data)  # NewType over str (ParticipantId)
    return data


def dumps(value: Any) -> str:
    return json.dumps(to_data(value), ensure_ascii=False, separators=(",", ":"))


def attendee_from(data: dict[str, Any]) -> Attendee:
    return typing.cast(Attendee, from_data(Attendee, data))


def turns_from(data: list[Any]) -> tuple[Turn, ...]:
    return tuple(from_data(Turn, t) for t in data)


def chapter_from(data: dict[str, Any]) -> Chapter:
    return typing.cast(Chapter, from_data(Chapter, data))


def settings_from(data: dict[str, Any]) -> DomainSettings | None:
    """The tunables a session was recorded with; None for a session stored before they were."""
    return typing.cast(DomainSettings, from_data(DomainSettings, data)) if data else None


def event_kind(event: Event) -> str:
    return _KIND_OF[type(event)]


def event_from(kind: str, data: dict[str, Any]) -> Event:
    return typing.cast(Event, from_data(EVENT_KINDS[kind], data))


def record_header(record: SessionRecord) -> dict[str, Any]:
    """Everything of a record except attendees and spans, which have their own tables."""
    return {"turns": to_data(record.turns), "notes": list(record.notes)}
