"""The private member card: own figures only, each explained, never a zero for missing data."""

from __future__ import annotations

import dataclasses
import re

import records

import reports
from meetbot.domain.record import ListeningScore
from reports import Audience, Post

TZ = records.TIMEZONE


def card(person: str, history: bool = True) -> Post:
    earlier = records.earlier_sessions() if history else ()
    return reports.member_card(records.chapter_session(), person, earlier, timezone=TZ)


def everything(post: Post) -> str:
    return "\n".join([post.title, post.body, post.footer, *(f.value for f in post.fields)])


def field(post: Post, name: str) -> str:
    return next(f.value for f in post.fields if f.name == name)


def test_explains_the_score_in_minutes() -> None:
    post = card("Grace Kim")
    assert post.audience is Audience.MEMBER
    assert field(post, "Listening score") == "61 / 100"
    # 555 of 915 s attentive; 360 s camera off; 59 s of the 974 s could not be judged.
    assert (
        "attentive for 9 of 15 minutes of other members' turns; camera off 6 min; "
        "59 s could not be judged." in post.body
    )
    assert field(post, "Your turn") == "59 s"


def test_camera_off_is_a_fact_not_a_verdict() -> None:
    text = everything(card("Grace Kim")).lower()
    assert "camera off 6 min" in text
    for verdict in ("distracted", "disengaged", "rude", "poor", "bad", "lazy", "should"):
        assert not re.search(rf"\b{verdict}\b", text), verdict


def test_a_camera_accommodation_is_respected() -> None:
    post = card("Dev Patel")
    assert "camera off 5 min (not counted: camera accommodation)" in post.body
    assert "Your camera accommodation applies: camera-off time is left out entirely." in post.body
    assert "camera-off count as not attentive" not in post.body
    assert "could not be judged" not in post.body  # the 300 s excluded are the camera's


def test_not_enough_data_is_never_a_zero() -> None:
    post = card("Hiro Tanaka")
    text = everything(post)
    assert field(post, "Listening score") == "not enough data"
    assert "**Not enough data** for a listening score this time." in post.body
    assert "Judged: 33 s of 7 min 13 s of other members' turns." in post.body
    assert not re.search(r"(?<![\d.])0 ?(/ ?100|%)", text)


def test_a_score_object_without_value_is_not_enough_data() -> None:
    record = records.chapter_session()
    empty = ListeningScore(None, 0.0, 0.0, 0.0, 0.0, reason="not_enough_data")
    attendees = tuple(
        dataclasses.replace(a, score=empty) if a.person == "Jon Park" else a
        for a in record.attendees
    )
    post = reports.member_card(dataclasses.replace(record, attendees=attendees), "Jon Park")
    assert field(post, "Listening score") == "not enough data"
    assert "0 / 100" not in everything(post)


def test_trend_compares_with_the_member_s_own_recent_sessions() -> None:
    # Grace: 83, 77, (no score), 77 before; 61 now (she looks away only in her own turn).
    assert field(card("Grace Kim"), "Trend") == (
        "Below your recent average of 79 (last 3: 83, 77, 77)"
    )
    assert field(card("Jon Park"), "Trend").startswith("About the same as")
    assert field(card("Jon Park", history=False), "Trend") == (
        "No earlier scores yet: the trend starts with your next meeting."
    )


def test_trend_ignores_the_same_session_and_later_ones() -> None:
    record = records.chapter_session()
    later = dataclasses.replace(
        records.earlier_sessions()[0],
        session_id="later",
        started_at=record.started_at.replace(year=2027),
    )
    post = reports.member_card(record, "Grace Kim", (record, later), timezone=TZ)
    assert field(post, "Trend").startswith("No earlier scores yet")


def test_tells_how_to_opt_out_or_dispute() -> None:
    footer = card("Jon Park").footer
    assert "/meetbot optout" in footer
    assert "If a figure looks wrong, tell a chapter lead" in footer
    assert "2026-03-03-riverside" in footer


def test_shows_only_the_member_s_own_figures() -> None:
    text = everything(card("Jon Park"))
    for other in ("Grace", "Dev", "Erin", "Alice", "Chloé", "Sam", "Zoe"):
        assert other not in text


def test_someone_not_in_the_record_gets_a_clear_refusal() -> None:
    post = card("Nobody Here")
    assert post.title == "No figures for you on Tuesday 3 March 2026"
    assert "Nobody Here is not in the record of this meeting" in post.body
    assert "aliases" in post.body
    assert not post.fields


def test_finds_a_member_by_any_case_or_display_name() -> None:
    assert field(card("grace kim"), "Listening score") == "61 / 100"
    assert field(card("Erin O'Brien | Acme"), "Listening score") == "64 / 100"


def test_opted_out_member_gets_no_figures() -> None:
    post = card("Farid Haddad")
    assert "nothing about you was analysed" in post.body
    assert not post.fields


def test_visitors_are_told_scores_are_for_members() -> None:
    post = card("Zoe Li")
    assert "Listening scores are kept for chapter members only" in post.body
    assert [f.name for f in post.fields] == ["Your turn"]


def test_a_hostile_unknown_name_is_defused() -> None:
    post = reports.member_card(records.chapter_session(), "@everyone [x](http://a)")
    assert "@" not in post.body
    assert "\\[x\\]\\(http\\:" in post.body
