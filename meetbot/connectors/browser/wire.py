"""What the page scripts tell Python, written once (page/wire.d.ts is the same contract for the
scripts, and to_page.py what Python tells them; tests/test_browser_wire.py keeps them equal).

JSON text on the page's link (meetbot.connectors.browser.link), each message stamped with `sent`
(the page's epoch milliseconds) by core.js's `post`. `parse` turns one into its typed message,
or drops it with a log line when it does not fit: the meeting page's own scripts share
`window.__meetbot.post`, and one odd message must not end a session. Pictures are binary
messages on the same link (link.py).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from meetbot.domain.states import TrackKind

log = logging.getLogger(__name__)

Raw = Mapping[str, Any]
FeedId = int | str  # Janus names feeds by number, or by string with `string_ids`


@dataclass(frozen=True, slots=True)
class Posted:
    sent: float | None = field(default=None, kw_only=True)  # page epoch ms, when it posted


class Malformed(ValueError):
    pass


def _field(raw: Raw, key: str, kind: type | tuple[type, ...]) -> Any:
    value = raw.get(key)
    # JSON's true is no number, though Python's bool is an int
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise Malformed(f"{key}={value!r}")
    return value


def _optional(raw: Raw, key: str, kind: type) -> Any:
    return None if raw.get(key) is None else _field(raw, key, kind)


def _names(raw: Raw, key: str) -> tuple[str, ...]:
    items = _field(raw, key, list)
    if not all(isinstance(item, str) for item in items):
        raise Malformed(f"{key} holds a non-string")
    return tuple(items)


def _names_or_none(raw: Raw, key: str) -> tuple[str, ...] | None:
    return None if raw.get(key) is None else _names(raw, key)


@dataclass(frozen=True, slots=True)
class Track(Posted):
    """A connection received a track: its page id ("p<connection>:<mid>"), kind, where."""

    id: str
    kind: TrackKind
    pc: int
    mid: str | None

    @classmethod
    def read(cls, raw: Raw) -> Track:
        try:
            kind = TrackKind(_field(raw, "kind", str))
        except ValueError as exc:
            raise Malformed(f"kind={raw.get('kind')!r}") from exc
        return cls(_field(raw, "id", str), kind, _field(raw, "pc", int), _optional(raw, "mid", str))


@dataclass(frozen=True, slots=True)
class TrackEnded(Posted):
    id: str

    @classmethod
    def read(cls, raw: Raw) -> TrackEnded:
        return cls(_field(raw, "id", str))


@dataclass(frozen=True, slots=True)
class TrackMuted(Posted):
    """The sender stopped (or resumed) sending media on a track. Not read: a muted video
    simply sends no pictures, and the sampler already treats silence as no picture."""

    id: str
    muted: bool

    @classmethod
    def read(cls, raw: Raw) -> TrackMuted:
        return cls(_field(raw, "id", str), _field(raw, "muted", bool))


@dataclass(frozen=True, slots=True)
class Connection(Posted):
    """A connection's state changed. Not read by the room (test_browser_levels waits on it)."""

    pc: int
    state: str

    @classmethod
    def read(cls, raw: Raw) -> Connection:
        return cls(_field(raw, "pc", int), _field(raw, "state", str))


@dataclass(frozen=True, slots=True)
class Levels(Posted):
    """Audio level (0..1, RFC 6464) per received audio track, when Python asked (levelsMs)."""

    levels: tuple[tuple[str, float], ...]

    @classmethod
    def read(cls, raw: Raw) -> Levels:
        pairs = []
        for pair in _field(raw, "levels", list):
            match pair:
                case [str(track), int(level) | float(level)] if not isinstance(level, bool):
                    pairs.append((track, float(level)))
                case _:
                    raise Malformed(f"levels entry {pair!r}")
        return cls(tuple(pairs))


@dataclass(frozen=True, slots=True)
class Tile:
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Tiles(Posted):
    """Tiles mode: the tiles the core just cut pictures from."""

    tiles: tuple[Tile, ...]

    @classmethod
    def read(cls, raw: Raw) -> Tiles:
        tiles = []
        for tile in _field(raw, "tiles", list):
            if not isinstance(tile, dict):
                raise Malformed(f"tile {tile!r}")
            tiles.append(Tile(_field(tile, "key", str), _field(tile, "name", str)))
        return cls(tuple(tiles))


@dataclass(frozen=True, slots=True)
class Log(Posted):
    message: str

    @classmethod
    def read(cls, raw: Raw) -> Log:
        return cls(str(raw.get("message", "")))


