"""The meeting at a glance (organiser's HTML report): its structure, not its pixels."""

from __future__ import annotations

import base64
import dataclasses
import io
import math
import re
import struct
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import matplotlib
import records
from figure_facts import all_axes, is_reddish

import reports
from meetbot.domain.events import ParticipantId
from meetbot.domain.record import Attendee, ListeningScore, SessionRecord, Span, Turn
from meetbot.domain.states import Attendance, Role, State
from reports import glance, listening_minutes, palette

TZ = records.TIMEZONE


def detailed() -> SessionRecord:
    return records.chapter_session()


def test_three_panels_on_one_clock() -> None:
    band, people, room = all_axes(glance.meeting_figure(detailed(), timezone=TZ))
    assert band.title.startswith("Turns")
    assert band.legend == ["member turn", "feature", "chair"]
    assert {palette.MEMBER_TURN, palette.FEATURE_TURN, palette.CHAIR_TURN} <= band.fills
    assert "Chloé M." in band.texts  # the feature talk is wide enough to be named inside
    assert people.title == "People"
    assert people.xticks[0] == "06:45"
    assert people.xticks[-1] == "08:15"
    assert room.title == "Room listening per minute, during members' turns"
    assert room.legend == ["share engaged", "whole meeting 81%"]


def test_every_attendee_has_a_row_that_says_how_they_came() -> None:
    people = all_axes(glance.meeting_figure(detailed(), timezone=TZ))[1]
    assert people.yticks[:3] == ["Alice Carter", "Bob Nguyen · sent a substitute", "Chloé Martin"]
    for row in (
        "Erin O'Brien · joined late",
        "Hiro Tanaka · left early",
        "Farid Haddad · opted out",
        "Sam Jones · substitute for Bob Nguyen",
        "Zoe Li · visitor",
        "MaxPower everyone · visitor",  # "Max_Power @everyone" as assembly keeps the name
    ):
        assert row in people.yticks
    assert len(people.yticks) == len(detailed().attendees)


def test_states_are_drawn_in_a_colour_blind_safe_palette_with_camera_off_neutral() -> None:
    people = all_axes(glance.meeting_figure(detailed(), timezone=TZ))[1]
    assert people.legend == ["engaged", "looking away", "camera off", "could not tell", "own turn"]
    assert {palette.ENGAGED, palette.LOOKING_AWAY, palette.CAMERA_OFF, palette.UNKNOWN} <= (
        people.fills
    )
    grey = palette.CAMERA_OFF
    assert grey[1:3] == grey[3:5] == grey[5:7]  # camera off is a neutral grey
    every_fill = set().union(*(a.fills for a in all_axes(glance.meeting_figure(detailed()))))
    assert not [c for c in every_fill if is_reddish(c)]


def test_a_small_group_gets_presence_only_and_no_room_line() -> None:
    record = records.small_session()
    _band, people, room = all_axes(glance.meeting_figure(record, min_group=5))
    assert people.title == "People (when connected)"
    assert people.legend == ["connected", "own turn"]
    assert people.fills == {palette.CONNECTED}  # no state of anyone
    assert room.texts == ["not shown: fewer than 5 members could be scored"]
    assert room.fills == set()
    alt = glance.meeting_glance(record, min_group=5).alt
    assert alt == "Timeline of the meeting: 2 turns and 3 people, when each was there."


def test_without_stored_states_the_rows_show_presence_and_say_why() -> None:
    record = dataclasses.replace(records.chapter_session(), spans=())  # spans purged
    _, people, room = all_axes(glance.meeting_figure(record))
    assert people.fills == {palette.CONNECTED}
    assert room.texts == ["not shown: the per-second states of this meeting are no longer kept"]


def test_labels_that_would_overlap_are_counted_not_overprinted() -> None:
    band = all_axes(glance.meeting_figure(records.large_session()))[0]
    left_out = int(re.search(r"\((\d+) names left out", band.title).group(1))  # type: ignore[union-attr]
    assert left_out > 0
    assert len(band.texts) + left_out == len(records.large_session().turns)


