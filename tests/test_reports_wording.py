"""Shared phrasing: durations, dates and names read the same in every report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from meetbot.language import Language
from reports import wording


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (-3, "0 s"),
        (44.6, "45 s"),
        (59.4, "59 s"),
        (59.6, "1 min"),
        (75, "1 min 15 s"),
        (120, "2 min"),
        (599, "9 min 59 s"),
        (600, "10 min"),
        (2460, "41 min"),
        (2489, "41 min"),
        (3600, "1 h"),
        (5400, "1 h 30 min"),
        (3929, "1 h 5 min"),
    ],
)
def test_duration(seconds: float, text: str) -> None:
    assert wording.duration(seconds) == text


@pytest.mark.parametrize(
    ("part", "whole", "text"),
    [
        (2460, 2820, "41 of 47 minutes"),
        (40, 300, "40 s of 5 min"),
        (50, 590, "50 s of 9 min 50 s"),
    ],
)
def test_minutes_pair(part: float, whole: float, text: str) -> None:
    assert wording.minutes_pair(part, whole) == text


def test_dates_use_the_chapter_timezone_and_no_locale() -> None:
    moment = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    assert wording.long_date(moment, "UTC") == "Wednesday 1 July 2026"
    assert wording.long_date(moment, "Europe/Berlin") == "Thursday 2 July 2026"
    assert wording.short_date(moment, "Europe/Berlin") == "2 Jul 2026"
    assert wording.clock(moment, "Europe/London") == "00:30"


def test_a_naive_datetime_is_taken_as_utc() -> None:
    assert wording.clock(datetime(2026, 1, 1, 12, 0), "Asia/Tokyo") == "21:00"


def test_percent_and_score_never_invent_a_zero() -> None:
    assert wording.percent(None) == "—"
    assert wording.score(None) == "not enough data"
    assert wording.percent(82.5) == "83%"
    assert wording.score(0.0) == "0 / 100"  # a real zero stays a zero


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("@everyone", "＠everyone"),
        ("<@123456>", "<＠123456\\>"),
        ("**Bold** _it_", "\\*\\*Bold\\*\\* \\_it\\_"),
        ("[click](http://x)", "\\[click\\]\\(http\\://x\\)"),
        ("line\nbreak\t tab", "line break tab"),
        ("   ", "\\(no name\\)"),
    ],
)
def test_md_name(raw: str, safe: str) -> None:
    assert wording.md_name(raw) == safe


def test_joined_lists() -> None:
    assert wording.joined(["A"]) == "A"
    assert wording.joined(["A", "B"]) == "A and B"
    assert wording.joined(["A", "B", "C"]) == "A, B and C"


def test_durations_lists_and_scores_in_the_chapters_language() -> None:
    de, fr = Language.of("de"), Language.of("fr")
    assert wording.duration(90, de) == "1 Min. 30 Sek."
    assert wording.duration(5400, de) == "1 Std. 30 Min."
    assert wording.minutes_pair(2460, 2820, de) == "41 von 47 Minuten"
    assert wording.minutes_pair(944, 976, de) == "15 Min. 44 Sek. von 16 Min. 16 Sek."
    assert wording.joined(["A", "B", "C"], fr) == "A, B et C"
    assert wording.score(None, fr) == "données insuffisantes"
    assert wording.long_date(datetime(2026, 12, 8, 23, 30, tzinfo=UTC), "Europe/Berlin", de) == (
        "Mittwoch, 9. Dezember 2026"
    )
