"""The member's own pictures on their private card: their meeting and their recent scores."""

from __future__ import annotations

import dataclasses
import math

import records
from figure_facts import all_axes, figure_texts
from matplotlib.figure import Figure

import reports
from meetbot.domain.record import SessionRecord
from reports import own_picture, palette
from reports.member_trend import recent_scores
from reports.summary import find

TZ = records.TIMEZONE


def meeting() -> SessionRecord:
    return records.chapter_session()


def picture(person: str, record: SessionRecord | None = None) -> Figure | None:
    record = record or meeting()
    attendee = find(record, person)
    assert attendee is not None
    return own_picture.meeting_figure(record, attendee, timezone=TZ)


def test_their_strip_under_the_turns_with_the_counted_time_shaded() -> None:
    fig = picture(records.CAMERA_OFF)
    assert fig is not None
    band, strip = all_axes(fig)
    assert figure_texts(fig) == [
        "Your meeting on Tuesday 3 March 2026",
        "Attentive for 9 of 15 minutes of the shaded time (others' turns that could be judged).",
    ]
    assert "you" in band.texts  # her own turn is labelled first, whatever is next to it
    assert "#dddddd" in band.fills  # her own turn and the chair's are not counted: faded
    assert palette.MEMBER_TURN in band.fills
    assert palette.FEATURE_TURN in band.fills
    assert palette.CHAIR_TURN not in band.fills
    assert strip.yticks == ["you"]  # one row: hers, nobody else's
    assert strip.legend == [
        "engaged",
        "looking away",
        "camera off",
        "could not tell",  # a minute the detector could not read her
        "others' turns you were scored on",
    ]
    assert {palette.ENGAGED, palette.LOOKING_AWAY, palette.CAMERA_OFF} <= strip.fills
    assert strip.xticks[0] == "06:45"


def test_the_counted_time_is_exactly_what_the_score_counted() -> None:
    fig = picture("Jon Park")
    assert fig is not None
    strip = fig.axes[1]
    shaded = sum(
        (p.get_x() + p.get_width()) - p.get_x()
        for p in strip.patches
        if p.get_alpha() == own_picture.COUNTED_ALPHA
    )
    jon = find(meeting(), "Jon Park")
    assert jon is not None
    assert jon.score is not None
    # Others' member and feature turns while he was connected: 45 min 15 s in this record.
    others = sum(
        t.duration for t in meeting().turns if t.person != "Jon Park" and t.kind != "chair"
    )
    assert math.isclose(shaded * 60, others, abs_tol=1e-6)


def test_no_picture_where_there_is_nothing_of_theirs_to_draw() -> None:
    assert picture("Zoe Li") is None  # a visitor is not scored
    assert picture("Ines Duarte") is None  # absent
    assert picture("Farid Haddad") is None  # opted out
    assert picture("Jon Park", dataclasses.replace(meeting(), spans=())) is None  # purged


def test_the_trend_is_their_own_scores_with_a_gap_not_a_zero() -> None:
    record = meeting()
    grace = find(record, records.CAMERA_OFF)
    assert grace is not None
    points = recent_scores(record, grace, records.earlier_sessions())
    fig = own_picture.trend_figure(points, timezone=TZ)
    assert fig is not None
    (ax,) = all_axes(fig)
    assert ax.title == "Your listening score, last 5 meetings"
    assert ax.xticks[-1] == "3 Mar 2026\n(this one)"
    assert "no score" in ax.texts  # 17 Feb: no score that week
    line = fig.axes[0].lines[0]
    ys = list(line.get_ydata())
    assert [round(y) for y in ys if not math.isnan(y)] == [83, 77, 77, 61]
    assert sum(math.isnan(y) for y in ys) == 1


def test_no_trend_line_from_a_single_score() -> None:
    record = meeting()
    jon = find(record, "Jon Park")
    assert jon is not None
    assert own_picture.trend_figure(recent_scores(record, jon, ())) is None


def test_the_card_carries_the_pictures_that_apply() -> None:
    def names(person: str) -> list[str]:
        card = reports.member_card(meeting(), person, records.earlier_sessions(), timezone=TZ)
        for a in card.attachments:
            assert a.data.startswith(b"\x89PNG")
            assert a.content_type == "image/png"
        return [a.filename for a in card.attachments]

    assert names("Jon Park") == ["your-meeting.png", "your-trend.png"]
    assert names("Ines Duarte") == ["your-trend.png"]  # absent now: earlier scores only
    assert names("Zoe Li") == []
