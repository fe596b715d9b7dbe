"""The organiser's report of one session as a Markdown file (GitHub-flavoured tables).

Same rows as the HTML report; every name is escaped so a display name cannot break a table
or turn into a link or a mention.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from meetbot.domain.record import SessionRecord
from meetbot.language import N_, SOURCE, Language
from reports.organiser import OrganiserReport, organiser_report

# (header, right-aligned): text left, figures right. The same headings as the HTML report's.
ATTENDANCE = (
    (N_("Person"), False),
    (N_("Attendance"), False),
    (N_("Joined"), False),
    (N_("Left"), False),
    (N_("Present"), True),
    (N_("Camera on"), True),
    (N_("Own turn"), True),
)
SCORES = ((N_("Observed"), True), (N_("Listening"), True), (N_("How it was worked out"), False))
TURNS = ((N_("Time"), False), (N_("Speaker"), False), (N_("Kind"), False), (N_("Length"), True))
_SPECIAL = re.compile(r"([\\`*_~|\[\]<>])")


def markdown_report(
    record: SessionRecord,
    history: Sequence[SessionRecord] = (),
    *,
    timezone: str = "UTC",
    min_group: int = 5,
    language: str = SOURCE,
) -> str:
    """One Markdown document in `language`; `history` (earlier sessions) adds the over-time
    section."""
    lang = Language.of(language)
    r = organiser_report(record, history, timezone=timezone, min_group=min_group, language=lang.tag)
    return "\n".join(_lines(r, lang)) + "\n"


def _lines(r: OrganiserReport, lang: Language) -> list[str]:
    _ = lang.gettext
    out = [f"# {_md(r.title)}", "", f"{r.when} · {_('session')} `{r.session_id}`", ""]
    out += [f"## {_('Summary')}", ""]
    out += [
        "- " + lang.gettext("{label}: {value}", label=label, value=f"**{_md(value)}**")
        for label, value in r.facts
    ]
    columns = ATTENDANCE + SCORES if r.scores_shown else ATTENDANCE
    out += ["", f"## {_('Attendance')}", "", *_head(columns, lang)]
    for a in r.attendees:
        cells = [a.person, a.attendance, a.joined, a.left, a.present, a.camera_on, a.own_turn]
        if r.scores_shown:
            cells += [a.observed, a.score, a.explanation]
        out.append(_row(cells))
    out += ["", f"## {_('Turns')}", "", *_head(TURNS, lang)]
    out += [_row([t.at, t.speaker, t.kind, t.length]) for t in r.turns]
    out += ["", f"## {_('Over time')}", ""]
    if r.history_table:
        out += ["```text", *r.history_table, "```", ""]
        out += [f"- {line}" for line in r.history_trends]
    else:
        out.append(_("No earlier sessions to compare with yet."))
    out += ["", f"## {_('About these figures')}", "", r.formula]
    out += ["", r.observed] if r.scores_shown else []
    out += ["", *[f"> {_md(n)}" for n in r.notes]] if r.notes else []
    return out


def _md(text: str) -> str:
    """Escape what could restyle text or break a table; names are already free of '@'."""
    return _SPECIAL.sub(r"\\\1", text)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(_md(c) for c in cells) + " |"


def _head(columns: Sequence[tuple[str, bool]], lang: Language) -> list[str]:
    rule = "| " + " | ".join("--:" if right else "---" for _, right in columns) + " |"
    return [_row([lang.gettext(name) for name, _ in columns]), rule]
