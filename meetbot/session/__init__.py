"""The session: the single owner of a live meeting's state, from joining to the saved record.

    record = await run_session(connector, sampler, settings=settings, store=store, clock=clock)

`run` holds the meeting's TaskGroup and decides how it ended, `actor` folds and checkpoints its
events, `saving` assembles and saves the record (retrying while the database is down).
"""

from meetbot.session.actor import Observer, Sampler
from meetbot.session.run import QUEUE_SIZE, new_session_id, run_session
from meetbot.session.saving import continued_events, saved

__all__ = [
    "QUEUE_SIZE",
    "Observer",
    "Sampler",
    "continued_events",
    "new_session_id",
    "run_session",
    "saved",
]
