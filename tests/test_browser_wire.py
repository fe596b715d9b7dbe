"""The page <-> Python contract: the page scripts' types (page/wire.d.ts, which tsc checks every
post against in scripts/gate) and Python's (meetbot.connectors.browser.wire) name the same
messages and fields; a message that does not fit is dropped, never fatal; and what real Janus
clients posted (tests/data/page_messages, recorded by tests/record_page_messages.py) parses
whole and replays through the Room into the same people.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from meetbot.clock import ManualClock
from meetbot.config.schema import BrowserSettings, MeetingSettings, SamplingSettings
from meetbot.connectors.browser import profiles, to_page, wire
from meetbot.connectors.browser.room import Room
from meetbot.connectors.browser.tab import MeetingTab
from meetbot.domain.events import ParticipantId, ParticipantJoined, ParticipantLeft, SpeechChanged
from meetbot.domain.states import TrackKind
from meetbot.lab.recorder import EventRecorder
from tests.test_browser_room import NoTracks

PAGE = Path(wire.__file__).parent / "page"
RECORDED = Path(__file__).parent / "data" / "page_messages"


def interfaces() -> dict[str, dict[str, str]]:
    """wire.d.ts's interfaces: name -> {field: TypeScript type}."""
    text = (PAGE / "wire.d.ts").read_text(encoding="utf-8")
    found = {}
    for name, body in re.findall(r"^interface (\w+) \{\n(.*?)^\}", text, re.M | re.S):
        fields = re.findall(r"^  (\w+)\??: (.+);$", body, re.M)
        found[name] = dict(fields)
    return found


def page_messages() -> dict[str, set[str]]:
    """The messages the scripts may post: their `type` -> their other fields."""
    text = (PAGE / "wire.d.ts").read_text(encoding="utf-8")
    union = re.search(r"^type PageMessage =(.*?);", text, re.M | re.S)
    assert union is not None
    out = {}
    for name in re.findall(r"\| (\w+)", union.group(1)):
        fields = interfaces()[name]
        kind = fields.pop("type").strip('"')
        out[kind] = set(fields)
    return out


def python_fields(kind: type[Any]) -> set[str]:
    return {f.name for f in dataclasses.fields(kind)} - {"sent"}


def test_the_scripts_and_python_name_the_same_messages_and_fields() -> None:
    assert page_messages() == {name: python_fields(kind) for name, kind in wire.TYPES.items()}
    assert set(interfaces()["TileShown"]) == python_fields(wire.Tile)


def test_what_python_tells_the_page_is_what_the_scripts_read(tmp_path: Path) -> None:
    tab = MeetingTab(
        profiles.load("janus_videoroom"),
        MeetingSettings(),
        BrowserSettings(),
        SamplingSettings(),
        tmp_path,
    )
    config, facts = tab.page_config()
    ts = interfaces()
    assert set(config) == set(to_page.PageConfig.__annotations__) == set(ts["PageConfig"])
    assert set(facts) == set(to_page.ProfileFacts.__annotations__) == set(ts["ProfileFacts"])
    commands = [to_page.command(valve, ["p1:0"]) for valve in to_page.Valve]
    assert all(set(c) == set(ts["ValveCommand"]) for c in commands)
    assert ts["ValveCommand"]["type"] == " | ".join(f'"{c["type"]}"' for c in commands)


@pytest.mark.parametrize(
    "raw",
    [
        {"type": "owners", "mids": {"0": 7}},  # no pc
        {"type": "owners", "pc": "1", "mids": {"0": 7}},
        {"type": "owners", "pc": 1, "mids": {"0": [7]}},
        {"type": "track", "id": "p1:0", "kind": "screen", "pc": 1, "mid": "0"},
        {"type": "track", "id": "p1:0", "kind": "video", "pc": True, "mid": "0"},
        {"type": "levels", "levels": [["p1:1"]]},
        {"type": "levels", "levels": [["p1:1", "loud"]]},
        {"type": "tiles", "tiles": ["Amy"]},
        {"type": "janus", "data": "joined"},
        {"type": "dom", "tiles": [1], "owners": {}, "roster": None, "ended": [], "removed": []},
        {"type": "dom", "tiles": [], "owners": {"p1:0": 7}, "ended": [], "removed": []},
        {"type": "janus_session", "janus": "timeout", "error": "gone"},
        {"type": "track_muted", "id": "p1:0", "muted": 1},
    ],
)
def test_a_message_that_does_not_fit_is_dropped(raw: dict[str, Any]) -> None:
    assert wire.parse(raw) is None


def test_what_is_not_a_page_message_is_dropped() -> None:
    assert wire.parse([1, 2]) is None
    assert wire.parse({"type": "hello"}) is None
    assert wire.parse({"kind": "track"}) is None