@dataclass(frozen=True, slots=True)
class Janus(Posted):
    """The VideoRoom `plugindata.data` of the page's own participant handle (janus_tap.js)."""

    data: dict[str, Any]

    @classmethod
    def read(cls, raw: Raw) -> Janus:
        return cls(_field(raw, "data", dict))


@dataclass(frozen=True, slots=True)
class Owners(Posted):
    """A subscriber offer applied to connection `pc`: the feed behind each mid (None: none)."""

    pc: int
    mids: dict[str, FeedId | None]

    @classmethod
    def read(cls, raw: Raw) -> Owners:
        mids = _field(raw, "mids", dict)
        for mid, feed in mids.items():
            if feed is not None and (isinstance(feed, bool) or not isinstance(feed, int | str)):
                raise Malformed(f"mids[{mid!r}]={feed!r}")
        return cls(_field(raw, "pc", int), {str(mid): feed for mid, feed in mids.items()})


@dataclass(frozen=True, slots=True)
class JanusJoin(Posted):
    """The page asked to join `room` as a publisher named `display`. Not read: the answer
    (`joined` or an error, in a Janus message) is what counts."""

    room: FeedId
    display: str

    @classmethod
    def read(cls, raw: Raw) -> JanusJoin:
        return cls(_field(raw, "room", (int, str)), _field(raw, "display", str))


@dataclass(frozen=True, slots=True)
class JanusSession(Posted):
    """The page's Janus session timed out or failed (`janus` is "timeout" or "error")."""

    janus: str
    error: dict[str, Any] | None

    @classmethod
    def read(cls, raw: Raw) -> JanusSession:
        return cls(_field(raw, "janus", str), _optional(raw, "error", dict))


@dataclass(frozen=True, slots=True)
class Dom(Posted):
    """What the page shows (dom.js): names on screen, each tile's track, who it marks as
    speaking (None: it cannot tell), its participant list (None: none), and the phrases of the
    profile's `ended`/`removed` it finds."""

    tiles: tuple[str, ...]
    owners: dict[str, str]
    speaking: tuple[str, ...] | None
    roster: tuple[str, ...] | None
    ended: tuple[str, ...]
    removed: tuple[str, ...]

    @classmethod
    def read(cls, raw: Raw) -> Dom:
        owners = _field(raw, "owners", dict)
        if not all(isinstance(name, str) for name in owners.values()):
            raise Malformed("owners holds a non-string name")
        return cls(
            _names(raw, "tiles"),
            {str(track): name for track, name in owners.items()},
            _names_or_none(raw, "speaking"),
            _names_or_none(raw, "roster"),
            _names(raw, "ended"),
            _names(raw, "removed"),
        )


Message = (
    Track
    | TrackEnded
    | TrackMuted
    | Connection
    | Levels
    | Tiles
    | Log
    | Janus
    | Owners
    | JanusJoin
    | JanusSession
    | Dom
)
# the `type` each is posted under (page/wire.d.ts)
TYPES: dict[str, type[Message]] = {
    "track": Track,
    "track_ended": TrackEnded,
    "track_muted": TrackMuted,
    "connection": Connection,
    "levels": Levels,
    "tiles": Tiles,
    "log": Log,
    "janus": Janus,
    "owners": Owners,
    "janus_join": JanusJoin,
    "janus_session": JanusSession,
    "dom": Dom,
}

_told: set[str] = set()  # the message types already warned about (a page posts twice a second)


def parse(raw: object) -> Message | None:
    """The typed message `raw` (one JSON value from the page) is, or None: a message of no
    type we know is not ours (debug log), one that does not fit its type is dropped (warned)."""
    kind = raw.get("type") if isinstance(raw, dict) else None
    known = TYPES.get(kind) if isinstance(kind, str) else None
    if known is None or not isinstance(raw, dict):
        log.debug("page message of no known type dropped: %.200r", raw)
        return None
    try:
        message = known.read(raw)
    except Malformed as exc:
        name = str(kind)
        level = logging.DEBUG if name in _told else logging.WARNING
        _told.add(name)
        log.log(level, "page %r message dropped, it does not fit (%s); mend page/*.js", name, exc)
        return None
    sent = raw.get("sent")
    if isinstance(sent, int | float) and not isinstance(sent, bool) and math.isfinite(sent):
        return dataclasses.replace(message, sent=float(sent))
    return message
