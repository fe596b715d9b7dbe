"""The same scripted meeting watched by the aiortc Janus connector and by the browser bridge on
each of Janus's demo clients, each with the real sampler and detectors and its own session:
same names, joins and leaves within 2 s, states within 3 s, turns within 2 s.

Real parts: Janus, Chromium on janus-demos' pages, aiortc participants made from real face
photos with tones when they speak, mediapipe, the session and a SQLite store per bot.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from detectors import DetectorSettings
from meetbot.connectors.janus import JanusConnector
from meetbot.domain.record import Attendee, SessionRecord
from meetbot.domain.states import State
from meetbot.lab.scenario import Behaviour, Scenario, Script
from meetbot.lab.stage import run_scenario
from meetbot.media import MediaSampler
from meetbot.session import run_session
from meetbot.store import Store
from tests.browser_meeting import Lab, joined_bot, lab, needs_browser

__all__ = ["lab"]

pytestmark = [pytest.mark.janus, pytest.mark.slow, needs_browser]

JOIN_LEAVE_S = 2.0
STATE_S = 3.0
TURN_S = 2.0

# Everyone joins at once (Eve later); the first turn starts after a lead-in, so even on a busy
# machine every participant is connected and talking events flow before it.
MEETING = Scenario(
    (
        Script("ava", "Ava Attentive", speaks=((5.0, 11.0),), face="astronaut"),
        Script(
            "ben",
            "Ben Wanderer",
            speaks=((12.0, 18.0),),
            steps=((20.0, 32.0, Behaviour.LOOKING_AWAY),),
        ),
        Script(
            "cara",
            "Cara Camera",
            speaks=((28.0, 34.0),),
            steps=((10.0, 22.0, Behaviour.CAMERA_OFF),),
        ),
        Script("finn", "Finn Early", speaks=((19.0, 25.0),), leaves_at=27.0),
        Script("eve", "Eve Late", joins_at=14.0, speaks=((35.0, 40.0),)),
    ),
    duration_s=43.0,
    fps=5,
)


def person(record: SessionRecord, name: str) -> Attendee:
    return next(a for a in record.attendees if a.person == name)


def scripted(name: str, state: State, start: float) -> list[tuple[float, float]]:
    script = next(s for s in MEETING.scripts if s.display_name == name)
    return [(start + a, start + b) for a, b, how in script.steps if how.state is state]


def spans(record: SessionRecord, who: Attendee, state: State) -> list[tuple[float, float]]:
    """When `who` was in `state`: spans at least 2 s long, gaps under 2 s bridged (a sample
    judged otherwise mid-way is the detectors' noise, the same for both bots)."""
    merged: list[tuple[float, float]] = []
    for s in sorted(record.spans, key=lambda s: s.start):
        if s.participant not in who.participants or s.state is not state:
            continue
        if merged and s.start - merged[-1][1] < 2.0:
            merged[-1] = (merged[-1][0], s.end)
        else:
            merged.append((s.start, s.end))
    return [(start, end) for start, end in merged if end - start >= 2.0]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("platform", ["janus_videoroom", "janus_mvideoroom"])
async def test_bridge_sees_what_the_janus_connector_sees(
    lab: Lab, platform: str, tmp_path: Path
) -> None:
    room = 5100 if platform == "janus_videoroom" else 5200
    await lab.janus.create_room(room)
    web_settings = lab.settings(platform, room)
    janus_settings = lab.janus_settings(room)
    detect = DetectorSettings()
    web, clock = await joined_bot(web_settings, tmp_path / "home")
    start = clock()

    def script_clock() -> float:
        return clock() - start

    until = start + MEETING.duration_s - 1.5  # both sessions end before the scripts say goodbye
    try:
        with (
            Store.open("", tmp_path / "aiortc") as janus_store,
            Store.open("", tmp_path / "bridge") as web_store,
        ):
            async with (
                JanusConnector(janus_settings.meeting, clock) as janus_bot,
                MediaSampler(janus_settings.sampling, detect, clock) as janus_sampler,
                MediaSampler(web_settings.sampling, detect, clock) as web_sampler,
                asyncio.TaskGroup() as group,
            ):
                watched = [
                    group.create_task(
                        run_session(
                            janus_bot,
                            janus_sampler,
                            settings=janus_settings,
                            store=janus_store,
                            clock=clock,
                            until=until,
                        )
                    ),
                    group.create_task(
                        run_session(
                            web,
                            web_sampler,
                            settings=web_settings,
                            store=web_store,
                            clock=clock,
                            until=until,
                        )
                    ),
                ]
                group.create_task(run_scenario(lab.janus.url, room, MEETING, script_clock))
            by_janus, by_bridge = (task.result() for task in watched)
    finally:
        await web.__aexit__(None, None, None)

    names = {a.person for a in by_janus.attendees if a.joined_at is not None}
    assert names == {"Ava Attentive", "Ben Wanderer", "Cara Camera", "Finn Early", "Eve Late"}
    assert {a.person for a in by_bridge.attendees if a.joined_at is not None} == names
    for name in sorted(names):
        a, b = person(by_janus, name), person(by_bridge, name)
        assert a.joined_at is not None
        assert b.joined_at is not None
        assert abs(a.joined_at - b.joined_at) <= JOIN_LEAVE_S, (name, a.joined_at, b.joined_at)
        if a.left_at is None:
            assert b.left_at is None, (name, b.left_at)
        else:
            assert b.left_at is not None, name
            assert abs(a.left_at - b.left_at) <= JOIN_LEAVE_S, (name, a.left_at, b.left_at)
        for state in (State.LOOKING_AWAY, State.CAMERA_OFF, State.ABSENT):
            seen_a, seen_b = spans(by_janus, a, state), spans(by_bridge, b, state)
            truth = scripted(name, state, start)
            assert len(seen_a) == len(seen_b) == len(truth), (name, state, seen_a, seen_b)
            for times in zip(seen_a, seen_b, truth, strict=True):
                for edge_a, edge_b, edge_true in zip(*times, strict=True):
                    # Within 3 s of the reference, unless the reference itself lagged (aiortc
                    # waits for a keyframe after loss on a busy machine) and the bridge was
                    # closer to the truth.
                    assert abs(edge_a - edge_b) <= STATE_S or abs(edge_b - edge_true) < abs(
                        edge_a - edge_true
                    ), (name, state, seen_a, seen_b, truth)
    # the scripted behaviours are there at all (not two bots equally blind)
    assert person(by_bridge, "Ben Wanderer").seconds_by_state.get(State.LOOKING_AWAY, 0) >= 6
    assert person(by_bridge, "Cara Camera").seconds_by_state.get(State.CAMERA_OFF, 0) >= 6
    turns_a = [(t.person, t.start, t.end) for t in by_janus.turns]
    turns_b = [(t.person, t.start, t.end) for t in by_bridge.turns]
    assert [p for p, _, _ in turns_b] == [p for p, _, _ in turns_a]
    # Janus's talking events need a second of steady audio: on a very busy machine (load 20
    # on 2 cores, seen here) a participant's tone stutters and turns go unheard, by both bots.
    assert turns_a
    for (who, s_a, e_a), (_, s_b, e_b) in zip(turns_a, turns_b, strict=True):
        assert abs(s_a - s_b) <= TURN_S, (who, s_a, s_b)
        assert abs(e_a - e_b) <= TURN_S, (who, e_a, e_b)
