"""The organiser's report of one session as a Markdown file (GitHub-flavoured tables).

Same rows as the HTML report; every name is escaped so a display name cannot break a table
or turn into a link or a mention.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from meetbot.domain.record import SessionRecord
from reports.organiser import OrganiserReport, organiser_report

# (header, right-aligned): text left, figures right.
ATTENDANCE = (
    ("Person", False),
    ("Attendance", False),
    ("Joined", False),
    ("Left", False),
    ("Present", True),
    ("Camera on", True),
    ("Own turn", True),
)
SCORES = (("Observed", True), ("Listening", True), ("How it was worked out", False))
TURNS = (("Time", False), ("Speaker", False), ("Kind", False), ("Length", True))
_SPECIAL = re.compile(r"([\\`*_~|\[\]<>])")


def markdown_report(
    record: SessionRecord,
    history: Sequence[SessionRecord] = (),
    *,
    timezone: str = "UTC",
    min_group: int = 5,
) -> str:
    """One Markdown document; `history` (earlier sessions) adds the over-time section."""
    r = organiser_report(record, history, timezone=timezone, min_group=min_group)
    return "\n".join(_lines(r)) + "\n"


def _lines(r: OrganiserReport) -> list[str]:
    out = [f"# {_md(r.title)}", "", f"{r.when} · session `{r.session_id}`", "", "## Summary", ""]
    out += [f"- {label}: **{_md(value)}**" for label, value in r.facts]
    columns = ATTENDANCE + SCORES if r.scores_shown else ATTENDANCE
    out += ["", "## Attendance", "", *_head(columns)]
    for a in r.attendees:
        cells = [a.person, a.attendance, a.joined, a.left, a.present, a.camera_on, a.own_turn]
        if r.scores_shown:
            cells += [a.observed, a.score, a.explanation]
        out.append(_row(cells))
    out += ["", "## Turns", "", *_head(TURNS)]
    out += [_row([t.at, t.speaker, t.kind, t.length]) for t in r.turns]
    out += ["", "## Over time", ""]
    if r.history_table:
        out += ["```text", *r.history_table, "```", ""]
        out += [f"- {line}" for line in r.history_trends]
    else:
        out.append("No earlier sessions to compare with yet.")
    out += ["", "## About these figures", "", r.formula]
    out += ["", r.observed] if r.scores_shown else []
    out += ["", *[f"> {_md(n)}" for n in r.notes]] if r.notes else []
    return out


def _md(text: str) -> str:
    """Escape what could restyle text or break a table; names are already free of '@'."""
    return _SPECIAL.sub(r"\\\1", text)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(_md(c) for c in cells) + " |"


def _head(columns: Sequence[tuple[str, bool]]) -> list[str]:
    rule = "| " + " | ".join("--:" if right else "---" for _, right in columns) + " |"
    return [_row([name for name, _ in columns]), rule]
