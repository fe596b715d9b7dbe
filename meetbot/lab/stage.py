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
) -> dict[str, Happened]:
    """Run every script's participant until the scenario ends; return what happened to each."""
    book = await asyncio.to_thread(
        FrameBook.for_scenario, scenario
    )  # rendering is CPU work; keep the loop free
    logs = {s.name: Happened(s) for s in scenario.scripts}
    async with asyncio.TaskGroup() as group:
        for script in scenario.scripts:
            participant = Participant(
                url, room, script, book, clock, fps=scenario.fps, pin=pin, log=logs[script.name]
            )
            group.create_task(participant.run(until=scenario.duration_s))
    return logs
