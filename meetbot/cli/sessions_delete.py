"""`meetbot sessions delete SESSION [--yes]`: a session that should not count, gone for good.

A test run, a meeting joined by mistake, the wrong room: the organiser removes it so it never
shows in reports, comparisons or member cards. Everything about it goes: the session row, its
spans, events and attendees, its recap in the outbox (sent or not) and its report folder.
"""

from __future__ import annotations

import argparse
import shutil

from meetbot import config
from meetbot.errors import ConfigError


def register(listing: argparse.ArgumentParser) -> None:
    """`delete` as an action of `meetbot sessions` (which alone still lists them)."""
    actions = listing.add_subparsers(dest="action", metavar="ACTION")
    delete = actions.add_parser(
        "delete", help="delete a session and everything stored about it (asks first)"
    )
    delete.add_argument("session", help="session id or a unique prefix (see `meetbot sessions`)")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.add_argument(
        "--config", dest="delete_config", help="chapter TOML file (for storage, report folder)"
    )
    delete.set_defaults(func=_delete)


def _delete(args: argparse.Namespace) -> int:
    from meetbot import app
    from meetbot.publishers.delivery import report_dir
    from meetbot.publishers.outbox import Outbox

    settings = config.load(args.delete_config or args.config)
    with app.open_store(settings) as store:
        sid = store.resolve(args.session)
        found = next(s for s in store.list_sessions() if s.session_id == sid)
        what = (
            f"session {sid} of {found.chapter}, {found.started_at:%Y-%m-%d %H:%M} UTC, "
            f"{found.duration_s / 60:.1f} min"
        )
        if not args.yes and not _confirmed(what):
            print(f"meetbot: kept {what}")
            return 1
        store.delete(sid)
        recaps = Outbox(store.engine).discard(f"recap:{sid}")
    folder = report_dir(settings) / sid
    had_files = folder.is_dir()
    shutil.rmtree(folder, ignore_errors=True)
    extra = [f"{recaps} outbox message{'s' * (recaps != 1)}"] if recaps else []
    extra += [f"report folder {folder}"] if had_files else []
    also = f" (also {' and '.join(extra)})" if extra else ""
    print(f"deleted {what} and everything stored about it{also}")
    return 0


def _confirmed(what: str) -> bool:
    try:
        answer = input(
            f"Delete {what} and everything stored about it? This cannot be undone [y/N] "
        )
    except EOFError:
        raise ConfigError(
            "deleting needs a yes: answer the question in a terminal or add --yes"
        ) from None
    return answer.strip().casefold() in ("y", "yes")
