"""Who belongs to a chapter and what the meeting is expected to look like.

Pure data, built by meetbot.config from the chapter file; attendance and turns read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from meetbot.domain.states import Role, TurnKind


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    role: Role = Role.MEMBER
    aliases: tuple[str, ...] = ()  # other display names this person joins under
    discord_id: int | None = None
    camera_exempt: bool = False  # accommodation: camera metrics never count against them
    opted_out: bool = False  # never analysed, never stored beyond "opted out"
    # Display names of people who regularly stand in for this member (PALMS "substitute").
    substitutes: tuple[str, ...] = ()
    # BCP 47 tag of a shipped language for their private card, when their Discord client's
    # language is not one meetbot speaks; empty: the chapter's.
    language: str = ""


@dataclass(frozen=True, slots=True)
class AgendaItem:
    speaker: str  # a roster name
    expected_s: float = 60.0
    kind: TurnKind = TurnKind.MEMBER


@dataclass(frozen=True, slots=True)
class Chapter:
    name: str
    timezone: str = "UTC"
    roster: tuple[Member, ...] = ()
    agenda: tuple[AgendaItem, ...] = ()
    chair: str | None = None  # the facilitator: their short interjections are not turns
    extra: dict[str, str] = field(default_factory=dict)

    def member(self, name: str) -> Member | None:
        for m in self.roster:
            if m.name == name:
                return m
        return None
