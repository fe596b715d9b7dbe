"""Scenario scripts are data: validation, and what a script says happens at a given time."""

from __future__ import annotations

import pytest

from meetbot.domain.states import State
from meetbot.errors import ConfigError
from meetbot.lab.scenario import Behaviour, Happened, Scenario, Script


def test_behaviour_follows_steps_and_is_attentive_elsewhere() -> None:
    script = Script(
        "bob",
        "Bob",
        steps=((5, 10, Behaviour.LOOKING_AWAY), (12, 15, Behaviour.CAMERA_OFF)),
    )
    assert [script.behaviour_at(t) for t in (0, 5, 9.9, 10, 12, 14.9, 15)] == [
        Behaviour.ATTENTIVE,
        Behaviour.LOOKING_AWAY,
        Behaviour.LOOKING_AWAY,
        Behaviour.ATTENTIVE,
        Behaviour.CAMERA_OFF,
        Behaviour.CAMERA_OFF,
        Behaviour.ATTENTIVE,
    ]


def test_speaking_windows_are_half_open() -> None:
    script = Script("a", "A", speaks=((2, 4), (6, 7)))
    assert [script.speaking_at(t) for t in (1.9, 2, 3.9, 4, 6.5, 7)] == [
        False,
        True,
        True,
        False,
        True,
        False,
    ]


@pytest.mark.parametrize(
    ("script", "times", "expected"),
    [
        (
            Script("late", "L", joins_at=5, leaves_at=9),
            (4.9, 5, 8.9, 9),
            [False, True, True, False],
        ),
        (Script("crash", "C", crash_at=3), (0, 2.9, 3), [True, True, False]),
        (Script("re", "R", unpublished=((2, 4),)), (1.9, 2, 3.9, 4), [True, False, False, True]),
    ],
)
def test_publishing_at(script: Script, times: tuple[float, ...], expected: list[bool]) -> None:
    assert [script.publishing_at(t) for t in times] == expected


def test_each_behaviour_names_the_state_a_correct_bot_reports() -> None:
    assert {b: b.state for b in Behaviour} == {
        Behaviour.ATTENTIVE: State.ENGAGED,
        Behaviour.LOOKING_AWAY: State.LOOKING_AWAY,
        Behaviour.AWAY: State.ABSENT,
        Behaviour.CAMERA_OFF: State.CAMERA_OFF,
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": ((5, 5, Behaviour.AWAY),)}, "step (5, 5) must start before it ends"),
        ({"speaks": ((3, 1),)}, "window (3, 1) must start before it ends"),
        ({"leaves_at": 5, "crash_at": 6}, "give leaves_at or crash_at, not both"),
        ({"joins_at": 10, "leaves_at": 4}, "leaves at 4 s, before joining at 10 s"),
    ],
)
def test_bad_scripts_say_what_is_wrong(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(
        ConfigError, match="script 'x': " + message.replace("(", r"\(").replace(")", r"\)")
    ):
        Script("x", "X", **kwargs)  # type: ignore[arg-type]


def test_unknown_behaviour_is_refused() -> None:
    with pytest.raises(ValueError, match="'dancing' is not a valid Behaviour"):
        Script("x", "X", steps=((0, 1, "dancing"),))  # type: ignore[arg-type]


def test_script_names_must_be_unique() -> None:
    with pytest.raises(ConfigError, match="script names must be unique"):
        Scenario((Script("a", "A"), Script("a", "Also A")), duration_s=10)


def test_happened_keeps_times_per_kind() -> None:
    log = Happened(Script("a", "A"))
    log.add(1.0, "published")
    log.add(2.0, "speak_start")
    log.add(3.0, "published")
    assert log.times("published") == [1.0, 3.0]
    assert log.times("left") == []
