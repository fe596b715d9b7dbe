"""The lead comparison: sessions side by side, trends over them, and a chart.

For chapter leads only. Per-member detail is opt-in (`detail=True`) and is given only when the
group has at least `min_group` members: in a smaller group even leads get group figures only,
because "the average of three" is three individual scores in disguise. Members in the detail
are listed alphabetically: a comparison, never a ranking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from meetbot.domain.record import SessionRecord
from meetbot.domain.states import Attendance
from meetbot.language import ENGLISH, SOURCE, Language
from reports import wording
from reports.chart import chart_png
from reports.post import Attachment, Audience, Post
from reports.summary import IN_PERSON, MeetingFigures, chronological, is_member, summarize

NAME_WIDTH = 22  # detail table column; longer names are shortened with an ellipsis
CHART_NAME = "comparison.png"
DETAIL_NAME = "comparison-members.txt"
# Discord's embed description limit, the tightest place a comparison is posted to. The body
# never depends on a publisher splitting a code block.
BODY_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class MemberDetail:
    name: str
    sessions: int  # sessions in which they were on the roster (and not opted out)
    attended: int
    average: float | None
    latest: float | None


def comparison(
    records: Sequence[SessionRecord],
    *,
    detail: bool = False,
    min_group: int = 5,
    timezone: str = "UTC",
    language: str = SOURCE,
) -> Post:
    """Compare `records` (any order; shown oldest first) for the chapter's leads, in
    `language`."""
    if not records:
        raise ValueError("comparison needs at least one session record; none were given")
    lang = Language.of(language)
    ordered = chronological(records)
    summaries = [summarize(r) for r in ordered]
    latest = summaries[-1]
    lines = [
        lang.ngettext(
            "**{chapter}**: {count} session side by side, oldest first.",
            "**{chapter}**: {count} sessions side by side, oldest first.",
            len(summaries),
            chapter=wording.md_name(latest.chapter),
        ),
        "```text",
        *table(summaries, min_group, timezone, lang),
        "```",
    ]
    if len(summaries) > 1:
        lines.append(lang.gettext("**Trends** (first → latest)"))
        lines.extend(f"- {line}" for line in trends(summaries, min_group, lang))
    chart = chart_png(ordered, timezone=timezone, min_group=min_group, lang=lang)
    attachments = [Attachment(CHART_NAME, chart)]
    if detail:
        lines.append("")
        if latest.members >= min_group:
            details = member_details(ordered)
            lines.append(lang.gettext("**Members** (alphabetical, not a ranking; for leads only)"))
            block = ["```text", *_detail_table(details, NAME_WIDTH, lang), "```"]
            if len("\n".join([*lines, *block])) <= BODY_LIMIT:
                lines.extend(block)
            else:
                # A big chapter's table would be cut or split mid-block by the publisher:
                # it travels as a file instead, with full names.
                lines.append(
                    lang.ngettext(
                        "{count} member: see {file}.",
                        "{count} members: see {file}.",
                        len(details),
                        file=DETAIL_NAME,
                    )
                )
                text = "\n".join(_detail_table(details, None, lang)) + "\n"
                attachments.append(
                    Attachment(DETAIL_NAME, text.encode("utf-8"), "text/plain; charset=utf-8")
                )
        else:
            lines.append(
                lang.ngettext(
                    "_Per-member detail is shown only for groups of at least {count} member; "
                    "this one has {members}._",
                    "_Per-member detail is shown only for groups of at least {count} members; "
                    "this one has {members}._",
                    min_group,
                    members=lang.number(latest.members),
                )
            )
    first = wording.short_date(summaries[0].started_at, timezone, lang)
    last = wording.short_date(latest.started_at, timezone, lang)
    if len(summaries) > 1:
        title = lang.gettext("Chapter comparison — {first} to {last}", first=first, last=last)
    else:
        title = lang.gettext("Chapter comparison — {date}", date=last)
    return Post(
        audience=Audience.LEADS,
        title=title,
        body="\n".join(lines),
        footer=lang.ngettext(
            "For chapter leads. Listening is the room's figure: attentive time during members' "
            "turns over the time that could be judged, shown when at least {count} person was "
            "scored.",
            "For chapter leads. Listening is the room's figure: attentive time during members' "
            "turns over the time that could be judged, shown when at least {count} people were "
            "scored.",
            min_group,
        ),
        attachments=tuple(attachments),
    )


def table(
    summaries: Sequence[MeetingFigures], min_group: int, timezone: str, lang: Language = ENGLISH
) -> list[str]:
    """A fixed-width table (one row per session) that reads the same in a code block and a file."""
    # TRANSLATORS: column headings of a fixed-width table: short, lower case where usual.
    headings = (
        lang.gettext("date"),
        lang.gettext("attendance"),
        lang.gettext("late"),
        lang.gettext("listening"),
        lang.gettext("turns"),
        lang.gettext("visitors"),
    )
    rows: list[tuple[str, ...]] = [headings]
    for s in summaries:
        rows.append(
            (
                wording.short_date(s.started_at, timezone, lang),
                wording.percent(s.attendance_rate, lang),
                lang.number(s.late),
                wording.percent(room_listening(s, min_group), lang),
                lang.number(s.member_turns),
                lang.number(len(s.visitors)),
            )
        )
    return aligned(rows)


def trends(
    summaries: Sequence[MeetingFigures], min_group: int, lang: Language = ENGLISH
) -> list[str]:
    first, last = summaries[0], summaries[-1]
    visitors = sum(len(s.visitors) for s in summaries)
    listening = (room_listening(first, min_group), room_listening(last, min_group))
    return [
        lang.gettext(
            "Attendance: {change}",
            change=_change(first.attendance_rate, last.attendance_rate, lang),
        ),
        lang.gettext("Room listening: {change}", change=_change(*listening, lang)),
        lang.gettext(
            "Late arrivals: {first} → {last}",
            first=lang.number(first.late),
            last=lang.number(last.late),
        ),
        lang.gettext(
            "Member turns: {first} → {last}",
            first=lang.number(first.member_turns),
            last=lang.number(last.member_turns),
        ),
        lang.ngettext(
            "Visitors: {count} visitor over these sessions",
            "Visitors: {count} visitors over these sessions",
            visitors,
        ),
    ]


def room_listening(s: MeetingFigures, min_group: int) -> float | None:
    """The room's figure, withheld when so few were scored that it would reveal someone."""
    return s.listening if s.scored >= min_group else None


