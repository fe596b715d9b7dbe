"""What pages read from their DOM say: the participant list, the tiles on screen, who the page
marks as speaking, and whether the meeting ended or the bot was removed (page/dom.js).

Profiles with Roster.DOM take the roster from here; every profile takes the tiles' names, which
give tracks their owners. In tiles mode `on_screen` keeps, per person, how long they were on the
gallery page the bot shows: someone off it is unknown at once until their page comes round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from meetbot.connectors.browser.people import Signal
from meetbot.connectors.browser.wire import Dom
from meetbot.domain.events import unknown
from meetbot.domain.states import LeaveReason, SpeechSource

if TYPE_CHECKING:
    from meetbot.connectors.browser.room import Room

LONGEST_TICK_S = 5.0  # a longer silence of the page counts this much (it was not watching)


async def read_dom(room: Room, message: Dom) -> Signal | None:
    """One DOM report from the page: a Signal that ends the stay, or None."""
    if message.removed:
        return Signal.REMOVED
    if message.ended:
        return Signal.ENDED
    for track_id, name in message.owners.items():
        person = room.by_name(name)
        if person is not None:
            room.named[track_id] = person.key
    if not room.dom_roster:
        return None  # the signalling knows the roster and the speakers better
    roster = message.roster
    names = set(roster if roster is not None else message.tiles)
    room.joined = True
    for name in sorted(names - {room.own_name}):
        if room.by_name(name) is None:
            await room.arrive(f"name:{name}", name)
    if roster is not None:  # tiles alone cannot tell leaving from paging
        for key, person in list(room.people.items()):
            if person.name not in names:
                await room.leave(key, LeaveReason.LEFT)
    speaking = message.speaking
    if speaking is not None:
        at = room.posted_at(message)
        for key, person in list(room.people.items()):
            await room.talking(key, person.name in speaking, SpeechSource.PLATFORM, at)
    return None


async def on_screen(room: Room, names: set[str]) -> None:
    """Tiles mode: who the gallery shows now. Anyone else is unknown until shown again."""
    at = room.clock()
    step = 0.0 if room.ticked_at is None else min(at - room.ticked_at, LONGEST_TICK_S)
    room.ticked_at = at
    for person in list(room.people.values()):
        person.present_s += step
        if person.name in names:
            person.on_screen_s += step
        elif person.track is not None:
            await room.hide(person)
            await room.emit(unknown(person.pid, at, "off_screen", unseen=True))


def observed_share(room: Room) -> dict[str, float]:
    """Tiles mode: each person's share of their time in the meeting they were on screen
    (those who left included)."""
    everyone = [*room.gone, *room.people.values()]
    return {p.name: (p.on_screen_s / p.present_s if p.present_s else 0.0) for p in everyone}
