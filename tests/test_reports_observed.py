"""Each person's observed share in the organiser's report: the share of their connected time the
bot had their picture and could read it. Off the gallery page (a platform that shows only
some tiles at a time), after the bot's own connection dropped, or with nothing readable, the
time is unknown: it is shown as not observed and counts against nobody.

Records come from the real pipeline (tests/scripted_meeting.py), as the other report tests'.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import records
from html_text import visible
from scripted_meeting import Connection, record

import reports
from meetbot.domain.chapter import Chapter, Member
from meetbot.domain.record import SessionRecord
from reports.organiser import organiser_report
from reports.summary import observed_share

TZ = records.TIMEZONE


def gallery_meeting() -> SessionRecord:
    """Six members; the bot's gallery shows some of them only part of the time."""
    roster = tuple(Member(n) for n in ("Amy", "Bea", "Cid", "Dee", "Eli", "Fay"))
    chapter = Chapter(name="Paging Chapter", timezone="UTC", roster=roster)
    script = (
        Connection("Amy", speaks=((100, 160),)),
        # Out of view half the meeting: shown as 50% observed, never as absent.
        Connection("Bea", unseen=((500, 1000),), speaks=((200, 260),)),
        # Looked away for a while: that is observed, and it is not "unknown".
        Connection("Cid", away=((300, 400),)),
        # Joined late and left early: the share is of the time connected, not of the meeting.
        Connection("Dee", joined=200, left=600, unseen=((200, 400),)),
        Connection("Eli", camera_off=((0, 500),)),
        # Fay never comes.
    )
    start = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    return record("2026-03-10-paging", chapter, start, script, 1000.0)


def by_person(meeting: SessionRecord) -> dict[str, float | None]:
    return {a.person: observed_share(a) for a in meeting.attendees}


def test_observed_share_is_the_connected_time_not_unknown() -> None:
    shares = by_person(gallery_meeting())
    # The last reading before the gap (the script reads every 4 s: at 496 s) holds for
    # timeline.stale_after_s (5 s).
    last_seen = 496.0 + 5.0
    assert shares["Amy"] == pytest.approx(1.0)
    assert shares["Bea"] == pytest.approx(last_seen / 1000)
    assert shares["Cid"] == pytest.approx(1.0)  # looking away was seen
    assert shares["Eli"] == pytest.approx(1.0)  # so was the camera being off
    assert shares["Dee"] == pytest.approx(200 / 400)  # unknown from joining, of 400 s there
    assert shares["Fay"] is None  # never connected: no share, not 0%


def test_the_organiser_report_shows_it_per_person_and_says_it_counts_against_nobody() -> None:
    meeting = gallery_meeting()
    report = organiser_report(meeting, min_group=5)
    rows = {r.person: r.observed for r in report.attendees}
    assert rows == {"Amy": "100%", "Bea": "50%", "Cid": "100%", "Dee": "50%", "Eli": "100%",
                    "Fay": "—"}  # fmt: skip
    md = reports.markdown_report(meeting, min_group=5)
    html = visible(reports.html_report(meeting, min_group=5))
    for text in (md, html):
        assert "Observed" in text
        assert "never counted against anyone" in text
    assert "| Bea | present | 18:00 | — | 17 min | 8 min 21 s | 1 min | 50% |" in md
    assert "Bea present 18:00 — 17 min 8 min 21 s 1 min 50%" in " ".join(html.split())


def test_small_groups_get_no_individual_shares() -> None:
    """Below reports.min_group_for_detail members no individual figure is shown: this one
    neither, though it is about meetbot rather than the person."""
    for meeting, min_group in ((gallery_meeting(), 7), (records.small_session(), 5)):
        report = organiser_report(meeting, min_group=min_group)
        assert {r.observed for r in report.attendees} == {"—"}
        md = reports.markdown_report(meeting, min_group=min_group)
        html = visible(reports.html_report(meeting, min_group=min_group))
        for text in (md, html):
            assert "Observed" not in text
            assert "observed shares are not shown" in text


def test_the_public_recap_never_carries_it() -> None:
    meeting = gallery_meeting()
    post = reports.recap(meeting, timezone="UTC")
    public = " ".join([post.title, post.body, *(f.value for f in post.fields), post.footer])
    assert "observed" not in public.casefold()
    assert "50%" not in public
