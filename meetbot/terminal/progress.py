"""Live progress of a meeting in the terminal: who is here, who speaks, each person's state.

On a terminal the view is redrawn in place about once a second; elsewhere (CI, a log file,
systemd) it prints one plain line per change instead, so logs stay readable.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

from meetbot.domain.events import (
    ConnectionLost,
    ConnectionRestored,
    Event,
    MeetingEnded,
    Observation,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    SpeechChanged,
    TrackEnded,
)
from meetbot.domain.states import State, TrackKind


@dataclass(slots=True)
class _Person:
    name: str
    state: State = State.UNKNOWN
    speaking: bool = False
    connected: bool = True


@dataclass(slots=True)
class ProgressView:
    """What the terminal shows, folded from the same events the session sees."""

    people: dict[ParticipantId, _Person] = field(default_factory=dict)
    elapsed: float = 0.0
    connection_ok: bool = True
    ended: bool = False

    def apply(self, event: Event) -> str | None:
        """Update the view; return a one-line description when something a person cares about
        changed (joins, leaves, speaker, state), else None."""
        self.elapsed = max(self.elapsed, event.at)
        match event:
            case ParticipantJoined(participant=p, display_name=name):
                self.people[p] = _Person(name)
                return f"{name} joined"
            case ParticipantLeft(participant=p, reason=reason):
                person = self.people.get(p)
                if person is None:
                    return None
                person.connected = False
                person.speaking = False
                return f"{person.name} left ({reason})"
            case SpeechChanged(participant=p, speaking=speaking):
                person = self.people.get(p)
                if person is None or person.speaking == speaking:
                    return None
                person.speaking = speaking
                return f"{person.name} {'starts' if speaking else 'stops'} speaking"
            case Observation(participant=p, state=state):
                person = self.people.get(p)
                if person is None or person.state == state:
                    return None
                person.state = state
                return f"{person.name}: {state}"
            case TrackEnded(participant=p, kind=TrackKind.VIDEO):
                person = self.people.get(p)
                return f"{person.name}: video ended" if person else None
            case ConnectionLost(detail=detail):
                self.connection_ok = False
                return f"connection to the meeting lost ({detail}); reconnecting"
            case ConnectionRestored():
                self.connection_ok = True
                return "connection restored"
            case MeetingEnded(reason=reason):
                self.ended = True
                return f"meeting ended ({reason})"
        return None

    def speaker(self) -> str:
        names = [p.name for p in self.people.values() if p.speaking and p.connected]
        return ", ".join(names) if names else "-"

    def table(self, title: str) -> str:
        minutes, seconds = divmod(int(self.elapsed), 60)
        here = [p for p in self.people.values() if p.connected]
        lines = [
            f"{title} — {minutes:02d}:{seconds:02d} elapsed, {len(here)} here, "
            f"speaking: {self.speaker()}" + ("" if self.connection_ok else "  [reconnecting…]"),
            "",
        ]
        for person in sorted(here, key=lambda p: p.name.casefold()):
            mark = "🎤" if person.speaking else "  "
            lines.append(f"  {mark} {person.name:<32} {person.state}")
        return "\n".join(lines)


class TerminalProgress:
    """Renders a ProgressView to a stream; call `see` for each event and `tick` every second."""

    def __init__(self, title: str, stream: TextIO | None = None) -> None:
        self.view = ProgressView()
        self.title = title
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty()
        self._drawn_lines = 0

    def see(self, event: Event) -> None:
        line = self.view.apply(event)
        if line and not self.live:
            minutes, seconds = divmod(int(event.at), 60)
            print(f"[{minutes:02d}:{seconds:02d}] {line}", file=self.stream, flush=True)

    def tick(self, now: float) -> None:
        self.view.elapsed = max(self.view.elapsed, now)
        if not self.live:
            return
        text = self.view.table(self.title)
        # Move up over the previous drawing and clear it, so the view updates in place.
        if self._drawn_lines:
            self.stream.write(f"\x1b[{self._drawn_lines}F\x1b[J")
        self.stream.write(text + "\n")
        self.stream.flush()
        self._drawn_lines = text.count("\n") + 1
