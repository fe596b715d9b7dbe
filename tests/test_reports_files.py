"""The organiser's files: a self-contained HTML page, Markdown, and a CSV row per attendee."""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import re
from html.parser import HTMLParser

import records

import reports
from meetbot.domain.states import Attendance, State

TZ = records.TIMEZONE


class Resources(HTMLParser):
    """Every URL-bearing attribute and every tag, to prove the page loads nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.urls += [v or "" for k, v in attrs if k in {"src", "href", "srcset", "action"}]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def html() -> str:
    return reports.html_report(records.chapter_session(), records.earlier_sessions(), timezone=TZ)


def test_html_is_self_contained() -> None:
    page = html()
    parsed = Resources()
    parsed.feed(page)
    assert parsed.tags.isdisjoint({"script", "link", "iframe", "object", "embed", "base"})
    assert len(parsed.urls) == 2  # the meeting at a glance and the chart over time
    assert all(url.startswith("data:image/png;base64,") for url in parsed.urls)
    assert "url(" not in page  # no CSS fetches either
    assert "@import" not in page


def test_html_embeds_the_chart_of_history_and_session() -> None:
    uri = re.search(r'per session"[^>]*src="data:image/png;base64,([^"]+)"', html())
    assert uri is not None
    expected = reports.chart_png(
        [records.chapter_session(), *records.earlier_sessions()], timezone=TZ
    )
    assert base64.b64decode(uri.group(1)) == expected


def test_html_escapes_names() -> None:
    record = records.chapter_session()
    evil = dataclasses.replace(record.attendees[-1], person="<script>alert(1)</script>")
    page = reports.html_report(dataclasses.replace(record, attendees=(*record.attendees, evil)))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_html_and_markdown_show_the_same_rows() -> None:
    parsed = Resources()
    parsed.feed(html())
    text = " ".join(parsed.text)
    md = reports.markdown_report(records.chapter_session(), records.earlier_sessions(), timezone=TZ)
    for phrase in (
        "attentive for 9 of 15 minutes of other members' turns; camera off 6 min",
        "present (joined late)",
        "substitute for Bob Nguyen",
        "06:54",
        "Room listening",
    ):
        assert phrase in text
        assert phrase in md


def test_markdown_table_cells_cannot_be_broken_by_a_name() -> None:
    record = records.chapter_session()
    pipe = dataclasses.replace(record.attendees[-1], person="A | B")
    md = reports.markdown_report(dataclasses.replace(record, attendees=(*record.attendees, pipe)))
    row = next(line for line in md.splitlines() if line.startswith("| A "))
    assert row.startswith("| A \\| B | visitor |")


def rows() -> list[dict[str, str]]:
    return list(
        csv.DictReader(io.StringIO(reports.csv_report(records.chapter_session(), timezone=TZ)))
    )


def test_csv_has_one_row_per_attendee_with_every_state() -> None:
    found = rows()
    record = records.chapter_session()
    assert [r["person"] for r in found] == [a.person for a in record.attendees]
    for state in State:
        assert f"{state.value}_s" in found[0]
    grace = next(r for r in found if r["person"] == records.CAMERA_OFF)
    assert grace["camera_off_s"] == "360.0"
    assert grace["camera_on_s"] == "4981.0"  # 59 s nobody could tell are not counted as on
    assert grace["unknown_s"] == "59.0"
    assert grace["listening_score"] == "60.7"
    assert grace["joined"] == "2026-03-03T06:45:00+00:00"


def test_csv_leaves_missing_scores_empty_never_zero() -> None:
    hiro = next(r for r in rows() if r["person"] == "Hiro Tanaka")
    assert hiro["listening_score"] == ""
    assert hiro["score_note"] == "not_enough_data"
    absent = next(r for r in rows() if r["attendance"] == Attendance.ABSENT.value)
    assert absent["joined"] == absent["listening_score"] == ""


def test_csv_times_follow_the_chapter_timezone() -> None:
    text = reports.csv_report(records.chapter_session(), timezone="America/New_York")
    assert "2026-03-03T01:45:00-05:00" in text


def test_csv_defuses_spreadsheet_formulas() -> None:
    record = records.chapter_session()
    formula = dataclasses.replace(record.attendees[-1], person="=HYPERLINK(1)")
    text = reports.csv_report(dataclasses.replace(record, attendees=(formula,)))
    (row,) = csv.DictReader(io.StringIO(text))
    assert row["person"] == "'=HYPERLINK(1)"
