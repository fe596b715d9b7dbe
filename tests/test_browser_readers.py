"""The browser bridge's readers on their own: the Janus signalling tap and the DOM reader turn
one page message into typed changes, with no room, no sink and no browser; the room applies
them (replays through the room are in test_browser_wire and test_browser_room)."""

from __future__ import annotations

from pathlib import Path

from meetbot.connectors.browser import wire
from meetbot.connectors.browser.changes import (
    Arrived,
    EveryoneLeft,
    Gallery,
    HereNow,
    Left,
    MeetingClosed,
    Named,
    StayEnds,
    Talking,
    Unpublished,
)
from meetbot.connectors.browser.dom_reader import LONGEST_TICK_S, DomReader, ScreenTime
from meetbot.connectors.browser.janus_tap import JanusTap
from meetbot.connectors.browser.people import Signal
from meetbot.domain.states import LeaveReason, SpeechSource
from tests.test_architecture import ROOT, imports

BOT = "meetbot"
VIDEO = [{"type": "video", "mid": "1"}]


def joined(tap: JanusTap, *, notify: bool = True) -> None:
    answer = {"videoroom": "joined", "id": 1, "private_id": 2, "publishers": []}
    if notify:
        answer["attendees"] = []
    tap.read(answer, 0.0)


def test_the_readers_import_nothing_from_the_room() -> None:
    for name in ("janus_tap", "dom_reader", "changes", "wire"):
        path = ROOT / "meetbot" / "connectors" / "browser" / f"{name}.py"
        found = set(imports(f"meetbot.connectors.browser.{name}", Path(path)))
        assert "meetbot.connectors.browser.room" not in found, name


def test_the_join_answer_says_who_is_here_without_the_bot() -> None:
    tap = JanusTap(BOT)
    answer = {
        "videoroom": "joined",
        "id": 1,
        "private_id": 2,
        "publishers": [
            {"id": 7, "display": "Amy", "streams": VIDEO},
            {"id": 8, "display": BOT, "streams": VIDEO},
            {"id": 9, "display": " ", "streams": VIDEO},
        ],
        "attendees": [{"id": 10, "display": "Cal"}],
    }
    assert tap.read(answer, 0.0) == (
        HereNow(frozenset({"janus:7", "janus:8", "janus:9", "janus:10"})),
        Arrived("janus:10", "Cal", publishing=False),
        Arrived("janus:7", "Amy", publishing=True),
    )
    assert (tap.joined, tap.own_id, tap.notifies_joining) == (True, 1, True)


def test_a_refusal_ends_the_stay_only_before_the_join() -> None:
    tap = JanusTap(BOT)
    refused = {"videoroom": "event", "error_code": 426, "error": "No such room"}
    assert tap.read(refused, 0.0) == (StayEnds(Signal.REFUSED),)
    joined(tap)
    assert tap.read(refused, 0.0) == ()


def test_being_kicked_is_removal() -> None:
    tap = JanusTap(BOT)
    joined(tap)
    assert tap.read({"videoroom": "event", "kicked": 1}, 0.0) == (StayEnds(Signal.REMOVED),)
    assert tap.read({"videoroom": "event", "kicked": 5}, 0.0) == (  # someone else
        Left("janus:5", LeaveReason.LEFT),
    )


def test_talking_unpublishing_leaving_and_the_end() -> None:
    tap = JanusTap(BOT)
    joined(tap)
    talking = {"videoroom": "talking", "id": 7, "audio-level-dBov-avg": -30}
    assert tap.read(talking, 4.5) == (Talking("janus:7", True, SpeechSource.PLATFORM, 4.5),)
    assert tap.read({"videoroom": "event", "unpublished": 7}, 0.0) == (Unpublished("janus:7"),)
    assert tap.read({"videoroom": "event", "leaving": 7}, 0.0) == (
        Left("janus:7", LeaveReason.LEFT),
    )
    assert tap.read({"videoroom": "destroyed", "room": 5}, 0.0) == (
        EveryoneLeft(LeaveReason.LEFT),
        MeetingClosed(),
        StayEnds(Signal.ENDED),
    )


def test_without_attendee_notices_unpublishing_is_leaving() -> None:
    tap = JanusTap(BOT)
    joined(tap, notify=False)
    assert tap.read({"videoroom": "event", "unpublished": 7}, 0.0) == (
        Left("janus:7", LeaveReason.UNPUBLISHED),
    )


def dom(**fields: object) -> wire.Dom:
    raw = {"type": "dom", "tiles": [], "owners": {}, "ended": [], "removed": [], **fields}
    message = wire.parse(raw)
    assert isinstance(message, wire.Dom)
    return message


def test_the_page_list_is_the_roster_and_its_marks_the_speakers() -> None:
    reader = DomReader(BOT, roster=True)
    here = {"name:Amy": "Amy", "name:Dan": "Dan"}
    message = dom(roster=[BOT, "Amy", "Bea"], speaking=["Bea"], owners={"p1:1": "Amy"})
    assert reader.read(message, here, 3.0) == (
        Named("p1:1", "Amy"),
        Arrived("name:Bea", "Bea"),
        Left("name:Dan", LeaveReason.LEFT),
        Talking("name:Amy", False, SpeechSource.PLATFORM, 3.0),
        Talking("name:Bea", True, SpeechSource.PLATFORM, 3.0),
    )


def test_tiles_alone_never_say_someone_left() -> None:
    reader = DomReader(BOT, roster=True)
    assert reader.read(dom(tiles=["Amy"]), {"name:Dan": "Dan"}, 0.0) == (
        Arrived("name:Amy", "Amy"),
    )


def test_the_bot_knows_its_own_name_as_the_page_reads_it() -> None:
    """dom.js collapses whitespace and reads ’ as ': a bot named so is still itself."""
    reader = DomReader("Chapter\u2019s  bot", roster=True)
    assert reader.read(dom(roster=["Chapter's bot", "Amy"]), {}, 0.0) == (
        Arrived("name:Amy", "Amy"),
    )


def test_with_the_signalling_as_roster_the_page_only_names_tracks() -> None:
    reader = DomReader(BOT, roster=False)
    message = dom(roster=["Amy"], speaking=["Amy"], owners={"p1:1": "Amy"})
    assert reader.read(message, {}, 0.0) == (Named("p1:1", "Amy"),)
    assert reader.read(dom(removed=["You were removed"]), {}, 0.0) == (StayEnds(Signal.REMOVED),)
    assert reader.read(dom(ended=["The meeting ended"]), {}, 0.0) == (StayEnds(Signal.ENDED),)


def test_screen_time_counts_from_the_last_report_and_caps_a_silence() -> None:
    screen = ScreenTime()
    shown = frozenset({"Amy"})
    assert screen.shown(shown, 10.0) == Gallery(shown, 0.0, 10.0)
    assert screen.shown(shown, 10.5) == Gallery(shown, 0.5, 10.5)
    assert screen.shown(shown, 60.0) == Gallery(shown, LONGEST_TICK_S, 60.0)
