"""Running a scenario: every script's participant joins the room and plays its part.

The scenario itself is data (meetbot.lab.scenario); this module is the only one that turns it
into participants and rendered faces, so importing a scenario costs nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from meetbot.lab.frames import FrameBook
from meetbot.lab.participant import Participant
from meetbot.lab.scenario import Happened, Scenario


async def run_scenario(
    url: str,
    room: int,
    scenario: Scenario,
    clock: Callable[[], float],
    *,
    pin: str = "",
    book: FrameBook | None = None,
) -> dict[str, Happened]:
    """Run every script's participant until the scenario ends; return what happened to each.

    `book`: the faces already rendered (`render_faces`). Rendering takes seconds, over ten on
    a busy machine; a caller whose `clock` is already running renders first, or every
    participant would join that much late into its own script.
    """
    if book is None:
        book = await render_faces(scenario)
    logs = {s.name: Happened(s) for s in scenario.scripts}
    async with asyncio.TaskGroup() as group:
        for script in scenario.scripts:
            participant = Participant(
                url, room, script, book, clock, fps=scenario.fps, pin=pin, log=logs[script.name]
            )
            group.create_task(participant.run(until=scenario.duration_s))
    return logs


async def render_faces(scenario: Scenario) -> FrameBook:
    """Every face `scenario` shows, rendered in a thread (CPU work: the loop stays free)."""
    return await asyncio.to_thread(FrameBook.for_scenario, scenario)
