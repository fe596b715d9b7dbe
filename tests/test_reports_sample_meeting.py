"""Reports of a meeting assembled by the real domain code (meetbot.lab.sample_meeting).

The hand-built records elsewhere write every figure out; here the domain decides, so the
reports must read its categories as it means them (a member who sent a substitute is `substitute`
in PALMS terms too, with no connection of their own).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from figure_facts import all_axes

import reports
from meetbot.domain.record import SessionRecord
from meetbot.domain.states import Attendance, State
from meetbot.lab import sample_meeting, screenshot
from reports import glance
from reports.summary import find

TZ = sample_meeting.TIMEZONE


@pytest.fixture(scope="module")
def meeting() -> SessionRecord:
    return sample_meeting.session(4, duration_s=600.0)  # ten minutes: every part, scaled


def test_the_sample_meeting_has_what_the_pictures_need(meeting: SessionRecord) -> None:
    kinds = {a.attendance for a in meeting.attendees}
    assert {Attendance.PRESENT, Attendance.LATE, Attendance.LEFT_EARLY} <= kinds
    assert {Attendance.SUBSTITUTE, Attendance.VISITOR} <= kinds
    states = {s.state for s in meeting.spans}
    assert {State.ENGAGED, State.LOOKING_AWAY, State.CAMERA_OFF, State.UNKNOWN} <= states
    assert [t.person for t in meeting.turns if t.kind == "feature"] == [sample_meeting.FEATURE]
    assert sample_meeting.session(4, duration_s=600.0) == meeting  # seeded: the same meeting


def test_a_member_who_sent_a_substitute_is_a_member_not_a_guest(meeting: SessionRecord) -> None:
    noah = find(meeting, "Noah Fischer")
    assert noah is not None
    assert noah.attendance is Attendance.SUBSTITUTE  # the domain's PALMS category
    s = reports.summarize(meeting)
    assert [x.name for x in s.substitutes] == [sample_meeting.SUBSTITUTE]
    assert s.covered == 1
    assert s.members == len(sample_meeting.MEMBERS)
    body = reports.recap(meeting, timezone=TZ).body
    assert f"13 of {len(sample_meeting.MEMBERS)} members there" in body
    assert "1 represented by a substitute" in body
    assert "**Thank you for standing in:** Olivia Grant (for Noah Fischer)\n" in body
    card = reports.member_card(meeting, "Noah Fischer", timezone=TZ)
    assert "Attendance: **away, represented by a substitute**" in card.body
    assert "You were not at this meeting" in card.body
    assert card.attachments == ()


def test_the_glance_rows_of_the_sample_meeting(meeting: SessionRecord) -> None:
    people = all_axes(glance.meeting_figure(meeting, timezone=TZ))[1]
    assert "Noah Fischer · sent a substitute" in people.yticks
    assert "Olivia Grant · substitute for Noah Fischer" in people.yticks
    assert people.yticks.index("Noah Fischer · sent a substitute") < people.yticks.index(
        "Olivia Grant · substitute for Noah Fischer"
    )  # members first, then guests


def test_the_screenshot_script_says_how_to_get_chromium(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium anywhere
    monkeypatch.setattr(screenshot, "report_html", lambda: "<html></html>")
    assert screenshot.main(["--out", str(tmp_path / "shot.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("report-screenshot: chromium is not installed: apt-get install")
    assert err.count("\n") == 1
    assert not (tmp_path / "shot.png").exists()
