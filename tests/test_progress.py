"""Live progress: the view folds events; a non-terminal gets plain lines, a terminal a table."""

from __future__ import annotations

import io

from meetbot.domain.events import (
    ConnectionLost,
    Observation,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    SpeechChanged,
)
from meetbot.domain.states import LeaveReason, State
from meetbot.terminal.progress import ProgressView, TerminalProgress

ANN, BO = ParticipantId("janus:1"), ParticipantId("janus:2")
EVENTS = [
    ParticipantJoined(1.0, ANN, "Ann Lee"),
    ParticipantJoined(2.0, BO, "Bo Chen"),
    Observation(3.0, ANN, State.ENGAGED),
    Observation(4.0, ANN, State.ENGAGED),  # no change, no line
    SpeechChanged(5.0, BO, True),
    Observation(66.0, ANN, State.LOOKING_AWAY),
    ParticipantLeft(70.0, BO, LeaveReason.LOST),
    ConnectionLost(71.0, "socket closed"),
]


def test_view_reports_only_changes() -> None:
    view = ProgressView()
    lines = [view.apply(e) for e in EVENTS]
    assert lines == [
        "Ann Lee joined",
        "Bo Chen joined",
        "Ann Lee: engaged",
        None,
        "Bo Chen starts speaking",
        "Ann Lee: looking_away",
        "Bo Chen left (lost)",
        "connection to the meeting lost (socket closed); reconnecting",
    ]


def test_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    progress = TerminalProgress("Test chapter", out)
    for event in EVENTS:
        progress.see(event)
    progress.tick(72.0)
    text = out.getvalue().splitlines()
    assert text[0] == "[00:01] Ann Lee joined"
    assert "[01:06] Ann Lee: looking_away" in text
    assert "\x1b[" not in out.getvalue()


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_table_on_a_terminal_shows_speaker_and_states() -> None:
    out = _Tty()
    progress = TerminalProgress("Test chapter", out)
    for event in EVENTS[:6]:
        progress.see(event)
    progress.tick(66.0)
    first = out.getvalue()
    assert "01:06 elapsed, 2 here, speaking: Bo Chen" in first
    assert "Ann Lee" in first
    assert "looking_away" in first
    progress.tick(67.0)
    assert "\x1b[" in out.getvalue()[len(first) :]  # redrawn in place