def member_details(ordered: Sequence[SessionRecord]) -> list[MemberDetail]:
    """Per roster member over `ordered` (oldest first), alphabetical by name."""
    seen: dict[str, list[tuple[bool, float | None]]] = {}
    for record in ordered:
        for a in record.attendees:
            if not is_member(a) or a.attendance is Attendance.OPTED_OUT:
                continue
            value = a.score.value if a.score is not None else None
            seen.setdefault(a.person, []).append((a.attendance in IN_PERSON, value))
    last_people = {a.person: (a.score.value if a.score else None) for a in ordered[-1].attendees}
    out = []
    for name in sorted(seen, key=str.casefold):
        marks = seen[name]
        values = [v for _, v in marks if v is not None]
        out.append(
            MemberDetail(
                name=name,
                sessions=len(marks),
                attended=sum(1 for present, _ in marks if present),
                average=sum(values) / len(values) if values else None,
                latest=last_people.get(name),
            )
        )
    return out


def _detail_table(details: Sequence[MemberDetail], width: int | None, lang: Language) -> list[str]:
    # TRANSLATORS: column headings of a fixed-width table: short, lower case where usual.
    headings = (
        lang.gettext("member"),
        lang.gettext("attended"),
        lang.gettext("avg listening"),
        lang.gettext("latest"),
    )
    rows: list[tuple[str, ...]] = [headings]
    for d in details:
        rows.append(
            (
                _cell_name(d.name, width),
                lang.gettext(
                    "{part} of {whole}", part=lang.number(d.attended), whole=lang.number(d.sessions)
                ),
                wording.percent(d.average, lang),
                wording.percent(d.latest, lang),
            )
        )
    return aligned(rows)


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell: text left-aligned, figures right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def _cell_name(name: str, width: int | None) -> str:
    # Inside a code block Markdown is inert, but a backtick would end the block.
    text = wording.plain_name(name).replace("`", "'")
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def _change(before: float | None, after: float | None, lang: Language) -> str:
    figures = f"{wording.percent(before, lang)} → {wording.percent(after, lang)}"
    if before is None or after is None:
        return figures
    delta = int(after + 0.5) - int(before + 0.5)
    if delta == 0:
        return lang.gettext("{figures} (steady)", figures=figures)
    if delta > 0:
        return lang.ngettext(
            "{figures} (up {count} point)", "{figures} (up {count} points)", delta, figures=figures
        )
    return lang.ngettext(
        "{figures} (down {count} point)",
        "{figures} (down {count} points)",
        -delta,
        figures=figures,
    )