def test_a_fitting_message_is_typed_and_stamped() -> None:
    dom = {"type": "dom", "tiles": ["Amy"], "owners": {}, "ended": [], "removed": []}
    assert wire.parse(dom) == wire.Dom(("Amy",), {}, None, None, (), ())  # null or absent
    raw = {"type": "track", "id": "p2:1", "kind": "audio", "pc": 2, "mid": "1", "sent": 5.0}
    assert wire.parse(raw) == wire.Track("p2:1", TrackKind.AUDIO, 2, "1", sent=5.0)
    assert wire.parse({**raw, "mid": None, "sent": "soon"}) == wire.Track(
        "p2:1", TrackKind.AUDIO, 2, None
    )


async def test_a_malformed_message_leaves_the_room_reading(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The meeting page's own scripts share window.__meetbot.post: an `owners` message without
    its connection once raised KeyError out of the connector and failed the session."""
    recorder = EventRecorder()
    room = Room(
        "meetbot", SamplingSettings(), ManualClock(0.0), recorder.emit, NoTracks(), False, set()
    )
    # warned the first time, then at debug level (a page posts twice a second)
    with caplog.at_level(logging.DEBUG, logger="meetbot.connectors.browser.wire"):
        assert await room.handle({"type": "owners", "mids": {"0": 7}}) is None
    assert "'owners' message dropped" in caplog.text
    published = {"videoroom": "event", "publishers": [{"id": 7, "display": "Amy"}]}
    await room.handle({"type": "janus", "data": published})
    assert [e.display_name for e in recorder.of(ParticipantJoined)] == ["Amy"]


# --- what real Janus clients posted, replayed ---
FLOWS = sorted(path.stem for path in RECORDED.glob("*.jsonl"))


def recorded(flow: str) -> list[dict[str, Any]]:
    lines = (RECORDED / f"{flow}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


class Tracks:
    """The sink: who got a picture track (the pictures themselves are not kept)."""

    def __init__(self) -> None:
        self.started: list[ParticipantId] = []

    async def track_started(
        self, participant: ParticipantId, kind: TrackKind, track: Any, valve: Any = None
    ) -> None:
        self.started.append(participant)

    async def track_ended(self, participant: ParticipantId, kind: TrackKind) -> None:
        pass


def test_recordings_exist() -> None:
    assert FLOWS == ["mvideoroom_tracks", "videoroom_tiles", "videoroom_tracks"]


@pytest.mark.parametrize("flow", FLOWS)
def test_everything_real_clients_posted_fits(flow: str) -> None:
    messages = recorded(flow)
    assert [m for m in messages if wire.parse(m) is None] == []
    assert {m["type"] for m in messages} >= {"janus", "owners", "track", "dom", "janus_join"}


@pytest.mark.parametrize("flow", FLOWS)
async def test_a_recorded_meeting_replays_into_the_same_people(flow: str) -> None:
    """Replayed in order, with the page's own spacing on a ManualClock: the room says the same
    people joined as it did live, hears Amy talk and Dan leave, and each picture the page would
    send of a publishing person (a tiny synthetic one here) reaches the sink as theirs."""
    messages = recorded(flow)
    tiles = flow.endswith("_tiles")
    clock, recorder, sink = ManualClock(0.0), EventRecorder(), Tracks()
    room = Room(
        "meetbot",
        SamplingSettings(speech_from_audio=True),
        clock,
        recorder.emit,
        sink,
        tiles,
        set(),
    )
    first = messages[0]["sent"]
    picture = np.zeros((2, 2, 3), np.uint8)
    sources: set[str] = set()  # what the page cuts pictures from by now
    for message in messages:
        clock.now = (message["sent"] - first) / 1000
        assert await room.handle({**message, "sent": time.time() * 1000}) is None
        match wire.parse(message):
            case wire.Track(track_id, TrackKind.VIDEO):
                sources.add(track_id)
            case wire.Tiles(shown):
                sources = {f"tile:{tile.name}" for tile in shown}
        for source in sorted(sources):
            await room.picture(source, picture, clock.now * 1000)
    joined = sorted(e.display_name for e in recorder.of(ParticipantJoined))
    assert joined == (RECORDED / f"{flow}.names").read_text(encoding="utf-8").split("\n")[:-1]
    names = {e.participant: e.display_name for e in recorder.of(ParticipantJoined)}
    left = [names[e.participant] for e in recorder.of(ParticipantLeft)]
    assert left[0] == "Dan Leaver"  # the rest say goodbye when the meeting ends
    assert sorted(left) == joined
    talked = {names[e.participant] for e in recorder.of(SpeechChanged) if e.speaking}
    assert "Amy Talker" in talked
    # Cal never publishes
    assert {names[p] for p in sink.started} == {"Amy Talker", "Bea Pauser", "Dan Leaver"}
