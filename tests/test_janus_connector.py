"""The bot in a REAL Janus with REAL aiortc participants playing scripts.

Runs only inside the test network namespace: `scripts/in-sandbox .venv/bin/pytest -m janus`.
What the bot emitted is compared with what each participant actually did (its `Happened`
log, stamped on the same clock): joins, leaves and speaking turns within 2 s, and the state
each sampled frame shows (judged by the real detector) lasting as long as the script says,
within 3 s.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections import defaultdict

import av
import pytest

from detectors import Detector
from meetbot.clock import MonotonicClock
from meetbot.connectors.janus import JanusConnector
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
from meetbot.lab.scenario import Behaviour, Happened, Scenario, Script, run_scenario
from meetbot.settings import MeetingSettings

in_sandbox = pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))

ROOM = 1234
EVENT_TOLERANCE_S = 2.0
STATE_TOLERANCE_S = 3.0


def _pairs_within(expected: list[float], observed: list[float], tolerance: float) -> None:
    assert len(observed) == len(expected), (expected, observed)
    for want, got in zip(sorted(expected), sorted(observed), strict=True):
        assert abs(got - want) <= tolerance, (want, got)


def _ids_by_name(events: EventRecorder) -> dict[str, set[ParticipantId]]:
    ids: dict[str, set[ParticipantId]] = defaultdict(set)
    for joined in events.of(ParticipantJoined):
        ids[joined.display_name].add(joined.participant)
    return ids


class Judge:
    """Samples each participant's received video once a second through the real detector."""

    def __init__(self, clock: MonotonicClock) -> None:
        self.clock = clock
        self.detectors: dict[ParticipantId, Detector] = {}
        self.verdicts: dict[ParticipantId, list[tuple[float, str]]] = defaultdict(list)

    async def __call__(self, participant: ParticipantId, frame: object) -> None:
        assert isinstance(frame, av.VideoFrame)
        at = self.clock()
        detector = self.detectors.setdefault(participant, Detector())
        rgb = frame.to_ndarray(format="rgb24")
        reading = await asyncio.to_thread(detector.observe, rgb, at)
        self.verdicts[participant].append((at, str(reading.verdict)))

    def close(self) -> None:
        for detector in self.detectors.values():
            detector.close()


def _state_durations(verdicts: list[tuple[float, str]], state: str) -> list[tuple[float, float]]:
    """Runs of consecutive samples showing `state`, as (first, last) sample times."""
    runs: list[tuple[float, float]] = []
    for at, verdict in verdicts:
        if verdict != state:
            continue
        if runs and at - runs[-1][1] <= 1.6:  # the next 1 s sample: still the same run
            runs[-1] = (runs[-1][0], at)
        else:
            runs.append((at, at))
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
    clock = MonotonicClock()
    judge = Judge(clock)
    events = EventRecorder()
    async with JanusServer() as janus:
        await janus.create_room(ROOM)
        settings = MeetingSettings(url=janus.url, room=ROOM)
        try:
            async with (
                JanusConnector(settings, clock) as connector,
                asyncio.TaskGroup() as group,
            ):
                sink = DrainingSink(group, on_video_frame=judge)
                bot = group.create_task(connector.run(events.emit, sink))
                logs = await run_scenario(janus.url, ROOM, MEETING, clock)
                everyone = len(MEETING.scripts)
                await events.wait_for(
                    lambda seen: (
                        sum(isinstance(e, ParticipantLeft) for e in seen) >= everyone + 1
                    )  # Carol left twice: unpublished, then at the end
                )
                bot.cancel()
        finally:
            judge.close()

    assert connector.talking_events is True
    ids = _ids_by_name(events)
    assert set(ids) == {s.display_name for s in MEETING.scripts}
    for log in logs.values():
        _check_script(log, ids[log.script.display_name], events, judge, sink)
    assert not events.of(ConnectionLost)


def _check_script(
    log: Happened,
    ids: set[ParticipantId],
    events: EventRecorder,
    judge: Judge,
    sink: DrainingSink,
) -> None:
    script = log.script
    joins = [e.at for e in events.of(ParticipantJoined) if e.participant in ids]
    _pairs_within(log.times("published"), joins, EVENT_TOLERANCE_S)

    left = [e for e in events.of(ParticipantLeft) if e.participant in ids]
    gone = log.times("unpublished") + log.times("left") + log.times("crashed")
    _pairs_within(gone, [e.at for e in left], EVENT_TOLERANCE_S)
    if script.crash_at is not None:
        assert left[0].reason in (LeaveReason.UNPUBLISHED, LeaveReason.LEFT, LeaveReason.LOST)
    if script.unpublished:
        assert left[0].reason is LeaveReason.UNPUBLISHED

    speech = [e for e in events.of(SpeechChanged) if e.participant in ids]
    _pairs_within(log.times("speak_start"), [e.at for e in speech if e.speaking], EVENT_TOLERANCE_S)
    _pairs_within(
        log.times("speak_end"), [e.at for e in speech if not e.speaking], EVENT_TOLERANCE_S
    )

    for participant in ids:
        assert sink.frames[participant, TrackKind.VIDEO] > 0, script.name
    verdicts = sorted(v for p in ids for v in judge.verdicts[p])
    for start, end, behaviour in script.steps:
        runs = [
            (first, last)
            for first, last in _state_durations(verdicts, behaviour.state)
            if first < end + STATE_TOLERANCE_S and last > start - STATE_TOLERANCE_S
        ]
        assert len(runs) == 1, (script.name, behaviour, runs)
        first, last = runs[0]
        assert abs(first - start) <= STATE_TOLERANCE_S, (script.name, behaviour, first)
        assert abs(last + 1.0 - end) <= STATE_TOLERANCE_S, (script.name, behaviour, last)


