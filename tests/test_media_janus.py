"""The real sampler pausing real videos at a REAL Janus between samples (a big room).

Two bots watch the same scripted meeting: one samples with every video paused between
samples (`pause_video_from = 1`), the other drains everything as a control. The paused bot
must still see each script's states, from far fewer frames than the control received.
Runs inside the test network namespace: `scripts/in-sandbox .venv/bin/pytest -m janus`.
"""

from __future__ import annotations

import asyncio

import pytest

from detectors import DetectorSettings
from meetbot.clock import MonotonicClock
from meetbot.config.schema import MeetingSettings, SamplingSettings
from meetbot.connectors.janus import JanusConnector
from meetbot.domain.events import Observation, ParticipantJoined
from meetbot.domain.states import State, TrackKind
from meetbot.lab.janus_server import JanusServer, sandbox_problem
from meetbot.lab.recorder import DrainingSink, EventRecorder
from meetbot.lab.scenario import Behaviour, Scenario, Script
from meetbot.lab.stage import render_faces, run_scenario
from meetbot.media import MediaSampler

in_sandbox = pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))

ROOM = 4321
MARGIN_S = 3.0  # the media side's delay plus a sample either side of a change

MEETING = Scenario(
    (
        Script("ann", "Ann Attentive"),
        Script("ben", "Ben Camera", steps=((8, 16, Behaviour.CAMERA_OFF),)),
        Script("cat", "Cat Away", steps=((8, 16, Behaviour.AWAY),)),
    ),
    duration_s=22,
    fps=10,
)


def states_between(seen: list[Observation], start: float, end: float) -> list[State]:
    return [o.state for o in seen if start <= o.at < end and o.reason != "waiting_for_frames"]


@pytest.mark.janus
@in_sandbox
async def test_paused_videos_still_show_every_scripted_state() -> None:
    watched, control = EventRecorder(), EventRecorder()
    sampling = SamplingSettings(pause_video_from=1)
    # The faces and Janus are ready before the meeting's clock starts: rendering alone takes
    # over ten seconds on a busy machine, which would have everyone join after the 8 s steps.
    faces = await render_faces(MEETING)
    async with JanusServer() as janus:
        await janus.create_room(ROOM)
        clock = MonotonicClock()
        settings = MeetingSettings(url=janus.url, room=ROOM)
        async with (
            JanusConnector(settings, clock) as bot,
            JanusConnector(settings, clock) as other,
            MediaSampler(sampling, DetectorSettings(), clock) as sampler,
            asyncio.TaskGroup() as group,
        ):
            sink = DrainingSink(group)
            runs = [
                group.create_task(sampler.run(watched.emit)),
                group.create_task(bot.run(watched.emit, sampler)),
                group.create_task(other.run(control.emit, sink)),
            ]
            play = group.create_task(run_scenario(janus.url, ROOM, MEETING, clock, book=faces))
            # Count frames while everyone is still there (the scenario's clock, not a wait for
            # something to happen): both bots at the same instant.
            await asyncio.sleep(MEETING.duration_s - 2 - clock())
            received = {p: w.slot.received for p, w in sampler.watches.items()}
            drained = dict(sink.frames)
            resumed, seconds = sampler.resumed, clock()
            await play
            for run in runs:
                run.cancel()

    names = {e.participant: e.display_name for e in watched.of(ParticipantJoined)}
    by_name: dict[str, list[Observation]] = {}
    for o in watched.of(Observation):
        by_name.setdefault(names[o.participant], []).append(o)
    for script in MEETING.scripts:
        seen = by_name[script.display_name]
        for step_start, step_end, behaviour in script.steps:
            during = states_between(seen, step_start + MARGIN_S, step_end)
            assert len(during) >= 3, (script.name, during)
            assert during.count(behaviour.state) >= 0.8 * len(during), (script.name, during)
        quiet_from = max((end for _, end, _ in script.steps), default=0.0) + MARGIN_S
        after = states_between(seen, quiet_from, MEETING.duration_s)
        assert after.count(State.ENGAGED) >= 0.8 * len(after) > 0, (script.name, after)

    # ~1 s of samples each with 0.3 s of flow (plus what a pause lets through) against all
    assert resumed >= len(MEETING.scripts) * (seconds - 8)
    control_ids = {e.participant: e.display_name for e in control.of(ParticipantJoined)}
    everyone = {control_ids[p]: n for (p, kind), n in drained.items() if kind is TrackKind.VIDEO}
    assert len(received) == len(everyone) == len(MEETING.scripts)
    for participant, frames in received.items():
        name = names[participant]
        assert frames < 0.6 * everyone[name], (name, frames, everyone[name])
