"""A member away who sent a substitute, as the real pipeline records it, in every report.

Roster A, B and C; C lists D as a substitute; D comes, C does not. The domain marks C
`substitute` (PALMS "S": away but represented) and D a `substitute` guest standing in for C.
"""

from __future__ import annotations

from datetime import UTC, datetime

from meetbot.domain.assemble import assemble
from meetbot.domain.chapter import Chapter, Member
from meetbot.domain.events import Event, Observation, ParticipantId, ParticipantJoined
from meetbot.domain.header import SessionHeader
from meetbot.domain.record import SessionRecord
from meetbot.domain.settings import DomainSettings
from meetbot.domain.states import Attendance, Role, State
from reports import comparison, markdown_report, member_card, recap
from reports.organiser import organiser_report
from reports.summary import summarize

END = 1200.0
CHAPTER = Chapter(
    name="Riverside",
    roster=(Member("Ann Lee"), Member("Bo Chen"), Member("Cy Diaz", substitutes=("Dee Fox",))),
)


def meeting(*present: str) -> SessionRecord:
    events: list[Event] = []
    for i, name in enumerate(present):
        pid = ParticipantId(f"feed-{i}")
        events.append(ParticipantJoined(0.0, pid, name))
        events += [Observation(float(t), pid, State.ENGAGED) for t in range(0, int(END), 2)]
    header = SessionHeader(
        "2026-03-03-riverside", CHAPTER, datetime(2026, 3, 3, 7, 0, tzinfo=UTC), "janus", "1"
    )
    return assemble(header, events, settings=DomainSettings(), end_at=END)


def test_the_pipeline_marks_the_member_represented_and_the_guest_standing_in() -> None:
    by_name = {a.person: a for a in meeting("Ann Lee", "Bo Chen", "Dee Fox").attendees}
    cy, dee = by_name["Cy Diaz"], by_name["Dee Fox"]
    assert (cy.attendance, cy.role, cy.substitute_for) == (Attendance.SUBSTITUTE, Role.MEMBER, None)
    assert (dee.attendance, dee.role, dee.substitute_for) == (
        Attendance.SUBSTITUTE,
        Role.VISITOR,
        "Cy Diaz",
    )


def test_the_represented_member_counts_as_covered_and_the_substitute_as_the_guest() -> None:
    s = summarize(meeting("Ann Lee", "Bo Chen", "Dee Fox"))
    assert (s.members, s.attended, s.covered, s.absent) == (3, 2, 1, 0)
    assert [(x.name, x.substitute_for) for x in s.substitutes] == [("Dee Fox", "Cy Diaz")]
    assert s.attendance_rate == 100.0


def test_the_public_recap_thanks_the_substitute_and_counts_the_member() -> None:
    body = recap(meeting("Ann Lee", "Bo Chen", "Dee Fox")).body
    assert "**Attendance:** 2 of 3 members there · 1 represented by a substitute · 0 absences" in (
        body
    )
    assert "**Thank you for standing in:** Dee Fox (for Cy Diaz)" in body
    assert "Full attendance" not in body
    assert "Every member was there or sent a substitute" in body


def test_without_the_substitute_the_member_is_absent() -> None:
    body = recap(meeting("Ann Lee", "Bo Chen")).body
    assert "2 of 3 members there" in body
    assert "1 absence" in body
    assert "standing in" not in body


def test_the_organiser_report_lists_the_member_as_represented_not_as_a_guest() -> None:
    record = meeting("Ann Lee", "Bo Chen", "Dee Fox")
    report = organiser_report(record, min_group=1)
    facts = dict(report.facts)
    assert facts["Members there"] == "2 of 3"
    assert facts["Represented by a substitute"] == "1"
    assert facts["Absent"] == "0"
    rows = [(r.person, r.attendance, r.present) for r in report.attendees]
    # Members first (the represented one with them, nothing measured), then the guest.
    assert rows == [
        ("Ann Lee", "present", "20 min"),
        ("Bo Chen", "present", "20 min"),
        ("Cy Diaz", "away, represented by a substitute", "—"),
        ("Dee Fox", "substitute for Cy Diaz", "20 min"),
    ]
    assert "| Cy Diaz | away, represented by a substitute |" in markdown_report(record)


def test_the_represented_members_card_says_so_and_keeps_their_trend() -> None:
    card = member_card(meeting("Ann Lee", "Bo Chen", "Dee Fox"), "Cy Diaz")
    assert card.body.startswith("Attendance: **away, represented by a substitute**")
    assert "thank you for joining us" not in card.body
    assert [f.name for f in card.fields] == ["Trend"]


def test_the_lead_comparison_keeps_the_represented_member_among_members() -> None:
    sessions = (meeting("Ann Lee", "Bo Chen", "Dee Fox"),)
    text = comparison(sessions, detail=True, min_group=1).body
    assert "Cy Diaz" in text
    assert "Dee Fox" not in text


def test_a_substitute_named_in_their_display_name_is_thanked_in_the_recap() -> None:
    # "Sub" is Pat's surname; the hint in brackets names Cy by first name, in lower case.
    record = meeting("Ann Lee", "Bo Chen", "Pat Sub (sub for cy)")
    pat = next(a for a in record.attendees if a.person == "Pat Sub")
    assert (pat.attendance, pat.substitute_for) == (Attendance.SUBSTITUTE, "Cy Diaz")
    body = recap(record).body
    assert "**Thank you for standing in:** Pat Sub (for Cy Diaz)" in body
    assert "1 represented by a substitute · 0 absences" in body
    assert "visitor" not in body.casefold()


def test_a_substitute_for_someone_not_on_the_roster_stays_a_visitor() -> None:
    record = meeting("Ann Lee", "Bo Chen", "Pat Sub (sub for Zed)")
    pat = next(a for a in record.attendees if a.person == "Pat Sub")
    assert (pat.attendance, pat.substitute_for) == (Attendance.VISITOR, None)
    assert "standing in" not in recap(record).body
