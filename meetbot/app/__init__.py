"""Composition root: wires connector, media, session, store, reports and publishers.

Only this package (and the CLI) knows every part. The order after a meeting is fixed: the record
is saved by the session first, then the recap is queued in the outbox, then report files are
written, then the recap is delivered — so a crash, a folder that cannot be written or a Discord
outage at any step loses nothing that `meetbot report` / `meetbot post` cannot finish later.

`live` joins and watches a meeting, `finishing` does what follows its saved record,
`report_files` writes the organiser's files, `stored` opens the store and loads sessions.
"""

from meetbot.app.finishing import Finished, delivered_later, describe, finish, undelivered
from meetbot.app.live import enter_unless_stopped, join, watch
from meetbot.app.report_files import with_report_dir, writable, write_post, write_report_files
from meetbot.app.stored import earlier_sessions, load_session, open_store

__all__ = [
    "Finished",
    "delivered_later",
    "describe",
    "earlier_sessions",
    "enter_unless_stopped",
    "finish",
    "join",
    "load_session",
    "open_store",
    "undelivered",
    "watch",
    "with_report_dir",
    "writable",
    "write_post",
    "write_report_files",
]
