"""The lead comparison: sessions side by side, trends, a chart; detail only for large groups."""

from __future__ import annotations

import re

import pytest
import records

import reports
from meetbot.domain.record import SessionRecord
from reports import Audience, Post

TZ = records.TIMEZONE


def sessions() -> list[SessionRecord]:
    return [records.chapter_session(), *records.earlier_sessions()]


def test_is_for_leads_with_the_chart_attached() -> None:
    post = reports.comparison(sessions(), timezone=TZ)
    assert post.audience is Audience.LEADS
    assert post.title == "Chapter comparison — 3 Feb 2026 to 3 Mar 2026"
    (chart,) = post.attachments
    assert chart.filename == "comparison.png"
    assert chart.content_type == "image/png"
    assert chart.data == reports.chart_png(sessions(), timezone=TZ)


def table_rows(post: Post) -> list[list[str]]:
    block = post.body.split("```text\n")[1].split("\n```")[0]
    return [re.split(r"\s{2,}", line.strip()) for line in block.splitlines()]


def test_sessions_side_by_side_oldest_first() -> None:
    rows = table_rows(reports.comparison(list(reversed(sessions())), timezone=TZ))
    assert rows[0] == ["date", "attendance", "late", "listening", "turns", "visitors"]
    assert [r[0] for r in rows[1:]] == [
        "3 Feb 2026",
        "10 Feb 2026",
        "17 Feb 2026",
        "24 Feb 2026",
        "3 Mar 2026",
    ]
    # 3 Mar: 7 there + 1 represented of 9; 1 late; room 81%; 9 member turns; 2 visitors.
    assert rows[-1] == ["3 Mar 2026", "89%", "1", "81%", "9", "2"]


def test_trends_run_from_first_to_latest() -> None:
    body = reports.comparison(sessions(), timezone=TZ).body
    assert "- Attendance: 89% → 89% (steady)" in body
    assert "- Room listening: 83% → 81% (down 2 points)" in body
    assert "- Visitors: 5 visitors over these sessions" in body


def test_no_member_detail_unless_asked() -> None:
    body = reports.comparison(sessions(), timezone=TZ).body
    assert "Grace Kim" not in body
    assert "**Members**" not in body


def test_detail_is_alphabetical_not_a_ranking() -> None:
    body = reports.comparison(sessions(), detail=True, timezone=TZ).body
    block = body.split("**Members**")[1].split("```text\n")[1].split("\n```")[0]
    names = [re.split(r"\s{2,}", line)[0] for line in block.splitlines()[1:]]
    assert names == sorted(names, key=str.casefold)
    assert "Grace Kim       5 of 5            75%     61%" in block
    # Represented by a substitute on 17 Feb and absent now: there in person 2 of 5 times.
    assert "Ines Duarte     2 of 5            83%       —" in block
    # Guests and opted-out members are not listed.
    for absent in ("Sam Jones", "Zoe Li", "Farid Haddad", "Visitor One"):
        assert absent not in body


def test_detail_is_refused_for_a_small_group() -> None:
    body = reports.comparison([records.small_session()], detail=True).body
    assert "Ann Lee" not in body
    assert "Per-member detail is shown only for groups of at least 5 members; this one has 3" in (
        body
    )
    assert (
        reports.comparison([records.small_session()], detail=True, min_group=3).body.count(
            "Ann Lee"
        )
        == 1
    )


def test_room_listening_is_withheld_when_few_were_scored() -> None:
    rows = table_rows(reports.comparison([records.small_session()]))
    assert rows[1][3] == "—"


def test_no_records_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="comparison needs at least one session record"):
        reports.comparison([])
