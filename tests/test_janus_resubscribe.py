"""The bot's own link to one person breaks while its session is fine: that person stays.

Against a REAL Janus (inside `scripts/in-sandbox`): the Janus admin API hangs up the bot's
subscription to Ann, as a network fault between Janus and the bot would. Ann never notices, so
she must not be reported as gone; the bot subscribes again and samples her video again.
"""

from __future__ import annotations

import asyncio

import pytest
from janus_room import ROOM, bot_in_room

from detectors import DetectorSettings
from meetbot.clock import MonotonicClock
from meetbot.config.schema import MeetingSettings, SamplingSettings
from meetbot.connectors.janus import JanusConnector
from meetbot.connectors.janus_stay import participant_id
from meetbot.domain.events import (
    Observation,
    ParticipantJoined,
    ParticipantLeft,
    TrackEnded,
    TrackStarted,
)
from meetbot.domain.settings import TimelineSettings
from meetbot.domain.states import LeaveReason, State, TrackKind
from meetbot.domain.timeline import fold
from meetbot.lab.janus_server import JanusServer, sandbox_problem
from meetbot.lab.recorder import EventRecorder
from meetbot.lab.scenario import Scenario, Script
from meetbot.lab.stage import run_scenario
from meetbot.media import MediaSampler

in_sandbox = pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))

VIDEO = TrackKind.VIDEO


@pytest.mark.janus
@in_sandbox
@pytest.mark.parametrize(
    ("notify_joining", "goodbye"),
    # Closing her client sends `unpublished` then `leaving`: without notify_joining the first
    # already ends her stay (as for anyone who stops publishing there).
    [(True, LeaveReason.LEFT), (False, LeaveReason.UNPUBLISHED)],
)
async def test_a_broken_subscription_is_renewed_and_the_person_stays(
    notify_joining: bool, goodbye: LeaveReason
) -> None:
    async with bot_in_room(notify_joining=notify_joining) as room:
        events, sink = room.events, room.sink
        bot = room.start()
        ann_plays = room.play(Scenario((Script("a", "Ann"),), 60.0))
        await events.wait_for(lambda seen: bool(events.of(TrackStarted)))
        ann = events.of(TrackStarted)[0].participant
        await sink.wait_for_frames(ann, VIDEO, 2)

        # The bot's own connection for Ann breaks; Ann herself stays.
        assert await room.janus.hang_up_subscriptions(int(ann.removeprefix("janus:"))) == 1
        await events.wait_for(lambda seen: len(events.of(TrackStarted)) == 2)
        # The broken track ended at the sink before the new one started; frames flow again.
        assert sink.ended == [(ann, VIDEO)]
        assert sink.started == [(ann, VIDEO), (ann, VIDEO)]
        await sink.wait_for_frames(ann, VIDEO, sink.frames[ann, VIDEO] + 3)
        assert not events.of(ParticipantLeft)
        assert not events.of(TrackEnded)

        # Now Ann really goes: she closes her client (a clean goodbye to Janus).
        goes_at = room.clock()
        ann_plays.cancel()
        await events.wait_for(lambda seen: bool(events.of(ParticipantLeft)))
        # Zed arrives after her: once the bot reports him, it has handled every event of Ann's.
        zed_plays = room.play(Scenario((Script("z", "Zed"),), 60.0))
        await events.wait_for(
            lambda seen: "Zed" in {e.display_name for e in events.of(ParticipantJoined)}
        )
        bot.cancel()
        zed_plays.cancel()

    of_ann = [e for e in events.events if getattr(e, "participant", None) == ann]
    assert [type(e) for e in of_ann] == [
        ParticipantJoined,
        TrackStarted,
        TrackStarted,  # the new subscription
        TrackEnded,  # her camera went with her, not with the bot's link
        ParticipantLeft,
    ]
    assert [(e.participant, e.reason) for e in events.of(ParticipantLeft)] == [(ann, goodbye)]
    assert of_ann[-2].at >= goes_at


@pytest.mark.janus
@in_sandbox
async def test_the_real_sampler_judges_her_again_after_the_link_is_renewed() -> None:
    clock, events = MonotonicClock(), EventRecorder()

    def engaged_after(at: float) -> bool:
        return any(o.state is State.ENGAGED and o.at > at for o in events.of(Observation))

    async with JanusServer() as janus:
        await janus.create_room(ROOM)
        settings = MeetingSettings(url=janus.url, room=ROOM)
        async with (
            JanusConnector(settings, clock) as connector,
            MediaSampler(SamplingSettings(), DetectorSettings(), clock) as sampler,
            asyncio.TaskGroup() as group,
        ):
            runs = [
                group.create_task(sampler.run(events.emit)),
                group.create_task(connector.run(events.emit, sampler)),
                group.create_task(
                    run_scenario(janus.url, ROOM, Scenario((Script("a", "Ann"),), 60.0), clock)
                ),
            ]
            await events.wait_for(lambda seen: engaged_after(0.0), timeout_s=20.0)
            (ann,) = {e.participant for e in events.of(TrackStarted)}
            assert await janus.hang_up_subscriptions(int(ann.removeprefix("janus:"))) == 1
            await events.wait_for(lambda seen: len(events.of(TrackStarted)) == 2)
            renewed = events.of(TrackStarted)[1].at
            await events.wait_for(lambda seen: engaged_after(renewed), timeout_s=20.0)
            for run in runs:
                run.cancel()

    assert not events.of(ParticipantLeft)
    assert not events.of(TrackEnded)
    # The timeline has only her, and never calls the gap camera off, however long it lasted.
    spans = fold(events.events, TimelineSettings(), clock())
    assert State.CAMERA_OFF not in {s.state for s in spans}
    assert {s.participant for s in spans} == {ann}


def test_the_gap_reads_unknown_never_camera_off() -> None:
    """What the timeline makes of what a stay emits around a broken link: no TrackEnded, the
    readings stop, a new TrackStarted. The last state holds while it is fresh, then the gap is
    unknown (a stalled stream), never camera off."""
    ann = participant_id(1)
    fresh = TimelineSettings()
    renewed, gone = 20.0, 31.0
    spans = fold(
        [
            ParticipantJoined(0.0, ann, "Ann"),
            TrackStarted(0.5, ann, VIDEO),
            *(Observation(float(t), ann, State.ENGAGED) for t in range(1, 11)),
            # The link breaks at 10.5: the sink's track ends, the domain hears nothing.
            TrackStarted(renewed, ann, VIDEO),
            *(Observation(float(t), ann, State.ENGAGED) for t in range(21, int(gone))),
            ParticipantLeft(gone, ann),
        ],
        fresh,
        gone,
    )
    stale_from = 10.0 + fresh.stale_after_s  # the last reading before the break, expired
    assert [(s.state, s.start, s.end) for s in spans] == [
        (State.UNKNOWN, 0.0, 1.0),
        (State.ENGAGED, 1.0, stale_from),
        (State.UNKNOWN, stale_from, 21.0),
        (State.ENGAGED, 21.0, gone),
    ]
