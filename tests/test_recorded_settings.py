"""A session is judged with the tunables it was recorded with (issue 14, item 4).

`meetbot report` of a crashed session and `meetbot attendance` used to recompute with the
command's own settings (the defaults without --config), save that, and delete the events: a
demo meeting's short turns vanished for good. Here both commands run without --config.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import records
import sqlalchemy as sa

from meetbot.cli import main
from meetbot.domain.chapter import Chapter, Member
from meetbot.domain.events import Event, ParticipantId, ParticipantJoined, SpeechChanged
from meetbot.domain.header import SessionHeader
from meetbot.domain.record import Span
from meetbot.domain.settings import AttendanceSettings, DomainSettings, TurnSettings
from meetbot.domain.states import Attendance, State
from meetbot.store import Store, schema

P = ParticipantId
CHAPTER = Chapter(name="C", roster=(Member("Ann Lee"), Member("Bo Chen")), chair="Ann Lee")
END = 1200.0
# Short turns, a chair who speaks briefly, a generous late grace: none of them the defaults.
RECORDED = DomainSettings(
    turns=TurnSettings(min_turn_s=2.0, merge_gap_s=1.0, chair_min_turn_s=3.0),
    attendance=AttendanceSettings(late_grace_s=600.0),
)


@pytest.fixture
def home(isolated_meetbot_env: Path) -> Path:
    return isolated_meetbot_env


def crashed_session(home: Path) -> None:
    """A meeting whose process died after its last checkpoint at END."""
    events: list[Event] = [
        ParticipantJoined(0.0, P("ann"), "Ann Lee"),
        ParticipantJoined(400.0, P("phone"), "iPhone 13"),  # Bo, on his phone, joins late
        SpeechChanged(10.0, P("ann"), True),  # the chair: 5 s
        SpeechChanged(15.0, P("ann"), False),
        SpeechChanged(420.0, P("phone"), True),  # Bo's turn: 6 s
        SpeechChanged(426.0, P("phone"), False),
    ]
    engaged = [
        Span(P("ann"), State.ENGAGED, 0.0, END),
        Span(P("phone"), State.ENGAGED, 400.0, END),
    ]
    with Store.open("", home) as store:
        store.begin(SessionHeader("s1", CHAPTER, records.START, "janus", "1"), RECORDED)
        store.checkpoint("s1", engaged, events, at=END)


def stored_events(home: Path) -> int:
    with Store.open("", home) as store, store.engine.connect() as conn:
        query = sa.select(sa.func.count()).where(schema.events.c.session_id == "s1")
        return int(conn.execute(query).scalar() or 0)


def test_report_of_a_crashed_session_recovers_it_with_its_own_settings(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crashed_session(home)
    assert main(["report", "s1"]) == 0  # no --config: the defaults would drop both turns
    with Store.open("", home) as store:
        record = store.load("s1")
        assert store.recorded_settings("s1") == RECORDED
    assert [t.person for t in record.turns] == ["Ann Lee", "iPhone 13"]
    assert stored_events(home) == 6  # kept until retention: the recovery can be redone


def test_attendance_correction_rescores_with_the_recorded_settings(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crashed_session(home)
    assert main(["report", "s1"]) == 0
    # Bo's phone joined at 400 s: within the recorded 600 s grace, late only by the defaults.
    assert main(["attendance", "s1", "iPhone 13", "--as", "member", "--for", "Bo Chen"]) == 0
    with Store.open("", home) as store:
        record = store.load("s1")
    bo = next(a for a in record.attendees if a.person == "Bo Chen")
    assert bo.attendance is Attendance.PRESENT
    assert [t.person for t in record.turns] == ["Ann Lee", "Bo Chen"]
    assert stored_events(home) == 6


def test_a_worker_that_continues_a_session_gets_the_settings_it_was_begun_with(
    home: Path,
) -> None:
    crashed_session(home)  # the fleet's first worker died after its last checkpoint
    with Store.open("", home) as store:
        earlier = store.reopen("s1")
    assert earlier.settings == RECORDED
