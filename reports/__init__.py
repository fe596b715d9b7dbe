"""Pure rendering of stored sessions: public recap, private member card, lead comparison, and
the organiser's HTML / Markdown / CSV files.

Imports meetbot.domain only (plus matplotlib and jinja2); every function is deterministic for
the same records, so reports can be re-rendered from the store at any time.

    post = reports.recap(record, timezone="Europe/London")            # chapter channel
    card = reports.member_card(record, "Ann Lee", history)             # one member, privately
    lead = reports.comparison(last_six, detail=True)                   # leads, with a PNG chart
    html = reports.html_report(record, history, timezone="Europe/London")

Pictures (reports.canvas: matplotlib Agg, deterministic): the lead chart over sessions
(reports.chart), the meeting at a glance in the HTML report (reports.glance), and the member's
own two on their card (reports.own_picture). Colours come from reports.palette.
"""

from __future__ import annotations

from reports.card import explanation, member_card
from reports.chart import chart_png
from reports.comparison import comparison
from reports.csv_export import csv_report
from reports.html import html_report
from reports.markdown import markdown_report
from reports.post import Attachment, Audience, Field, Post
from reports.recap import recap
from reports.summary import MeetingFigures, summarize

__all__ = [
    "Attachment",
    "Audience",
    "Field",
    "MeetingFigures",
    "Post",
    "chart_png",
    "comparison",
    "csv_report",
    "explanation",
    "html_report",
    "markdown_report",
    "member_card",
    "recap",
    "summarize",
]
