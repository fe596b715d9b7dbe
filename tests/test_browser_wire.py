"""The page <-> Python contract: the page scripts' types (page/wire.d.ts, which tsc checks every
post against in scripts/gate) and Python's (meetbot.connectors.browser.wire) name the same
messages and fields, and a message that does not fit is dropped, never fatal.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from meetbot.clock import ManualClock
from meetbot.config.schema import BrowserSettings, MeetingSettings, SamplingSettings
from meetbot.connectors.browser import profiles, to_page, wire
from meetbot.connectors.browser.room import Room
from meetbot.connectors.browser.tab import MeetingTab
from meetbot.domain.events import ParticipantJoined
from meetbot.domain.states import TrackKind
from meetbot.lab.recorder import EventRecorder
from tests.test_browser_room import NoTracks

PAGE = Path(wire.__file__).parent / "page"


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
