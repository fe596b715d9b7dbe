"""`meetbot fleet scheduler`: plans every chapter's meetings and queues each one's join job.

Celery beat runs fixed periodic tasks; a region's meetings are per-chapter calendars that
change when a chapter file does, and each needs exactly one job. So the scheduler is beat's
equivalent for calendars: every tick it
1. plans the next occurrences of every chapter (one row each in the store, see claims);
2. puts back in the queue every running meeting whose worker stopped beating (a handover);
3. sends the join job of every due meeting whose time has come (join_before_min before).
A tick that cannot reach Redis or PostgreSQL changes nothing it cannot redo: the rows stay due
and the next tick sends them; `run` says so once when it starts and once when it is over.
After the database was unreachable, no meeting is handed over for one lease: its workers could
not beat either, and a stale heartbeat then says nothing about them.
Running two schedulers is harmless (claims refuse duplicates).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from meetbot.errors import MeetbotError, StorageError
from meetbot.fleet.chapters import Chapters
from meetbot.fleet.claims import Claims

PLAN_AHEAD = 2  # occurrences per chapter kept planned: `fleet status` shows them as upcoming


class Service(StrEnum):
    BROKER = "broker"
    DATABASE = "database"


@dataclass(slots=True)
class Tick:
    planned: list[str] = field(default_factory=list)
    handed_over: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    down: dict[Service, str] = field(default_factory=dict)  # what did not answer, and why

    def problem(self, exc: MeetbotError, line: str | None = None) -> None:
        service = Service.DATABASE if isinstance(exc, StorageError) else Service.BROKER
        self.down.setdefault(service, str(exc))
        self.problems.append(line or str(exc))


class Scheduler:
    def __init__(
        self,
        chapters: Chapters,
        claims: Claims,
        send: Callable[[str], None],
        check: Callable[[], None] = lambda: None,
    ) -> None:
        """`send` queues one meeting's job; `check` raises when the broker does not answer
        (so an outage shows before a meeting is due)."""
        self.chapters = chapters
        self.claims = claims
        self.send = send
        self.check = check
        self._database_was_down = False
        self._handover_from = float("-inf")
        # Occurrences this scheduler has already planned: a tick then costs the database
        # nothing for them (measured: 500 chapters re-checked took most of an idle tick).
        self._planned: set[str] = set()
        # The planned set only changes when a planned meeting starts (then the next one comes
        # into view): until then a tick skips computing every chapter's calendar (measured: a
        # second of CPU per tick at 500 chapters).
        self._replan_at = float("-inf")

    def tick(self, now: float | None = None) -> Tick:
        now = time.time() if now is None else now
        done = Tick()
        try:
            self._plan(now, done)
            done.handed_over = self._handovers(now)
            due = self.claims.due(now)
        except MeetbotError as exc:
            done.problem(exc)
            self._database_was_down = True
            self._check_broker(done)  # said apart: one may be down, the other not
            return done
        for row in due:
            try:
                self.send(row.key)
                self.claims.queued(row.key)
            except MeetbotError as exc:
                # Stays due: the next tick sends it. One line per tick, not per meeting.
                done.problem(exc, f"{exc} ({len(due) - len(done.sent)} meetings wait)")
                self._database_was_down |= isinstance(exc, StorageError)
                break
            done.sent.append(row.key)
        if Service.BROKER not in done.down:
            self._check_broker(done)
        return done

    def _check_broker(self, done: Tick) -> None:
        try:
            self.check()
        except MeetbotError as exc:
            done.problem(exc)

    def _handovers(self, now: float) -> list[str]:
        if self._database_was_down:
            # Back after an outage: every worker gets a whole lease to beat again.
            self._database_was_down = False
            self._handover_from = now + self.claims.lease_s
        if now < self._handover_from:
            return []
        return [r.key for r in self.claims.lapsed(now)]

    def _plan(self, now: float, done: Tick) -> None:
        if now < self._replan_at:
            return
        # From one longest meeting ago: a scheduler started late still plans the meeting that
        # is on now.
        after = datetime.fromtimestamp(now, UTC) - timedelta(seconds=self.chapters.longest_s)
        upcoming = self.chapters.upcoming(after, PLAN_AHEAD + 1)
        starts = [o.start.timestamp() for o in upcoming if o.start.timestamp() > now]
        for occurrence in upcoming:
            if occurrence.end.timestamp() <= now or occurrence.key in self._planned:
                continue
            schedule = self.chapters.get(occurrence.chapter).schedule
            if self.claims.plan(occurrence, join_before_s=schedule.join_before_min * 60):
                done.planned.append(occurrence.key)
            self._planned.add(occurrence.key)
        self._replan_at = min(starts, default=now + 3600.0)

    def run(
        self,
        every_s: float,
        *,
        say: Callable[[str], None],
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        """Tick every `every_s` until `stop()`; problems are retried, never fatal, and said
        once when a service stops answering and once when it answers again."""
        down: dict[Service, str] = {}
        while not stop():
            started = time.monotonic()
            done = self.tick()
            for key in done.handed_over:
                say(f"worker of {key} stopped answering: queued again for another worker")
            for key in done.sent:
                say(f"queued {key}")
            for service, problem in done.down.items():
                if service not in down:
                    say(f"problem: {problem}")
            for service in down.keys() - done.down.keys():
                say(f"the {service} answers again")
            down = done.down
            # A timer loop: there is no event to wait for between ticks.
            time.sleep(max(0.0, every_s - (time.monotonic() - started)))
