"""Every Post fits where it is published: Discord's embed limits, even for a 60-member chapter.

discord.py does not enforce these (Discord's API refuses the whole message), so the renderers
keep well inside them and the publishers only check.
"""

from __future__ import annotations

import dataclasses

import pytest
import records

import reports
from meetbot.domain.record import SessionRecord
from reports import Post

TITLE, DESCRIPTION, FIELDS, FIELD_NAME, FIELD_VALUE, FOOTER, TOTAL = (
    256, 4096, 25, 256, 1024, 2048, 6000,
)  # fmt: skip


def assert_fits(post: Post) -> None:
    assert len(post.title) <= TITLE
    assert len(post.body) <= DESCRIPTION
    assert len(post.fields) <= FIELDS
    assert all(len(f.name) <= FIELD_NAME and len(f.value) <= FIELD_VALUE for f in post.fields)
    assert len(post.footer) <= FOOTER
    total = len(post.title) + len(post.body) + len(post.footer)
    assert total + sum(len(f.name) + len(f.value) for f in post.fields) <= TOTAL


def big() -> list[SessionRecord]:
    return [records.large_session(60, weeks) for weeks in range(6)]


def test_a_big_chapter_s_recap_and_cards_fit() -> None:
    latest, *earlier = big()
    assert_fits(reports.recap(latest))
    # The members' names are all as long here, so one card of each kind of attendance (late,
    # absent, visitor...) and a spread of the rest stand for all 63 (each card renders two
    # pictures: all of them took half a minute of the suite).
    kinds = {a.attendance: a for a in reversed(latest.attendees)}
    people = dict.fromkeys(a.person for a in (*kinds.values(), *latest.attendees[::10]))
    for person in people:
        assert_fits(reports.member_card(latest, person, earlier))
    assert len(kinds) >= 4


def test_a_big_chapter_s_detail_travels_as_a_file() -> None:
    post = reports.comparison(big(), detail=True)
    assert_fits(post)
    assert "60 members: see comparison-members.txt." in post.body
    chart, members = post.attachments
    assert chart.filename == "comparison.png"
    lines = members.data.decode("utf-8").splitlines()
    assert len(lines) == 61  # header + every member, full names
    assert lines[1].startswith("Member Number 00 Longname-Doublebarrel  ")


def test_a_small_chapter_s_detail_stays_inline() -> None:
    sessions = [records.chapter_session(), *records.earlier_sessions()]
    post = reports.comparison(sessions, detail=True)
    assert_fits(post)
    assert [a.filename for a in post.attachments] == ["comparison.png"]


@pytest.mark.parametrize("name", ["Profit $$ Club", "Only $ one", "$\\frac{1", "x" * 300])
def test_any_chapter_name_renders(name: str) -> None:
    record = dataclasses.replace(records.small_session(), chapter=name)
    post = reports.comparison([record])
    assert_fits(post)
    assert post.attachments[0].data.startswith(b"\x89PNG")
