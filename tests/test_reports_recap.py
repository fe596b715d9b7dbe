"""The public recap: group figures only, nobody named for a camera or for looking away."""

from __future__ import annotations

import dataclasses
import re

import pytest
import records
from hypothesis import given
from hypothesis import strategies as st

import reports
from meetbot.domain.record import SessionRecord
from meetbot.domain.states import Attendance
from reports import Audience, Post
from reports.summary import represented, stands_in

TZ = records.TIMEZONE


def public_text(post: Post) -> str:
    return "\n".join([post.title, post.body, post.footer, *(f.value for f in post.fields)])


def test_is_addressed_to_the_channel_and_shows_the_local_date() -> None:
    post = reports.recap(records.chapter_session(), timezone=TZ)
    assert post.audience is Audience.PUBLIC
    assert post.title == "Meeting recap — Tuesday 3 March 2026"
    assert not post.attachments


def test_contains_no_individual_score() -> None:
    record = records.chapter_session()
    text = public_text(reports.recap(record, timezone=TZ))
    scores = [a.score.value for a in record.attendees if a.score and a.score.value is not None]
    assert len(scores) == 6  # the fixture's scored members; keep the test meaningful
    for value in scores:
        for shown in {f"{value:.0f}", f"{value:.1f}", str(int(value + 0.5))}:
            assert not re.search(rf"(?<![\d.]){re.escape(shown)}(?![\d.])", text), shown
    assert "81%" in text  # the room's figure is there instead


def test_never_names_people_for_looking_away_or_camera_off() -> None:
    record = records.chapter_session()
    text = public_text(reports.recap(record, timezone=TZ))
    away = next(a for a in record.attendees if a.person == records.LOOKED_AWAY)
    assert away.seconds_by_state  # the fixture really has this person looking away
    for name in (records.LOOKED_AWAY, records.CAMERA_OFF, "Dev Patel", "Hiro Tanaka"):
        assert name not in text
        assert name.split()[0] not in text


def test_names_only_the_people_it_welcomes_or_thanks() -> None:
    record = records.chapter_session()
    text = public_text(reports.recap(record, timezone=TZ))
    welcomed = {"Sam Jones", "Bob Nguyen", "Zoe Li", "Chloé Martin"}  # Bob: "for Bob Nguyen"
    for a in record.attendees:
        if a.person in welcomed:
            assert a.person in text
        elif a.attendance is not Attendance.VISITOR:
            assert a.person not in text, a.person


def test_absences_are_a_count_only() -> None:
    text = public_text(reports.recap(records.chapter_session(), timezone=TZ))
    assert "1 absence" in text
    assert "Ines" not in text
    assert "Farid" not in text  # opted out: not even counted


def test_has_no_at_sign_and_defuses_markdown_in_names() -> None:
    text = public_text(reports.recap(records.chapter_session(), timezone=TZ))
    assert "@" not in text
    # Assembly already keeps only the name of "Max_Power @everyone" (the Markdown of names
    # that reach a post is tested with any text below).
    assert "MaxPower everyone" in text


def test_withholds_the_room_figure_when_few_were_scored() -> None:
    text = public_text(reports.recap(records.small_session(), timezone="UTC"))
    assert "Listening" not in text
    assert "%" not in text
    shown = public_text(reports.recap(records.small_session(), timezone="UTC", min_group=2))
    assert "attentive for 80% of members' turns" in shown  # (900 + 700) / (1000 + 1000)


def test_date_is_the_chapter_s_local_date() -> None:
    record = records.small_session()  # 23:30 UTC on 4 March
    assert "Wednesday 4 March 2026" in reports.recap(record).title
    assert "Thursday 5 March 2026" in reports.recap(record, timezone="Asia/Tokyo").title


def test_a_wrong_timezone_says_what_to_use() -> None:
    message = "unknown timezone 'Mars/Olympus': use an IANA name such as 'Europe/London' or 'UTC'"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        reports.recap(records.small_session(), timezone="Mars/Olympus")


def test_an_interrupted_session_says_so() -> None:
    record = dataclasses.replace(records.chapter_session(), complete=False)
    assert "lost part of this meeting" in reports.recap(record, timezone=TZ).body


def test_full_attendance_is_the_highlight() -> None:
    record = records.chapter_session()
    everyone = tuple(
        dataclasses.replace(a, attendance=Attendance.PRESENT)
        if a.attendance is Attendance.ABSENT or represented(a)
        else a
        for a in record.attendees
        if not stands_in(a)
    )
    body = reports.recap(dataclasses.replace(record, attendees=everyone), timezone=TZ).body
    assert "✨ Full attendance: every member was there." in body


def test_a_represented_member_makes_a_full_room_not_full_attendance() -> None:
    record = records.chapter_session()
    ines_came = tuple(
        dataclasses.replace(a, attendance=Attendance.PRESENT) if a.person == "Ines Duarte" else a
        for a in record.attendees
    )
    body = reports.recap(dataclasses.replace(record, attendees=ines_came), timezone=TZ).body
    assert "8 of 9 members there" in body
    assert "1 represented by a substitute" in body
    assert "✨ Every member was there or sent a substitute — a full room." in body
    assert "Full attendance" not in body


def hostile_record(names: list[str]) -> SessionRecord:
    """Any text where a name goes: renderers must defuse what a chapter file or a correction
    could put there, not only what assembly's name cleaning lets through."""
    base = records.chapter_session()
    visitor = next(a for a in base.attendees if a.attendance is Attendance.VISITOR)
    guests = tuple(dataclasses.replace(visitor, person=name) for name in names)
    feature = dataclasses.replace(base.turns[-1], person=names[0])
    sub = dataclasses.replace(base.attendees[-3], person=names[-1], substitute_for=names[0])
    return dataclasses.replace(
        base,
        chapter=names[0],
        attendees=(*base.attendees[:-3], sub, *guests),
        turns=(*base.turns[:-1], feature),
    )


@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=4))
def test_no_display_name_can_produce_a_mention(names: list[str]) -> None:
    text = public_text(reports.recap(hostile_record(names)))
    assert "@" not in text
    # Every Markdown control character coming from a name is escaped.
    for name in names:
        for ch in set(name) & set("*_`~|[]()>#"):
            assert f"\\{ch}" in text, (name, ch)


def test_an_unnamed_feature_speaker_is_thanked_without_a_name() -> None:
    record = records.chapter_session()
    feature = dataclasses.replace(record.turns[-1], person=None, label="Farid Haddad (phone)")
    body = reports.recap(
        dataclasses.replace(record, turns=(*record.turns[:-1], feature)), timezone=TZ
    ).body
    assert "thank you to our presenter for 10 min on their business!" in body
    assert "Farid" not in body
