"""The private member card: one person's own figures, each one explained.

Only the member sees it. The score explains itself in minutes ("attentive for 41 of 47 minutes
of other members' turns"), camera-off is stated as a fact with no judgement, an agreed camera
accommodation is named as such, and missing data says "not enough data", never zero. Two
pictures go with it (reports.own_picture): their own meeting, and their recent scores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from meetbot.domain.record import Attendee, ListeningScore, SessionRecord
from meetbot.domain.states import Attendance
from reports import wording
from reports.member_trend import earlier_scores
from reports.own_picture import card_pictures
from reports.post import Audience, Field, Post
from reports.summary import find, is_late, left_early, represented, stands_in

# Within this many points of the recent average, a score is "about the same".
STEADY_POINTS = 3.0

FORMULA = (
    "How it is worked out: while other members (the feature presenter included) had the floor "
    "and you were connected, the share of time you were engaged, out of the time the bot could "
    "tell. Looking away, an empty chair and camera-off count as not attentive; moments it "
    "could not tell count neither way. The chair's remarks and your own turn do not count."
)
FORMULA_EXEMPT = (
    "How it is worked out: while other members (the feature presenter included) had the floor "
    "and you were connected, the share of time you were engaged, out of the time the bot could "
    "tell. Your camera accommodation applies: camera-off time is left out entirely. The "
    "chair's remarks and your own turn do not count."
)

ATTENDANCE_WORDS = {
    Attendance.PRESENT: "present",
    Attendance.LATE: "present",
    Attendance.LEFT_EARLY: "present",
    Attendance.ABSENT: "absent",
    Attendance.SUBSTITUTE: "substitute",
    Attendance.VISITOR: "visitor",
    Attendance.OPTED_OUT: "opted out",
}


def _guest(a: Attendee) -> bool:
    """Visitors and the substitutes who stood in (not the members they stood in for)."""
    return a.attendance is Attendance.VISITOR or stands_in(a)


REASONS = {
    "opted_out": "You have opted out, so nothing about you was analysed.",
    "not_enough_data": ("Too little of other members' turns could be judged to give a fair score."),
}


def member_card(
    record: SessionRecord,
    person: str,
    history: Sequence[SessionRecord] = (),
    *,
    timezone: str = "UTC",
) -> Post:
    """`person`'s private card for `record`; `history` holds earlier sessions for the trend.

    A person who is not in the record gets a card that says so and what to do, never someone
    else's figures.
    """
    date = wording.long_date(record.started_at, timezone)
    attendee = find(record, person)
    if attendee is None:
        return Post(
            audience=Audience.MEMBER,
            title=f"No figures for you on {date}",
            body=(
                f"{wording.md_name(person)} is not in the record of this meeting. If you joined "
                "under another display name, ask a chapter lead to add it to your aliases; the "
                "next sessions will then find you."
            ),
            footer=_footer(record),
        )
    if attendee.attendance is Attendance.OPTED_OUT:
        return Post(
            audience=Audience.MEMBER,
            title=f"Your meeting on {date}",
            body=REASONS["opted_out"] + " To opt back in, ask a chapter lead.",
            footer="Only you can see this.",
        )
    pictures = card_pictures(record, attendee, history, timezone=timezone)
    lines = [f"Attendance: **{attendance_words(attendee, wording.md_name)}**", ""]
    trend = Field("Trend", _trend(record, attendee, history))
    if attendee.attendance is Attendance.ABSENT or represented(attendee):
        lines.append("You were not at this meeting, so there is no score for it.")
        fields: tuple[Field, ...] = (trend,)
    else:
        lines.extend(_explain(attendee))
        turn = Field("Your turn", _own_turn(attendee), inline=True)
        if attendee.score is None and _guest(attendee):
            fields = (turn,)  # guests are not scored: no score, and no trend of one
        else:
            score = Field("Listening score", wording.score(_value(attendee.score)), inline=True)
            fields = (score, turn, trend)
    return Post(
        audience=Audience.MEMBER,
        title=f"Your meeting on {date}",
        body="\n".join(lines),
        fields=fields,
        footer=_footer(record),
        attachments=pictures,
    )


def explanation(score: ListeningScore | None) -> str:
    """One sentence that says where the score comes from, for cards, reports and the CSV."""
    if score is None:
        return "not enough data"
    if score.value is None:
        if score.reason == "opted_out":
            return "opted out: not analysed"
        if score.others_turns_s < 1:
            return "not enough data: no other member had a turn while you were connected"
        could = wording.minutes_pair(score.observable_s, score.others_turns_s)
        return f"not enough data: {could} of other members' turns could be judged"
    judged = wording.minutes_pair(score.attentive_s, score.observable_s)
    parts = [f"attentive for {judged} of other members' turns"]
    if score.camera_off_s >= 1:
        off = wording.duration(score.camera_off_s)
        exempt = score.camera_exempt
        parts.append(
            f"camera off {off} (not counted: camera accommodation)"
            if exempt
            else f"camera off {off}"
        )
    # What scoring left out besides an accommodated camera: moments nobody could tell.
    unjudged = score.others_turns_s - score.observable_s
    if score.camera_exempt:
        unjudged -= score.camera_off_s
    if unjudged >= 1:
        parts.append(f"{wording.duration(unjudged)} could not be judged")
    return "; ".join(parts)


def attendance_words(a: Attendee, name: Callable[[str], str] = wording.plain_name) -> str:
    """'present (joined late, left early)', 'substitute for Bob Nguyen', 'absent'."""
    if represented(a):
        return "away, represented by a substitute"
    words = ATTENDANCE_WORDS[a.attendance]
    facts = [w for w, yes in (("joined late", is_late(a)), ("left early", left_early(a))) if yes]
    if facts:
        words += f" ({', '.join(facts)})"
    if a.substitute_for:
        words += f" for {name(a.substitute_for)}"
    return words


def _explain(a: Attendee) -> list[str]:
    score = a.score
    if score is None and _guest(a):
        return ["Listening scores are kept for chapter members only: thank you for joining us."]
    if score is None or score.value is None:
        reason = REASONS.get(score.reason if score else "", REASONS["not_enough_data"])
        lines = [f"**Not enough data** for a listening score this time. {reason}"]
        if score is not None and score.observable_s >= 1:
            judged = wording.minutes_pair(score.observable_s, score.others_turns_s)
            lines.append(f"Judged: {judged} of other members' turns.")
        return lines
    lines = [f"**Listening: {wording.score(score.value)}** — {explanation(score)}."]
    lines.append(FORMULA_EXEMPT if score.camera_exempt else FORMULA)
    return lines


def _own_turn(a: Attendee) -> str:
    if a.turns == 0 or a.own_turn_s <= 0:
        return "no turn recorded"
    if a.turns == 1:
        return wording.duration(a.own_turn_s)
    return f"{wording.duration(a.own_turn_s)} over {a.turns} turns"


def _trend(record: SessionRecord, a: Attendee, history: Sequence[SessionRecord]) -> str:
    past = [p.score for p in earlier_scores(record, a, history) if p.score is not None]
    if not past:
        return "No earlier scores yet: the trend starts with your next meeting."
    listed = ", ".join(str(int(v + 0.5)) for v in past)
    average = sum(past) / len(past)
    recent = f"your recent average of {int(average + 0.5)} (last {len(past)}: {listed})"
    now = _value(a.score)
    if now is None:
        return recent[0].upper() + recent[1:]
    if abs(now - average) <= STEADY_POINTS:
        return f"About the same as {recent}"
    return f"{'Above' if now > average else 'Below'} {recent}"


def _value(score: ListeningScore | None) -> float | None:
    return None if score is None else score.value


def _footer(record: SessionRecord) -> str:
    return (
        "Only you can see this. Opt out any time with /meetbot optout. If a figure looks wrong, "
        f"tell a chapter lead and quote session {record.session_id}: it will be checked "
        "against the record."
    )
