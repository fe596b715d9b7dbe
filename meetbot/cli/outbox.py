"""`meetbot outbox [--retry]`: what is waiting to be delivered, and delivering it."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from meetbot import config
from meetbot.cli.discord_bot import ENVIRONMENT

if TYPE_CHECKING:
    from meetbot.publishers.base import DeliveryReceipt
    from meetbot.publishers.outbox_table import OutboxEntry


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "outbox",
        help="show and retry messages not yet delivered",
        description=(
            "Every recap is stored here before it is sent; this lists what has not been "
            "delivered yet. --retry sends it now (including messages that failed for a config "
            "reason you have since fixed); nothing is ever sent twice."
        ),
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", metavar="FILE", help="chapter TOML file (Discord settings)")
    parser.add_argument("--retry", action="store_true", help="deliver what is pending now")
    parser.add_argument("--all", action="store_true", help="also list recently sent messages")
    parser.add_argument(
        "--json", action="store_true", help="print the messages (or, with --retry, the results)"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    # Imported here: publishing pulls in discord.py, which every other command would pay for.
    from meetbot.publishers.base import Status
    from meetbot.publishers.delivery import deliver_pending, outbox_engine, still_waiting
    from meetbot.publishers.outbox import Outbox

    settings = config.load(args.config)
    outbox = Outbox(outbox_engine(settings))
    if args.retry:
        # Bounded like a meeting's end: a Discord outage or a long rate limit leaves the rest
        # in the outbox instead of holding the command for an hour.
        receipts = asyncio.run(
            deliver_pending(
                settings, outbox, retry_failed=True, within_s=settings.discord.finish_timeout_s
            )
        )
        if args.json:
            _print_json([_receipt_json(r) for r in receipts])
        else:
            if not receipts:
                print("outbox: nothing to deliver")
            for r in receipts:
                where = ", ".join(r.remote_ids) if r.status is Status.SENT else r.note
                print(f"#{r.message_id} {r.status.value} via {r.destination}: {where}")
            if rest := still_waiting(outbox, receipts):
                print(rest)
        return 0 if all(r.status is Status.SENT for r in receipts) else 1
    entries = outbox.entries() if args.all else outbox.pending()
    if args.json:
        _print_json([_entry_json(e) for e in entries])
        return 0
    if not entries:
        print("outbox: nothing pending" if not args.all else "outbox: empty")
        return 0
    for e in entries:
        print(_line(e))
    waiting = sum(e.status is not Status.SENT for e in entries)
    if waiting:
        print(f"{waiting} not delivered; `meetbot outbox --retry` sends them")
    return 0


def _line(e: OutboxEntry) -> str:
    when = datetime.fromtimestamp(e.created_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (
        f"#{e.id} {e.status.value:<7} {e.destination:<8} {e.dedupe_key}  {e.post.title!r}  {when}"
    )
    if e.attempts:
        text += f"  tries {e.attempts}"
    if e.last_error and e.sent_at is None:
        text += f"  last error: {e.last_error}"
    return text


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _time(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, UTC).isoformat()


def _entry_json(e: OutboxEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "status": e.status.value,
        "destination": e.destination,
        "dedupe_key": e.dedupe_key,
        "title": e.post.title,
        "created_at": _time(e.created_at),
        "attempts": e.attempts,
        "last_error": e.last_error or None,
        "next_attempt_at": _time(e.next_attempt_at),
        "sent_at": _time(e.sent_at),
    }


def _receipt_json(r: DeliveryReceipt) -> dict[str, Any]:
    return {
        "id": r.message_id,
        "status": r.status.value,
        "destination": r.destination,
        "remote_ids": list(r.remote_ids),
        "note": r.note or None,
    }
