"""`meetbot forget NAME`: delete everything stored about one person."""

from __future__ import annotations

import argparse

from meetbot import config


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "forget",
        help="delete everything stored about a person",
        description=(
            "Deletes the person's attendance, scores, state timeline and speaking-turn names "
            "from every stored session. An opt-out stays recorded so they stay out of future "
            "sessions."
        ),
    )
    parser.add_argument("name", help="roster or display name, e.g. 'Bob Nguyen'")
    parser.add_argument("--config", metavar="CHAPTER.toml", help="chapter file (storage.url)")
    parser.set_defaults(func=_forget)


def _forget(args: argparse.Namespace) -> int:
    from meetbot.store import Store

    settings = config.load(args.config)
    with Store.open(settings.storage.url, retention_days=settings.storage.retention_days) as store:
        touched = store.forget(args.name)
    if touched:
        print(f"forgot {args.name}: their data is deleted from {touched} session(s)")
    else:
        print(f"nothing stored about {args.name}")
    return 0