def member(name: str, pid: str) -> Attendee:
    return Attendee(
        person=name,
        role=Role.MEMBER,
        attendance=Attendance.PRESENT,
        participants=(ParticipantId(pid),),
        joined_at=0.0,
        present_s=300.0,
        score=ListeningScore(100 * 100 / 120, 100.0, 120.0, 120.0, 0.0),
    )


def five_members() -> SessionRecord:
    """Five members, one 60 s turn each from minute 1; Eve looks away in minute 2."""
    names = ["Ann", "Bob", "Cy", "Di", "Eve"]
    attendees = tuple(member(n, f"p{i}") for i, n in enumerate(names))
    turns = tuple(
        Turn(60.0 * (i + 1), 60.0 * (i + 2), n, participants=(ParticipantId(f"p{i}"),))
        for i, n in enumerate(names)
    )
    spans = [Span(ParticipantId(f"p{i}"), State.ENGAGED, 0, 400) for i in range(4)]
    spans += [
        Span(ParticipantId("p4"), State.ENGAGED, 0, 120),
        Span(ParticipantId("p4"), State.LOOKING_AWAY, 120, 180),
        Span(ParticipantId("p4"), State.UNKNOWN, 180, 240),
        Span(ParticipantId("p4"), State.ENGAGED, 240, 400),
    ]
    return SessionRecord(
        session_id="s",
        chapter="c",
        started_at=datetime(2026, 3, 3, tzinfo=UTC),
        duration_s=400.0,
        platform="janus",
        room="1",
        attendees=attendees,
        turns=turns,
        spans=tuple(spans),
    )


def test_room_listening_per_minute_follows_the_score_rules() -> None:
    values = listening_minutes.per_minute(five_members())
    assert len(values) == 7
    assert math.isnan(values[0])  # nobody had the floor: no figure, not zero
    assert values[1] == 100.0  # Ann speaks; the four others engaged
    # Bob speaks; Eve (one of four listeners) looks away the whole minute: 180 of 240 s.
    assert values[2] == 75.0
    # Cy speaks; Eve could not be judged: left out, the other three are engaged.
    assert values[3] == 100.0
    assert values[5] == 100.0  # Eve's own turn does not count for her
    assert math.isnan(values[6])


def test_the_report_embeds_the_picture_at_its_real_size() -> None:
    page = reports.html_report(detailed(), timezone=TZ)
    found = re.search(
        r'<img alt="Timeline of the meeting[^"]*" width="(\d+)" height="(\d+)" '
        r'src="data:image/png;base64,([^"]+)"',
        page,
    )
    assert found is not None
    png = base64.b64decode(found.group(3))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (int(found.group(1)), int(found.group(2)))
    assert png == glance.meeting_glance(detailed(), timezone=TZ).png  # deterministic


def test_the_public_recap_carries_no_picture() -> None:
    post = reports.recap(detailed(), timezone=TZ)
    assert post.attachments == ()


def test_an_empty_meeting_still_draws_and_says_so() -> None:
    record = dataclasses.replace(records.chapter_session(), attendees=(), turns=(), spans=())
    band, people, _ = all_axes(glance.meeting_figure(record))
    assert "no turns were recorded" in band.texts
    assert people.texts == ["nobody was recorded"]


def test_the_rendered_picture_uses_the_palette_and_the_names() -> None:
    """Rendered to SVG (text kept as text): what a reader sees, checked without pixels."""
    fig = glance.meeting_figure(detailed(), timezone=TZ)
    out = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(out, format="svg")
    root = ET.fromstring(out.getvalue())
    styles = " ".join(e.get("style", "") for e in root.iter())
    fills = set(re.findall(r"fill:\s*(#[0-9a-f]{6})", styles))
    texts = " ".join(t for e in root.iter() if e.tag.endswith("text") for t in e.itertext())
    assert {palette.ENGAGED, palette.LOOKING_AWAY, palette.CAMERA_OFF, palette.FEATURE_TURN} <= (
        fills
    )
    assert not [c for c in fills if is_reddish(c)]
    for words in ("Alice Carter", "Grace Kim", "camera off", "looking away", "06:45"):
        assert words in texts
