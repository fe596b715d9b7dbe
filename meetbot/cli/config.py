"""`meetbot config check FILE` and `meetbot config show FILE`."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

from meetbot import config
from meetbot.config.paths import check_writable, reports_dir
from meetbot.config.schema import JANUS


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("config", help="check or show a chapter configuration")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate a chapter file (exit 0 when usable)")
    check.add_argument("file", help="chapter TOML file, e.g. config/chapter.example.toml")
    check.add_argument(
        "--discord", action="store_true", help="also require the Discord secrets it needs"
    )
    check.set_defaults(func=_check)
    show = actions.add_parser("show", help="print the merged configuration as JSON")
    show.add_argument("file", nargs="?", help="chapter TOML file (defaults only when omitted)")
    show.set_defaults(func=_show)


def _check(args: argparse.Namespace) -> int:
    settings = config.load(args.file, require_discord=args.discord)
    # Found only at a meeting's end otherwise, with no report files and the recap failed.
    check_writable(reports_dir(settings.reports.out_dir), settings.source)
    if settings.meeting.platform != JANUS:
        # The page's own rule for names, asked here as the connector asks it when joining.
        from meetbot.connectors.browser import profiles

        profile = profiles.load(settings.meeting.platform)
        profile.check_name(settings.meeting.display_name, settings.source)
    members = sum(1 for m in settings.roster if m.role != "visitor")
    print(
        f"{args.file}: ok — chapter {settings.chapter.name!r}, {members} members, "
        f"{len(settings.agenda)} agenda items, room {settings.meeting.room} on "
        f"{settings.meeting.platform}"
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    settings = config.load(args.file)
    data = dataclasses.asdict(settings)
    # Show only whether a secret is set, never its value.
    data["secrets"] = {k: bool(v) for k, v in data["secrets"].items()}
    print(json.dumps(data, indent=2, ensure_ascii=False, default=_plain))
    return 0


def _plain(value: Any) -> Any:
    return str(value)
