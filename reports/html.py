"""The organiser's self-contained HTML report of one session.

Rendered from reports/templates/session.html.j2 with autoescaping on (display names are
untrusted text), inline CSS and the chart embedded as a data: URI: the file makes no request
when opened, so it can be mailed or archived as it is.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import jinja2

from meetbot.domain.record import SessionRecord
from reports.chart import chart_png
from reports.organiser import organiser_report
from reports.summary import chronological

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("reports", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,  # a misspelt field fails the render, not the reader
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def html_report(
    record: SessionRecord,
    history: Sequence[SessionRecord] = (),
    *,
    timezone: str = "UTC",
    min_group: int = 5,
) -> str:
    """One HTML document; `history` (earlier sessions) adds the over-time table and chart."""
    report = organiser_report(record, history, timezone=timezone, min_group=min_group)
    sessions = chronological([*(r for r in history if r.session_id != record.session_id), record])
    png = chart_png(sessions, timezone=timezone, min_group=min_group)
    chart_uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return _ENV.get_template("session.html.j2").render(r=report, chart_uri=chart_uri)
