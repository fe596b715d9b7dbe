"""What pages read from their DOM say (page/dom.js), read as changes: the participant list, the
tiles on screen, who the page marks as speaking, and whether the meeting ended or the bot was
removed.

Profiles with Roster.DOM take the roster from here; every profile takes the tiles' names, which
give tracks their owners. In tiles mode `ScreenTime` turns each report of the gallery the bot
shows into how long that was: someone off it is unknown at once until their page comes round.
Both are handed who is here (key -> display name) and import nothing from the room.
"""

from __future__ import annotations

from collections.abc import Mapping

from meetbot.connectors.browser.changes import (
    Arrived,
    Change,
    Gallery,
    Left,
    Named,
    StayEnds,
    Talking,
)
from meetbot.connectors.browser.people import Signal
from meetbot.connectors.browser.wire import Dom
from meetbot.domain.states import LeaveReason, SpeechSource

LONGEST_TICK_S = 5.0  # a longer silence of the page counts this much (it was not watching)


class DomReader:
    def __init__(self, own_name: str, *, roster: bool) -> None:
        # as page/dom.js reads names: whitespace collapsed, typographic apostrophes plain
        self.own_name = " ".join(own_name.replace("\u2019", "'").replace("\u2018", "'").split())
        self.roster = roster  # the page's list and tiles say who is here (else the signalling)

    def read(self, message: Dom, here: Mapping[str, str], at: float) -> tuple[Change, ...]:
        """One DOM report from the page, posted at session time `at`, with `here` present."""
        if message.removed:
            return (StayEnds(Signal.REMOVED),)
        if message.ended:
            return (StayEnds(Signal.ENDED),)
        changes: list[Change] = [Named(t, name) for t, name in message.owners.items()]
        if not self.roster:
            return tuple(changes)  # the signalling knows the roster and the speakers better
        names = set(message.roster if message.roster is not None else message.tiles)
        known = set(here.values())
        stays = dict(here)
        for name in sorted(names - {self.own_name} - known):
            changes.append(Arrived(f"name:{name}", name))
            stays[f"name:{name}"] = name
        if message.roster is not None:  # tiles alone cannot tell leaving from paging
            for key, name in here.items():
                if name not in names:
                    changes.append(Left(key, LeaveReason.LEFT))
                    del stays[key]
        if message.speaking is not None:
            speaking = set(message.speaking)
            changes += (
                Talking(key, name in speaking, SpeechSource.PLATFORM, at)
                for key, name in stays.items()
            )
        return tuple(changes)


class ScreenTime:
    """Tiles mode: the gallery page the bot shows, reported by the core a few times a second."""

    def __init__(self) -> None:
        self.ticked_at: float | None = None  # the last report

    def shown(self, names: frozenset[str], at: float) -> Gallery:
        step = 0.0 if self.ticked_at is None else min(at - self.ticked_at, LONGEST_TICK_S)
        self.ticked_at = at
        return Gallery(names, step, at)
