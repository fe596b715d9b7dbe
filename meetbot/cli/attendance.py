"""`meetbot attendance SESSION "Display Name" --as substitute|visitor|member [--for NAME]`.

The organiser corrects what a display name could not say: Sam was Bob's substitute, "iPhone
(3)" was a visitor, "B. Nguyen" was Bob himself.
"""

from __future__ import annotations

import argparse

from meetbot import config
from meetbot.domain.states import Attendance
from meetbot.errors import ConfigError

CHOICES = {
    "substitute": Attendance.SUBSTITUTE,
    "visitor": Attendance.VISITOR,
    "member": Attendance.PRESENT,
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "attendance", help="mark someone in a stored session as substitute, visitor or member"
    )
    parser.add_argument("session", help="session id or a unique prefix (see `meetbot sessions`)")
    parser.add_argument("display_name", help="the name they joined under, e.g. 'Sam Jones'")
    parser.add_argument("--as", dest="role", required=True, choices=sorted(CHOICES))
    parser.add_argument(
        "--for",
        dest="for_member",
        metavar="ROSTER_NAME",
        help="with substitute: the member they stood in for; with member: whose connection it was",
    )
    parser.add_argument("--config", metavar="CHAPTER.toml", help="chapter file (storage.url)")
    parser.set_defaults(func=_attendance)


def _attendance(args: argparse.Namespace) -> int:
    from meetbot.domain.reclassify import ReclassifyError, reclassify
    from meetbot.store import Store

    if args.role == "substitute" and not args.for_member:
        raise ConfigError(
            "--as substitute needs --for 'Roster Name' (the member they stood in for)"
        )
    settings = config.load(args.config)
    with Store.open(settings.storage.url, retention_days=settings.storage.retention_days) as store:
        record = store.load(args.session)
        # Judged again with the tunables it was recorded with, not this command's defaults.
        recorded = store.recorded_settings(record.session_id) or settings.domain()
        # The domain says in one line what does not fit (unknown name, a visitor "for" someone).
        try:
            updated = reclassify(
                record,
                args.display_name,
                CHOICES[args.role],
                args.for_member,
                settings=recorded,
            )
        except ReclassifyError as exc:
            raise ConfigError(str(exc)) from exc
        store.replace(updated)
    role = f"{args.role} for {args.for_member}" if args.for_member else args.role
    print(f"{record.session_id}: {args.display_name!r} is now recorded as {role}")
    return 0
