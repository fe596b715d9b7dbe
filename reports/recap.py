"""The public recap for the chapter's channel: who came, what happened, how the room listened.

Group figures only. No individual score, no ranking, nobody named for a camera or for looking
away, absences as a count. The people named are the ones being welcomed or thanked: visitors,
substitutes and the feature presenter, with '@' and Markdown made harmless. Written in the
chapter's language: whole sentences from its catalog, never English pieces glued together.
"""

from __future__ import annotations

from meetbot.domain.record import SessionRecord
from meetbot.language import N_, SOURCE, Language
from reports import wording
from reports.post import Audience, Post
from reports.summary import MeetingFigures, summarize

# A listening highlight is only worth saying when it is genuinely good news.
GOOD_LISTENING = 80.0

FOOTER = N_(
    "Group figures only: individual figures go privately to each member, on request. "
    "Anyone can opt out with /meetbot optout."
)


def recap(
    record: SessionRecord, *, timezone: str = "UTC", min_group: int = 5, language: str = SOURCE
) -> Post:
    """The public recap of one session, in `language` (a shipped BCP 47 tag).

    `min_group`: the room's listening figure is shown only when at least this many people were
    scored; with fewer, anyone could work out a neighbour's score from it.
    """
    lang = Language.of(language)
    s = summarize(record)
    date = wording.long_date(s.started_at, timezone, lang)
    show_listening = s.scored >= min_group and s.listening is not None
    lines = [
        lang.gettext(
            "**{chapter}** met on {date} for {duration}.",
            chapter=wording.md_name(s.chapter),
            date=date,
            duration=wording.duration(s.duration_s, lang),
        ),
        "",
        lang.gettext("**Attendance:** {figures}", figures=_attendance(s, lang)),
    ]
    if s.substitutes:
        subs = [_substitute(x.name, x.substitute_for, lang) for x in s.substitutes]
        lines.append(
            lang.gettext("**Thank you for standing in:** {names}", names=wording.joined(subs, lang))
        )
    if s.visitors:
        names = wording.joined([wording.md_name(v) for v in s.visitors], lang)
        lines.append(lang.gettext("**Welcome to our visitors:** {names}", names=names))
    lines.append(lang.gettext("**Turns:** {turns}", turns=_turns(s, lang)))
    feature = wording.duration(s.feature_s, lang)
    if s.feature_presenters:
        who = wording.joined([wording.md_name(p) for p in s.feature_presenters], lang)
        lines.append(
            lang.gettext(
                "**Feature presentation:** thank you, {names}, for {duration} on your business!",
                names=who,
                duration=feature,
            )
        )
    elif s.feature_s:
        lines.append(
            lang.gettext(
                "**Feature presentation:** thank you to our presenter for {duration} on their "
                "business!",
                duration=feature,
            )
        )
    if show_listening:
        lines.append(
            lang.gettext(
                "**Listening:** the room was attentive for {percent} of members' turns.",
                percent=wording.percent(s.listening, lang),
            )
        )
    lines.append("")
    lines.append(f"✨ {_highlight(s, show_listening, lang)}")
    if not s.complete:
        lines.append("")
        lines.append(
            lang.gettext("_The bot lost part of this meeting; these figures cover what it saw._")
        )
    return Post(
        audience=Audience.PUBLIC,
        title=lang.gettext("Meeting recap — {date}", date=date),
        body="\n".join(lines),
        footer=lang.gettext(FOOTER),
    )


def _substitute(name: str, member: str | None, lang: Language) -> str:
    if not member:
        return wording.md_name(name)
    return lang.gettext(
        "{name} (for {member})", name=wording.md_name(name), member=wording.md_name(member)
    )


def _attendance(s: MeetingFigures, lang: Language) -> str:
    # Opted-out members are counted neither way: we do not even say whether they came.
    expected = s.attended + s.covered + s.absent
    parts = [
        lang.ngettext(
            "{attended} of {count} member there",
            "{attended} of {count} members there",
            expected,
            attended=lang.number(s.attended),
        )
    ]
    if s.late:
        parts.append(lang.ngettext("{count} joined late", "{count} joined late", s.late))
    if s.covered:
        parts.append(
            lang.ngettext(
                "{count} represented by a substitute",
                "{count} represented by a substitute",
                s.covered,
            )
        )
    if s.visitors:
        parts.append(lang.ngettext("{count} visitor", "{count} visitors", len(s.visitors)))
    parts.append(lang.ngettext("{count} absence", "{count} absences", s.absent))
    return " · ".join(parts)


def _turns(s: MeetingFigures, lang: Language) -> str:
    if not s.member_turns:
        return lang.gettext("no member turns were recorded.")
    return lang.ngettext(
        "{count} member turn held, {average} on average.",
        "{count} member turns held, {average} on average.",
        s.member_turns,
        average=wording.duration(s.member_turn_s / s.member_turns, lang),
    )


def _highlight(s: MeetingFigures, show_listening: bool, lang: Language) -> str:
    """One encouraging, true sentence about the group; the first that applies wins."""
    if s.members and s.absent == 0:
        if s.covered:
            return lang.gettext("Every member was there or sent a substitute — a full room.")
        return lang.gettext("Full attendance: every member was there.")
    if show_listening and s.listening is not None and s.listening >= GOOD_LISTENING:
        return lang.gettext(
            "A focused room: speakers had the group's attention for nearly all of their turn."
        )
    if s.visitors:
        return lang.ngettext(
            "{count} visitor got to know the chapter: thank you for the welcome.",
            "{count} visitors got to know the chapter: thank you for the welcome.",
            len(s.visitors),
        )
    if s.member_turns:
        return lang.ngettext(
            "{count} member shared their business — thank you.",
            "{count} members shared their business — thank you.",
            s.member_turns,
        )
    return lang.gettext("Thank you to everyone who came.")