@pytest.mark.janus
@in_sandbox
async def test_janus_restart_is_a_gap_then_everyone_is_back() -> None:
    clock = MonotonicClock()
    events = EventRecorder()
    scenario = Scenario((Script("a", "Ann", speaks=((9, 12),)), Script("b", "Ben")), duration_s=14)
    async with JanusServer() as janus:
        await janus.create_room(ROOM)
        settings = MeetingSettings(url=janus.url, room=ROOM)
        async with JanusConnector(settings, clock) as connector, asyncio.TaskGroup() as group:
            sink = DrainingSink(group)
            bot = group.create_task(connector.run(events.emit, sink))
            play = group.create_task(run_scenario(janus.url, ROOM, scenario, clock))
            await events.wait_for(lambda seen: len(_ids_by_name(events)) == 2)
            first_ids = {p for ids in _ids_by_name(events).values() for p in ids}
            for participant in first_ids:
                await sink.wait_for_frames(participant, TrackKind.VIDEO, 3)
            await janus.restart(kill=True)
            await events.wait_for(
                lambda seen: sum(isinstance(e, ParticipantJoined) for e in seen) == 4
            )
            logs = await play
            await events.wait_for(
                lambda seen: sum(isinstance(e, ParticipantLeft) for e in seen) == 4
            )
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
    # Both are back under new feed ids, with video flowing again to the sink.
    new_ids = {p for ids in _ids_by_name(events).values() for p in ids} - first_ids
    assert len(new_ids) == 2
    started_again = {e.participant for e in events.of(TrackStarted) if e.at >= restored[0].at}
    assert started_again == new_ids
    for participant in new_ids:
        assert sink.frames[participant, TrackKind.VIDEO] > 0
    # Speaking after the restart is still caught.
    speech = [e for e in events.of(SpeechChanged) if e.speaking]
    _pairs_within(logs["a"].times("speak_start"), [e.at for e in speech], EVENT_TOLERANCE_S)


@pytest.mark.janus
@in_sandbox
async def test_destroyed_room_ends_the_meeting() -> None:
    clock = MonotonicClock()
    events = EventRecorder()
    async with JanusServer() as janus:
        await janus.create_room(ROOM)
        settings = MeetingSettings(url=janus.url, room=ROOM)
        async with JanusConnector(settings, clock) as connector, asyncio.TaskGroup() as group:
            sink = DrainingSink(group)
            bot = group.create_task(connector.run(events.emit, sink))
            play = group.create_task(
                run_scenario(janus.url, ROOM, Scenario((Script("a", "Ann"),), 30.0), clock)
            )
            await events.wait_for(lambda seen: bool(events.of(TrackStarted)))
            await janus.destroy_room(ROOM)
            await bot  # run() returns by itself when the room is gone
            play.cancel()
    ended = events.of(MeetingEnded)
    assert [e.reason for e in ended] == [EndReason.ROOM_CLOSED]
    assert events.events[-1] == ended[0]
    assert [e.reason for e in events.of(ParticipantLeft)] == [LeaveReason.LEFT]


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
        self, participant: ParticipantId, kind: TrackKind, track: object
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


@pytest.mark.janus
@in_sandbox
async def test_a_feed_whose_connection_dies_without_goodbye_is_lost() -> None:
    clock = MonotonicClock()
    events = EventRecorder()
    async with JanusServer() as janus:
        await janus.create_room(ROOM)
        settings = MeetingSettings(url=janus.url, room=ROOM)
        async with JanusConnector(settings, clock) as connector, asyncio.TaskGroup() as group:
            sink = DrainingSink(group)
            bot = group.create_task(connector.run(events.emit, sink))
            play = group.create_task(
                run_scenario(janus.url, ROOM, Scenario((Script("a", "Ann"),), 30.0), clock)
            )
            await events.wait_for(lambda seen: bool(events.of(TrackStarted)))
            ann = events.of(TrackStarted)[0].participant
            await sink.wait_for_frames(ann, TrackKind.VIDEO, 2)
            # The bot's own connection for Ann breaks; Ann herself never leaves.
            assert await janus.hang_up_subscriptions(int(ann.removeprefix("janus:"))) == 1
            await events.wait_for(lambda seen: bool(events.of(ParticipantLeft)))
            bot.cancel()
            play.cancel()
    assert [(e.participant, e.reason) for e in events.of(ParticipantLeft)] == [
        (ann, LeaveReason.LOST)
    ]
    assert [(e.participant, e.kind) for e in events.of(TrackEnded)] == [(ann, TrackKind.VIDEO)]
    assert sink.ended == [(ann, TrackKind.VIDEO)]


def test_a_nameless_bot_is_refused() -> None:
    from meetbot.errors import ConfigError

    with pytest.raises(ConfigError, match=r"meeting\.display_name is empty; give the bot a name"):
        JanusConnector(MeetingSettings(display_name="  "), MonotonicClock())
