"""The bot in a REAL Janus with REAL aiortc participants playing scripts.

Runs only inside the test network namespace: `scripts/in-sandbox .venv/bin/pytest -m janus`.
What the bot emitted is compared with what each participant actually did (its `Happened`
log, stamped on the same clock): joins, leaves, tracks and speaking turns within 2 s, the state
each sampled frame shows (judged by the real detector) lasting as long as the script says,
within 3 s. On a busy machine the scripts' clock starts only once faces are rendered and the bot
is in (BotInRoom.play), and the tolerances grow by the longest stall of the shared event loop
(LoopLag), never by a guess.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import av
import pytest
from janus_room import ROOM, bot_in_room, on_a_janus_that_survives

from detectors import Detector
from meetbot.clock import MonotonicClock
from meetbot.config.schema import MeetingSettings
from meetbot.connectors.janus import JanusConnector
from meetbot.connectors.janus_session import JanusSession
from meetbot.domain.attendance import connections
from meetbot.domain.events import (
    ConnectionLost,
    ConnectionRestored,
    MeetingEnded,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    SpeechChanged,
    TrackEnded,
    TrackStarted,
)
from meetbot.domain.states import EndReason, LeaveReason, TrackKind
from meetbot.lab.janus_server import JanusServer, sandbox_problem
from meetbot.lab.recorder import DrainingSink, EventRecorder
from meetbot.lab.scenario import Behaviour, Happened, Scenario, Script
from meetbot.lab.stage import run_scenario

in_sandbox = pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))

EVENT_TOLERANCE_S = 2.0
STATE_TOLERANCE_S = 3.0


class LoopLag:
    """The longest this process's event loop was kept from running while it was watched.

    The bot, the scripted participants and the judge share this loop: a stall of s seconds
    (a busy machine) delays whatever the bot reports by up to s, through no fault of its own.
    The checks allow that much on top of their tolerances; on an idle machine it is ~0.
    """

    TICK_S = 0.1

    def __init__(self) -> None:
        self.worst = 0.0

    async def watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.TICK_S)  # a measurement: how late this wake-up comes
            self.worst = max(self.worst, loop.time() - before - self.TICK_S)


def _pairs_within(expected: list[float], observed: list[float], tolerance: float) -> None:
    assert len(observed) == len(expected), (expected, observed)
    for want, got in zip(sorted(expected), sorted(observed), strict=True):
        assert abs(got - want) <= tolerance, (want, got, tolerance)


def _ids_by_name(events: EventRecorder) -> dict[str, set[ParticipantId]]:
    ids: dict[str, set[ParticipantId]] = defaultdict(set)
    for joined in events.of(ParticipantJoined):
        ids[joined.display_name].add(joined.participant)
    return ids


class Judge:
    """Samples each participant's received video once a second through the real detector,
    stamping each verdict with `clock` (the room's, set once the room is up)."""

    def __init__(self) -> None:
        self.clock: Callable[[], float] | None = None
        self.detectors: dict[ParticipantId, Detector] = {}
        self.verdicts: dict[ParticipantId, list[tuple[float, str]]] = defaultdict(list)

    async def __call__(self, participant: ParticipantId, frame: object) -> None:
        assert isinstance(frame, av.VideoFrame)
        assert self.clock is not None
        at = self.clock()
        rgb = frame.to_ndarray(format="rgb24")
        verdict = await asyncio.to_thread(self._judge, participant, rgb, at)
        self.verdicts[participant].append((at, verdict))

    def _judge(self, participant: ParticipantId, rgb: Any, at: float) -> str:
        # In a worker thread, the detector's creation too: loading its models takes a second
        # or more on a busy machine, which on the loop would stall the bot and every script.
        detector = self.detectors.get(participant)
        if detector is None:
            detector = self.detectors[participant] = Detector()
        return str(detector.observe(rgb, at).verdict)

    def close(self) -> None:
        for detector in self.detectors.values():
            detector.close()


def _state_durations(verdicts: list[tuple[float, str]], state: str) -> list[tuple[float, float]]:
    """Runs of consecutive samples showing `state`, as (first, last) sample times: only a
    sample showing something else ends a run. A pause between samples does not: the judge's
    detector runs in a thread, and on a busy machine one sample can take longer than the 1 s
    between samples (a run of looking away was split in two by such a pause)."""
    runs: list[tuple[float, float]] = []
    previous: str | None = None
    for at, verdict in verdicts:
        if verdict == state and previous == state:
            runs[-1] = (runs[-1][0], at)
        elif verdict == state:
            runs.append((at, at))
        previous = verdict
    return runs


MEETING = Scenario(
    (
        Script("alice", "Alice Attentive", speaks=((2, 9),)),
        Script("bob", "Bob Glances", steps=((8, 18, Behaviour.LOOKING_AWAY),), speaks=((20, 25),)),
        Script("carol", "Carol Rejoins", unpublished=((9, 13),)),
        Script("dave", "Dave Late", joins_at=6, leaves_at=21, speaks=((12, 16),)),
        Script("erin", "Erin Crashes", crash_at=14),
        Script(
            "frank",
            "Frank Steps Out",
            steps=((5, 14, Behaviour.AWAY), (17, 25, Behaviour.CAMERA_OFF)),
        ),
    ),
    duration_s=28,
)


@pytest.mark.janus
@in_sandbox
async def test_bot_observes_every_script_of_a_meeting() -> None:
    judge = Judge()
    try:
        # BotInRoom.play starts the scripts' clock only once the faces are rendered and the
        # bot is in the room: on a busy machine those take many seconds, which used to pass on
        # the clock the checks below hold every script and step to.
        async with bot_in_room(on_video_frame=judge) as room:
            judge.clock = room.clock
            lag = LoopLag()
            watching = room.group.create_task(lag.watch())
            bot = room.start()
            logs = await room.play(MEETING)
            everyone = len(MEETING.scripts)
            # Everyone's last leave reaches the bot after the scripts end: on a busy machine
            # that can take seconds, and waiting longer costs nothing when it comes at once.
            await room.events.wait_for(
                lambda seen: sum(isinstance(e, ParticipantLeft) for e in seen) >= everyone,
                timeout_s=60.0,
            )
            bot.cancel()
            watching.cancel()
    finally:
        judge.close()

    events, sink = room.events, room.sink
    assert room.connector.talking_events is True
    assert room.connector.joining_events is True
    ids = _ids_by_name(events)
    assert set(ids) == {s.display_name for s in MEETING.scripts}
    for log in logs.values():
        _check_script(log, ids[log.script.display_name], events, judge, sink, lag.worst)
    assert not events.of(ConnectionLost)


def _check_script(
    log: Happened,
    ids: set[ParticipantId],
    events: EventRecorder,
    judge: Judge,
    sink: DrainingSink,
    slack: float = 0.0,
) -> None:
    """`slack`: how long the loop stalled (LoopLag), allowed on top of every tolerance."""
    _check_presence(log, ids, events, slack)
    speech = [e for e in events.of(SpeechChanged) if e.participant in ids]
    within = EVENT_TOLERANCE_S + slack
    _pairs_within(log.times("speak_start"), [e.at for e in speech if e.speaking], within)
    _pairs_within(log.times("speak_end"), [e.at for e in speech if not e.speaking], within)

    for participant in ids:
        assert sink.frames[participant, TrackKind.VIDEO] > 0, log.script.name
    verdicts = sorted(v for p in ids for v in judge.verdicts[p])
    state_within = STATE_TOLERANCE_S + slack
    for start, end, behaviour in log.script.steps:
        runs = [
            (first, last)
            for first, last in _state_durations(verdicts, behaviour.state)
            if first < end + state_within and last > start - state_within
        ]
        assert len(runs) == 1, (log.script.name, behaviour, runs, verdicts)
        first, last = runs[0]
        assert abs(first - start) <= state_within, (log.script.name, behaviour, first)
        assert abs(last + 1.0 - end) <= state_within, (log.script.name, behaviour, last)


def _check_presence(
    log: Happened, ids: set[ParticipantId], events: EventRecorder, slack: float = 0.0
) -> None:
    """Joins, leaves and video tracks of one script in a room with notify_joining."""
    script = log.script
    within = EVENT_TOLERANCE_S + slack
    # One join and one leave per stay, publishing or not.
    joins = [e.at for e in events.of(ParticipantJoined) if e.participant in ids]
    _pairs_within(log.times("joined"), joins, within)

    left = [e for e in events.of(ParticipantLeft) if e.participant in ids]
    _pairs_within(log.times("left") + log.times("crashed"), [e.at for e in left], within)
    if script.crash_at is not None:
        assert left[0].reason in (LeaveReason.LEFT, LeaveReason.LOST)
    else:
        assert [e.reason for e in left] == [LeaveReason.LEFT]

    # Unpublishing (Carol) ends the tracks only; publishing again starts them again.
    video = [e for e in events.of(TrackStarted) if e.participant in ids]
    _pairs_within(log.times("published"), [e.at for e in video], within)
    ended = [e.at for e in events.of(TrackEnded) if e.participant in ids]
    _pairs_within(_stops_publishing(log), ended, within)


def _stops_publishing(log: Happened) -> list[float]:
    """When the participant's camera went: unpublished, or gone while publishing."""
    stops, publishing = [], False
    for at, what in log.events:
        if what == "published":
            publishing = True
        elif what in ("unpublished", "left", "crashed"):
            if publishing:
                stops.append(at)
            publishing = False
    return stops


@pytest.mark.janus
@in_sandbox
async def test_a_played_script_is_seen_from_its_first_seconds() -> None:
    """BotInRoom.play renders the faces and waits for the bot to be in the room before the
    clock starts, so the script's opening seconds reach the bot as scripted (they used to pass
    while the faces rendered, the clock already running: camera-off here was never seen)."""
    ann = Script("a", "Ann", steps=((0.0, 6.0, Behaviour.CAMERA_OFF),), leaves_at=10.0)
    samples: list[tuple[float, bool]] = []  # (when, black) once a second, as the bot got them

    async def look(participant: ParticipantId, frame: object) -> None:
        assert isinstance(frame, av.VideoFrame)
        samples.append((room.clock(), float(frame.to_ndarray(format="gray").mean()) < 16.0))

    async with bot_in_room(on_video_frame=look) as room:
        bot = room.start()
        logs = await room.play(Scenario((ann,), duration_s=11.0))
        await room.events.wait_for(lambda seen: bool(room.events.of(ParticipantLeft)))
        bot.cancel()

    (joined,) = logs["a"].times("joined")
    assert joined <= EVENT_TOLERANCE_S, joined  # at 0 as scripted, not seconds into it
    (seen,) = [e.at for e in room.events.of(ParticipantJoined)]
    _pairs_within([joined], [seen], EVENT_TOLERANCE_S)
    early = [black for at, black in samples if at < 6.0 - STATE_TOLERANCE_S / 2]
    assert early, samples  # her camera-off opening reached the bot
    assert all(early), samples
    assert not any(black for at, black in samples if at > 6.0 + STATE_TOLERANCE_S), samples


SILENT_ROOM = Scenario(
    (
        Script("lou", "Lou No Camera", publishes=False, joins_at=1, leaves_at=4),
        Script("pia", "Pia Publishes Later", joins_at=1, unpublished=((1, 4),)),
        Script("cal", "Cal Turns Both Off", unpublished=((3, 6),)),
    ),
    duration_s=9,
)


@pytest.mark.janus
@in_sandbox
async def test_people_without_camera_or_microphone_are_present() -> None:
    async with bot_in_room() as room, JanusSession(room.janus.url) as early:
        clock, events = room.clock, room.events
        # Ada is in the room, camera and microphone off, before the bot joins.
        ada = await early.attach()
        join = {"request": "join", "ptype": "publisher", "room": ROOM}
        await ada.message({**join, "display": "Ada Already Here"})
        # Another copy of the bot (same name, never publishes) is not a person to count.
        other_bot = await early.attach()
        await other_bot.message({**join, "display": room.connector.settings.display_name})
        # Someone with no name yet waits to be counted until they publish (with a name).
        await (await early.attach()).message(join)
        bot = room.start()
        play = room.play(SILENT_ROOM)
        await events.wait_for(lambda seen: "Lou No Camera" in _ids_by_name(events))
        await ada.message({"request": "leave"})
        ada_left = clock()
        logs = await play
        await events.wait_for(lambda seen: len(events.of(ParticipantLeft)) == 4)
        bot.cancel()

    assert room.connector.joining_events is True
    ids = _ids_by_name(events)
    assert sorted(ids) == sorted(
        ["Ada Already Here", *(s.display_name for s in SILENT_ROOM.scripts)]
    )
    for log in logs.values():
        _check_presence(log, ids[log.script.display_name], events)
    # Ada was named in the answer to the bot's join, so she is the first thing it reports.
    (ada_id,) = ids["Ada Already Here"]
    assert events.events[0] == ParticipantJoined(events.events[0].at, ada_id, "Ada Already Here")
    first_left = events.of(ParticipantLeft)[0]
    assert (first_left.participant, first_left.reason) == (ada_id, LeaveReason.LEFT)
    _pairs_within([ada_left], [first_left.at], EVENT_TOLERANCE_S)
    silent = {ada_id, *ids["Lou No Camera"]}
    assert not {e.participant for e in events.of(TrackStarted)} & silent
    for name in ("Pia Publishes Later", "Cal Turns Both Off"):
        assert all(room.sink.frames[p, TrackKind.VIDEO] > 0 for p in ids[name]), name
    # The domain counts Lou as connected for his whole stay: present, camera off.
    lou = next(c for c in connections(events.events, clock()) if c.display_name == "Lou No Camera")
    ((start, end),) = lou.intervals
    _pairs_within(
        logs["lou"].times("joined") + logs["lou"].times("left"), [start, end], EVENT_TOLERANCE_S
    )


@pytest.mark.janus
@in_sandbox
async def test_a_room_without_notify_joining_sees_publishers_only_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scenario = Scenario(
        (
            Script("lou", "Lou No Camera", publishes=False, leaves_at=5),
            Script("cal", "Cal Turns Both Off", unpublished=((2, 4),)),
        ),
        duration_s=6,
    )
    async with bot_in_room(notify_joining=False) as room:
        events = room.events
        bot = room.start()
        logs = await room.play(scenario)
        await events.wait_for(lambda seen: len(events.of(ParticipantLeft)) == 2)
        bot.cancel()

    assert room.connector.joining_events is False
    # As before notify_joining: Lou is never seen, and Cal's unpublish is the end of a stay.
    cal = logs["cal"]
    assert [e.display_name for e in events.of(ParticipantJoined)] == ["Cal Turns Both Off"] * 2
    _pairs_within(
        cal.times("published"), [e.at for e in events.of(ParticipantJoined)], EVENT_TOLERANCE_S
    )
    left = events.of(ParticipantLeft)
    assert [e.reason for e in left] == [LeaveReason.UNPUBLISHED, LeaveReason.LEFT]
    _pairs_within(
        cal.times("unpublished") + cal.times("left"), [e.at for e in left], EVENT_TOLERANCE_S
    )
    warnings = [r for r in caplog.records if "notify_joining = true" in r.getMessage()]
    assert [r.levelname for r in warnings] == ["WARNING"]


@pytest.mark.janus
@in_sandbox
async def test_janus_restart_is_a_gap_then_everyone_is_back() -> None:
    scenario = Scenario(
        (
            Script("a", "Ann", speaks=((9, 12),)),
            Script("b", "Ben"),
            Script("s", "Sue No Camera", publishes=False),
        ),
        duration_s=14,
    )
    async with bot_in_room() as room:
        events, sink = room.events, room.sink
        bot = room.start()
        play = room.play(scenario)
        await events.wait_for(lambda seen: len(_ids_by_name(events)) == 3)
        first_ids = {p for ids in _ids_by_name(events).values() for p in ids}
        (sue,) = _ids_by_name(events)["Sue No Camera"]
        for participant in first_ids - {sue}:
            await sink.wait_for_frames(participant, TrackKind.VIDEO, 3)
        await room.janus.restart(kill=True)
        await events.wait_for(lambda seen: sum(isinstance(e, ParticipantJoined) for e in seen) == 6)
        logs = await play
        await events.wait_for(lambda seen: sum(isinstance(e, ParticipantLeft) for e in seen) == 6)
        bot.cancel()

    lost = events.of(ConnectionLost)
    restored = events.of(ConnectionRestored)
    assert len(lost) == 1
    assert len(restored) == 1
    assert lost[0].at < restored[0].at
    kinds = [type(e) for e in events.events]
    # The old feeds end as LOST after the gap, never as a plain leave during it.
    after_lost = kinds[kinds.index(ConnectionLost) + 1]
    assert after_lost is ConnectionRestored
    gone_old = [e for e in events.of(ParticipantLeft) if e.participant in first_ids]
    assert {e.reason for e in gone_old} == {LeaveReason.LOST}
    assert all(e.at >= restored[0].at for e in gone_old)
    # All three are back under new feed ids (Sue with camera and microphone off, like
    # before), the two publishers with video flowing again to the sink.
    ids_now = _ids_by_name(events)
    assert {name: len(ids) for name, ids in ids_now.items()} == {
        "Ann": 2,
        "Ben": 2,
        "Sue No Camera": 2,
    }
    new_ids = {p for ids in ids_now.values() for p in ids} - first_ids
    new_publishers = new_ids - ids_now["Sue No Camera"]
    started_again = {e.participant for e in events.of(TrackStarted) if e.at >= restored[0].at}
    assert started_again == new_publishers
    for participant in new_publishers:
        assert sink.frames[participant, TrackKind.VIDEO] > 0
    # Speaking after the restart is still caught.
    speech = [e for e in events.of(SpeechChanged) if e.speaking]
    _pairs_within(logs["a"].times("speak_start"), [e.at for e in speech], EVENT_TOLERANCE_S)


@pytest.mark.janus
@in_sandbox
async def test_destroyed_room_ends_the_meeting() -> None:
    # Janus 1.1.2 sometimes crashes destroying a room with people in it: then run it again.
    events = await on_a_janus_that_survives(_a_room_destroyed_under_the_bot)
    ended = events.of(MeetingEnded)
    assert [e.reason for e in ended] == [EndReason.ROOM_CLOSED]
    assert events.events[-1] == ended[0]
    assert [e.reason for e in events.of(ParticipantLeft)] == [LeaveReason.LEFT]


async def _a_room_destroyed_under_the_bot() -> EventRecorder:
    async with bot_in_room() as room:
        events = room.events
        bot = room.start()
        play = room.play(Scenario((Script("a", "Ann"),), 30.0))
        await events.wait_for(lambda seen: bool(events.of(TrackStarted)))
        await room.janus.destroy_room(ROOM)
        await bot  # run() returns by itself when the room is gone
        play.cancel()
    return events


@pytest.mark.janus
@in_sandbox
async def test_unknown_room_is_a_clear_connect_error() -> None:
    from meetbot.errors import ConnectError

    async with JanusServer() as janus:
        settings = MeetingSettings(url=janus.url, room=999)
        async with JanusConnector(settings, MonotonicClock()) as connector:
            with pytest.raises(ConnectError) as caught:
                await connector.run(EventRecorder().emit, _NeverCalledSink())
    assert str(caught.value) == f"room 999 does not exist on {janus.url}; check meeting.room"


@pytest.mark.janus
@in_sandbox
async def test_wrong_pin_is_a_clear_connect_error() -> None:
    from meetbot.errors import ConnectError

    async with JanusServer() as janus:
        await janus.create_room(ROOM, pin="1234")
        settings = dataclasses.replace(MeetingSettings(url=janus.url, room=ROOM), pin="0000")
        async with JanusConnector(settings, MonotonicClock()) as connector:
            with pytest.raises(ConnectError, match=r"refused the pin; check meeting.pin"):
                await connector.run(EventRecorder().emit, _NeverCalledSink())


@pytest.mark.janus
@in_sandbox
async def test_pin_protected_room_with_audio_for_the_level_fallback() -> None:
    clock = MonotonicClock()
    events = EventRecorder()
    async with JanusServer() as janus:
        await janus.create_room(ROOM, pin="4321")
        settings = MeetingSettings(url=janus.url, room=ROOM, pin="4321")
        async with (
            JanusConnector(settings, clock, subscribe_audio=True) as connector,
            asyncio.TaskGroup() as group,
        ):
            sink = DrainingSink(group)
            bot = group.create_task(connector.run(events.emit, sink))
            play = group.create_task(
                run_scenario(
                    janus.url, ROOM, Scenario((Script("a", "Ann"),), 30.0), clock, pin="4321"
                )
            )
            await events.wait_for(lambda seen: bool(events.of(TrackStarted)))
            participant = events.of(TrackStarted)[0].participant
            await sink.wait_for_frames(participant, TrackKind.VIDEO, 3)
            await sink.wait_for_frames(participant, TrackKind.AUDIO, 25)  # 0.5 s of 20 ms frames
            bot.cancel()
            play.cancel()
    assert [e.display_name for e in events.of(ParticipantJoined)] == ["Ann"]
    assert sorted(kind for _, kind in sink.started) == [TrackKind.AUDIO, TrackKind.VIDEO]


class _NeverCalledSink:
    async def track_started(
        self, participant: ParticipantId, kind: TrackKind, track: object, valve: object = None
    ) -> None:
        raise AssertionError("no track expected")

    async def track_ended(self, participant: ParticipantId, kind: TrackKind) -> None:
        raise AssertionError("no track expected")


async def test_unreachable_server_fails_after_the_join_timeout() -> None:
    from meetbot.errors import ConnectError

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"ws://127.0.0.1:{sock.getsockname()[1]}/"  # closed once we leave the block
    settings = MeetingSettings(url=url, room=ROOM, join_timeout_s=1.0)
    async with JanusConnector(settings, MonotonicClock()) as connector:
        with pytest.raises(ConnectError, match=f"cannot reach Janus at {url}"):
            await connector.run(EventRecorder().emit, _NeverCalledSink())


def test_a_nameless_bot_is_refused() -> None:
    # MeetingSettings refuses it where it is defined, before a connector can be built.
    with pytest.raises(ValueError, match=r"display_name must be a non-empty name that says what"):
        JanusConnector(MeetingSettings(display_name="  "), MonotonicClock())
