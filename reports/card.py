"""The private member card: one person's own figures, each one explained.

Only the member sees it. The score explains itself in minutes ("attentive for 41 of 47 minutes
of other members' turns"), camera-off is stated as a fact with no judgement, an agreed camera
accommodation is named as such, and missing data says "not enough data", never zero. Two
pictures go with it (reports.own_picture): their own meeting, and their recent scores. Written
in the language asked for (the chapter's, or the member's own), whole sentences from its catalog.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from meetbot.domain.record import Attendee, ListeningScore, SessionRecord
from meetbot.domain.states import Attendance
from meetbot.language import ENGLISH, N_, SOURCE, Language
from reports import wording
from reports.member_trend import earlier_scores
from reports.own_picture import card_pictures
from reports.post import Audience, Field, Post
from reports.summary import find, is_late, left_early, represented, stands_in

# Within this many points of the recent average, a score is "about the same".
STEADY_POINTS = 3.0

FORMULA = N_(
    "How it is worked out: while other members (the feature presenter included) had the floor "
    "and you were connected, the share of time you were engaged, out of the time the bot could "
    "tell. Looking away, an empty chair and camera-off count as not attentive; moments it "
    "could not tell count neither way. The chair's remarks and your own turn do not count."
)
FORMULA_EXEMPT = N_(
    "How it is worked out: while other members (the feature presenter included) had the floor "
    "and you were connected, the share of time you were engaged, out of the time the bot could "
    "tell. Your camera accommodation applies: camera-off time is left out entirely. The "
    "chair's remarks and your own turn do not count."
)

# Note-taking is attention (timeline.looking_down_dwell_s); said on every scored card.
LOOKING_DOWN = N_(
    "Looking down for a few seconds, as when you write a note, counts as attentive; a head "
    "that stays down longer counts as looking away."
)

ATTENDANCE_WORDS = {
    Attendance.PRESENT: N_("present"),
    Attendance.LATE: N_("present"),
    Attendance.LEFT_EARLY: N_("present"),
    Attendance.ABSENT: N_("absent"),
    Attendance.SUBSTITUTE: N_("substitute"),
    Attendance.VISITOR: N_("visitor"),
    Attendance.OPTED_OUT: N_("opted out"),
}


def _guest(a: Attendee) -> bool:
    """Visitors and the substitutes who stood in (not the members they stood in for)."""
    return a.attendance is Attendance.VISITOR or stands_in(a)


REASONS = {
    "opted_out": N_("You have opted out, so nothing about you was analysed."),
    "not_enough_data": N_(
        "Too little of other members' turns could be judged to give a fair score."
    ),
}


def member_card(
    record: SessionRecord,
    person: str,
    history: Sequence[SessionRecord] = (),
    *,
    timezone: str = "UTC",
    language: str = SOURCE,
) -> Post:
    """`person`'s private card for `record` in `language` (a shipped BCP 47 tag); `history`
    holds earlier sessions for the trend.

    A person who is not in the record gets a card that says so and what to do, never someone
    else's figures.
    """
    lang = Language.of(language)
    date = wording.long_date(record.started_at, timezone, lang)
    attendee = find(record, person)
    if attendee is None:
        return Post(
            audience=Audience.MEMBER,
            title=lang.gettext("No figures for you on {date}", date=date),
            body=lang.gettext(
                "{name} is not in the record of this meeting. If you joined under another "
                "display name, ask a chapter lead to add it to your aliases; the next sessions "
                "will then find you.",
                name=wording.md_name(person),
            ),
            footer=_footer(record, lang),
        )
    title = lang.gettext("Your meeting on {date}", date=date)
    if attendee.attendance is Attendance.OPTED_OUT:
        return Post(
            audience=Audience.MEMBER,
            title=title,
            body=lang.gettext(
                "You have opted out, so nothing about you was analysed. To opt back in, ask a "
                "chapter lead."
            ),
            footer=lang.gettext("Only you can see this."),
        )
    pictures = card_pictures(record, attendee, history, timezone=timezone, lang=lang)
    words = attendance_words(attendee, wording.md_name, lang)
    lines = [lang.gettext("Attendance: **{attendance}**", attendance=words), ""]
    trend = Field(lang.gettext("Trend"), _trend(record, attendee, history, lang))
    if attendee.attendance is Attendance.ABSENT or represented(attendee):
        lines.append(lang.gettext("You were not at this meeting, so there is no score for it."))
        fields: tuple[Field, ...] = (trend,)
    else:
        lines.extend(_explain(attendee, lang))
        turn = Field(lang.gettext("Your turn"), _own_turn(attendee, lang), inline=True)
        if attendee.score is None and _guest(attendee):
            fields = (turn,)  # guests are not scored: no score, and no trend of one
        else:
            value = wording.score(_value(attendee.score), lang)
            score = Field(lang.gettext("Listening score"), value, inline=True)
            fields = (score, turn, trend)
    return Post(
        audience=Audience.MEMBER,
        title=title,
        body="\n".join(lines),
        fields=fields,
        footer=_footer(record, lang),
        attachments=pictures,
    )


def explanation(score: ListeningScore | None, lang: Language = ENGLISH) -> str:
    """One sentence that says where the score comes from, for cards, reports and the CSV."""
    if score is None:
        return lang.gettext("not enough data")
    if score.value is None:
        if score.reason == "opted_out":
            return lang.gettext("opted out: not analysed")
        if score.others_turns_s < 1:
            return lang.gettext(
                "not enough data: no other member had a turn while you were connected"
            )
        could = wording.minutes_pair(score.observable_s, score.others_turns_s, lang)
        return lang.gettext(
            "not enough data: {judged} of other members' turns could be judged", judged=could
        )
    judged = wording.minutes_pair(score.attentive_s, score.observable_s, lang)
    parts = [lang.gettext("attentive for {judged} of other members' turns", judged=judged)]
    if score.camera_off_s >= 1:
        off = wording.duration(score.camera_off_s, lang)
        parts.append(
            lang.gettext("camera off {duration} (not counted: camera accommodation)", duration=off)
            if score.camera_exempt
            else lang.gettext("camera off {duration}", duration=off)
        )
    # What scoring left out besides an accommodated camera: moments nobody could tell.
    unjudged = score.others_turns_s - score.observable_s
    if score.camera_exempt:
        unjudged -= score.camera_off_s
    if unjudged >= 1:
        parts.append(
            lang.gettext(
                "{duration} could not be judged", duration=wording.duration(unjudged, lang)
            )
        )
    # Clauses joined through the catalog: French writes a no-break space before the semicolon.
    return functools.reduce(
        lambda clause, after: lang.gettext("{clause}; {next}", clause=clause, next=after), parts
    )


def attendance_words(
    a: Attendee, name: Callable[[str], str] = wording.plain_name, lang: Language = ENGLISH
) -> str:
    """'present (joined late, left early)', 'substitute for Bob Nguyen', 'absent'."""
    if represented(a):
        return lang.gettext("away, represented by a substitute")
    words = lang.gettext(ATTENDANCE_WORDS[a.attendance])
    facts = [
        lang.gettext(fact)
        for fact, yes in ((N_("joined late"), is_late(a)), (N_("left early"), left_early(a)))
        if yes
    ]
    if facts:
        words = lang.gettext("{attendance} ({facts})", attendance=words, facts=", ".join(facts))
    if a.substitute_for:
        words = lang.gettext(
            "{attendance} for {member}", attendance=words, member=name(a.substitute_for)
        )
    return words


def _explain(a: Attendee, lang: Language) -> list[str]:
    score = a.score
    if score is None and _guest(a):
        return [
            lang.gettext(
                "Listening scores are kept for chapter members only: thank you for joining us."
            )
        ]
    if score is None or score.value is None:
        reason = REASONS.get(score.reason if score else "", REASONS["not_enough_data"])
        lines = [
            lang.gettext(
                "**Not enough data** for a listening score this time. {reason}",
                reason=lang.gettext(reason),
            )
        ]
        if score is not None and score.observable_s >= 1:
            judged = wording.minutes_pair(score.observable_s, score.others_turns_s, lang)
            lines.append(lang.gettext("Judged: {judged} of other members' turns.", judged=judged))
        return lines
    lines = [
        lang.gettext(
            "**Listening: {score}** — {explanation}.",
            score=wording.score(score.value, lang),
            explanation=explanation(score, lang),
        )
    ]
    lines.append(lang.gettext(FORMULA_EXEMPT if score.camera_exempt else FORMULA))
    lines.append(lang.gettext(LOOKING_DOWN))
    return lines


def _own_turn(a: Attendee, lang: Language) -> str:
    if a.turns == 0 or a.own_turn_s <= 0:
        return lang.gettext("no turn recorded")
    if a.turns == 1:
        return wording.duration(a.own_turn_s, lang)
    return lang.ngettext(
        "{duration} over {count} turn",
        "{duration} over {count} turns",
        a.turns,
        duration=wording.duration(a.own_turn_s, lang),
    )


def _trend(
    record: SessionRecord, a: Attendee, history: Sequence[SessionRecord], lang: Language
) -> str:
    past = [p.score for p in earlier_scores(record, a, history) if p.score is not None]
    if not past:
        return lang.gettext("No earlier scores yet: the trend starts with your next meeting.")
    average = sum(past) / len(past)
    values = {
        "scores": ", ".join(lang.number(int(v + 0.5)) for v in past),
        "average": lang.number(int(average + 0.5)),
    }
    now = _value(a.score)
    n = len(past)
    if now is None:
        return lang.ngettext(
            "Your recent average of {average} (last {count}: {scores})",
            "Your recent average of {average} (last {count}: {scores})",
            n,
            **values,
        )
    if abs(now - average) <= STEADY_POINTS:
        return lang.ngettext(
            "About the same as your recent average of {average} (last {count}: {scores})",
            "About the same as your recent average of {average} (last {count}: {scores})",
            n,
            **values,
        )
    if now > average:
        return lang.ngettext(
            "Above your recent average of {average} (last {count}: {scores})",
            "Above your recent average of {average} (last {count}: {scores})",
            n,
            **values,
        )
    return lang.ngettext(
        "Below your recent average of {average} (last {count}: {scores})",
        "Below your recent average of {average} (last {count}: {scores})",
        n,
        **values,
    )


def _value(score: ListeningScore | None) -> float | None:
    return None if score is None else score.value


def _footer(record: SessionRecord, lang: Language) -> str:
    return lang.gettext(
        "Only you can see this. Opt out any time with /meetbot optout. If a figure looks wrong, "
        "tell a chapter lead and quote session {session}: it will be checked against the "
        "record.",
        session=record.session_id,
    )
