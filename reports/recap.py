"""The public recap for the chapter's channel: who came, what happened, how the room listened.

Group figures only. No individual score, no ranking, nobody named for a camera or for looking
away, absences as a count. The people named are the ones being welcomed or thanked: visitors,
substitutes and the feature presenter, with '@' and Markdown made harmless.
"""

from __future__ import annotations

from meetbot.domain.record import SessionRecord
from reports import wording
from reports.post import Audience, Post
from reports.summary import MeetingFigures, summarize

# A listening highlight is only worth saying when it is genuinely good news.
GOOD_LISTENING = 80.0

FOOTER = (
    "Group figures only: individual figures go privately to each member, on request. "
    "Anyone can opt out with /meetbot optout."
)


def recap(record: SessionRecord, *, timezone: str = "UTC", min_group: int = 5) -> Post:
    """The public recap of one session.

    `min_group`: the room's listening figure is shown only when at least this many people were
    scored; with fewer, anyone could work out a neighbour's score from it.
    """
    s = summarize(record)
    date = wording.long_date(s.started_at, timezone)
    show_listening = s.scored >= min_group and s.listening is not None
    lines = [
        f"**{wording.md_name(s.chapter)}** met on {date} for {wording.duration(s.duration_s)}."
    ]
    lines.append("")
    lines.append(f"**Attendance:** {_attendance(s)}")
    if s.substitutes:
        subs = [
            wording.md_name(x.name)
            + (f" (for {wording.md_name(x.substitute_for)})" if x.substitute_for else "")
            for x in s.substitutes
        ]
        lines.append(f"**Thank you for standing in:** {wording.joined(subs)}")
    if s.visitors:
        names = wording.joined([wording.md_name(v) for v in s.visitors])
        lines.append(f"**Welcome to our visitors:** {names}")
    lines.append(f"**Turns:** {_turns(s)}")
    if s.feature_presenters:
        who = wording.joined([wording.md_name(p) for p in s.feature_presenters])
        lines.append(
            f"**Feature presentation:** thank you, {who}, "
            f"for {wording.duration(s.feature_s)} on your business!"
        )
    elif s.feature_s:
        lines.append(
            f"**Feature presentation:** thank you to our presenter for "
            f"{wording.duration(s.feature_s)} on their business!"
        )
    if show_listening:
        lines.append(
            f"**Listening:** the room was attentive for {wording.percent(s.listening)} "
            "of members' turns."
        )
    lines.append("")
    lines.append(f"✨ {_highlight(s, show_listening)}")
    if not s.complete:
        lines.append("")
        lines.append("_The bot lost part of this meeting; these figures cover what it saw._")
    return Post(
        audience=Audience.PUBLIC,
        title=f"Meeting recap — {date}",
        body="\n".join(lines),
        footer=FOOTER,
    )


def _attendance(s: MeetingFigures) -> str:
    # Opted-out members are counted neither way: we do not even say whether they came.
    expected = s.attended + s.covered + s.absent
    parts = [f"{s.attended} of {expected} members there"]
    if s.late:
        parts.append(f"{s.late} joined late")
    if s.covered:
        parts.append(f"{s.covered} represented by a substitute")
    if s.visitors:
        parts.append(wording.plural(len(s.visitors), "visitor"))
    parts.append(wording.plural(s.absent, "absence"))
    return " · ".join(parts)


def _turns(s: MeetingFigures) -> str:
    if not s.member_turns:
        return "no member turns were recorded."
    average = wording.duration(s.member_turn_s / s.member_turns)
    return f"{wording.plural(s.member_turns, 'member turn')} held, {average} on average."


def _highlight(s: MeetingFigures, show_listening: bool) -> str:
    """One encouraging, true sentence about the group; the first that applies wins."""
    if s.members and s.absent == 0:
        if s.covered:
            return "Every member was there or sent a substitute — a full room."
        return "Full attendance: every member was there."
    if show_listening and s.listening is not None and s.listening >= GOOD_LISTENING:
        return "A focused room: speakers had the group's attention for nearly all of their turn."
    if s.visitors:
        n = len(s.visitors)
        return f"{wording.plural(n, 'visitor')} got to know the chapter: thank you for the welcome."
    if s.member_turns:
        return f"{wording.plural(s.member_turns, 'member')} shared their business — thank you."
    return "Thank you to everyone who came."
