"""The organiser's self-contained HTML report of one session.

Rendered from reports/templates/session.html.j2 with autoescaping on (display names are
untrusted text), inline CSS and the pictures (the meeting at a glance, the chart over time)
embedded as data: URIs: the file makes no request when opened, so it can be mailed or
archived as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import jinja2

from meetbot.domain.record import SessionRecord
from meetbot.language import SOURCE, Language
from reports.canvas import data_uri
from reports.chart import chart_png
from reports.glance import meeting_glance
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
    language: str = SOURCE,
) -> str:
    """One HTML document in `language`; `history` (earlier sessions) adds the over-time table
    and chart."""
    lang = Language.of(language)
    report = organiser_report(
        record, history, timezone=timezone, min_group=min_group, language=lang.tag
    )
    sessions = chronological([*(r for r in history if r.session_id != record.session_id), record])
    chart_uri = data_uri(chart_png(sessions, timezone=timezone, min_group=min_group, lang=lang))
    glance = meeting_glance(record, timezone=timezone, min_group=min_group, lang=lang)
    return _ENV.get_template("session.html.j2").render(
        r=report,
        chart_uri=chart_uri,
        glance=glance,
        glance_uri=data_uri(glance.png),
        lang_tag=lang.tag,
        _=lang.gettext,
    )
