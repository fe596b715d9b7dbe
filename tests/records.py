"""The SessionRecords the report tests and golden files use, built by the real pipeline.

Each meeting is a script (tests/scripted_meeting.py): who joins under which display name,
when they look away, turn their camera off or speak. Its events go through the domain's own
assembly, so a record here holds only what a real session can store — a golden file shows what
people would really read. The comments say what each person is there to exercise; the figures
follow from the script (regenerate the golden files when the domain changes them, and read the
diff).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

from scripted_meeting import Connection, record

from meetbot.domain.chapter import AgendaItem, Chapter, Member
from meetbot.domain.record import SessionRecord
from meetbot.domain.states import Role, TurnKind

CHAPTER = "Riverside Business Builders"
TIMEZONE = "Europe/London"
START = datetime(2026, 3, 3, 6, 45, tzinfo=UTC)  # a Tuesday; 06:45 GMT in London too
LENGTH = 5400.0  # 90 minutes

# People the public recap must never name: they are neither thanked nor welcomed.
LOOKED_AWAY = "Erin O'Brien"
CAMERA_OFF = "Grace Kim"

ROSTER = (
    Member("Alice Carter", Role.LEAD, discord_id=101),
    Member("Bob Nguyen", discord_id=102),
    Member("Chloé Martin", discord_id=103),
    Member("Dev Patel", camera_exempt=True, discord_id=104),
    Member(LOOKED_AWAY, discord_id=105),
    Member("Farid Haddad", opted_out=True),
    Member(CAMERA_OFF, discord_id=107),
    Member("Hiro Tanaka", discord_id=108),
    Member("Ines Duarte", discord_id=109),
    Member("Jon Park", discord_id=110),
)
RIVERSIDE = Chapter(
    name=CHAPTER,
    timezone=TIMEZONE,
    roster=ROSTER,
    chair="Alice Carter",
    agenda=(
        AgendaItem("Alice Carter", 290, TurnKind.CHAIR),
        *(AgendaItem(m.name, 50) for m in ROSTER),
        AgendaItem("Chloé Martin", 600, TurnKind.FEATURE),
    ),
)

# The turns of the main meeting: the chair's welcome, eight 40-60 s member turns, the feature.
MEMBER_TURNS = (300, 880)
FEATURE = (1800, 2400)


@functools.cache
def chapter_session() -> SessionRecord:
    """A full 90-minute meeting: 9 expected members, a substitute, two visitors.

    Listening is judged only during other members' turns (300-880 s and the feature,
    1800-2400 s), so that is where the script puts looking away and camera-off. Visitors and
    substitutes are not scored (as meetbot/domain/scoring.py says). No individual score may
    appear in the public recap.
    """
    # fmt: off
    script = (
        # The chair: opens the meeting (a chair turn), then has a member turn of her own.
        Connection("Alice Carter", speaks=((0, 290), (300, 355)), away=((1850, 1950),)),
        # The feature presenter: thanked by name in public; glances away in others' turns.
        Connection("Chloé Martin | Martin & Co", speaks=((355, 405), FEATURE),
                   away=((420, 470), (700, 760))),
        # Camera accommodation: 5 min camera off during the feature, not counted.
        Connection("Dev Patel", joined=30, speaks=((405, 453),), camera_off=((1900, 2200),),
                   away=((360, 390),)),
        # Joined late and looked away a lot: never named in public.
        Connection("Erin O'Brien | Acme", joined=540, speaks=((600, 641),),
                   away=((1900, 2200),)),
        # Camera off for 6 minutes: a fact on her own card only.
        Connection("Grace Kim", speaks=((641, 700),), camera_off=((2000, 2360),),
                   unseen=((700, 760),), away=((650, 680),)),
        # Left early; the detector could not read him after the welcome: "not enough data".
        Connection("Hiro Tanaka", left=1500, unseen=((330, 1500),)),
        Connection("Jon Park", speaks=((700, 757),), away=((2000, 2030),)),
        # Stands in for Bob Nguyen, who does not come: Bob is represented, not absent.
        Connection("Sam Jones (sub for Bob Nguyen)", speaks=((757, 809),), away=((1000, 1200),)),
        Connection("Zoe Li", joined=60, speaks=((809, 854),)),
        # An opted-out member speaks: the turn counts for the others but is never named.
        Connection("Farid Haddad", speaks=((854, 880),)),
        # A hostile display name: Markdown and a mass mention must be defused everywhere.
        Connection("Max_Power @everyone", joined=120),
        # Ines Duarte never joins: absent.
    )
    # fmt: on
    return record("2026-03-03-riverside", RIVERSIDE, START, script, LENGTH)


# Earlier weekly sessions, oldest first: per person P(resent), L(ate), A(bsent), S(ubstitute)
# or V(isitor), and the seconds they looked away during others' turns (None: never readable).
P, L, A, S, V = "P", "L", "A", "S", "V"
# fmt: off
HISTORY: tuple[tuple[int, dict[str, tuple[str, float | None]]], ...] = (
    (4, {"Alice Carter": (P, 50), "Bob Nguyen": (P, 130), "Chloé Martin": (P, 110),
         "Dev Patel": (P, 40), "Erin O'Brien": (L, 150), "Grace Kim": (P, 90),
         "Hiro Tanaka": (A, None), "Ines Duarte": (P, 100), "Jon Park": (P, 20),
         "Visitor One": (V, 0)}),
    (3, {"Alice Carter": (P, 40), "Bob Nguyen": (P, 120), "Chloé Martin": (A, None),
         "Dev Patel": (P, 60), "Erin O'Brien": (P, 140), "Grace Kim": (P, 90),
         "Hiro Tanaka": (P, 80), "Ines Duarte": (A, None), "Jon Park": (P, 10)}),
    (2, {"Alice Carter": (P, 30), "Bob Nguyen": (L, 110), "Chloé Martin": (P, 80),
         "Dev Patel": (P, 50), "Erin O'Brien": (P, 120), "Grace Kim": (P, None),
         "Hiro Tanaka": (P, 70), "Ines Duarte": (A, None), "Jon Park": (P, 10),
         "Pat Reyes (sub for Ines Duarte)": (S, 0), "Visitor Two": (V, 0),
         "Visitor Three": (V, 0)}),
    (1, {"Alice Carter": (P, 40), "Bob Nguyen": (P, 120), "Chloé Martin": (P, 90),
         "Dev Patel": (L, 60), "Erin O'Brien": (A, None), "Grace Kim": (P, 100),
         "Hiro Tanaka": (P, 70), "Ines Duarte": (P, 90), "Jon Park": (P, 10)}),
)
# fmt: on


@functools.cache
def earlier_sessions() -> tuple[SessionRecord, ...]:
    """Four weekly meetings before `chapter_session`, oldest first: everyone there has a
    50 s turn, one after another from 300 s; the feature is left out."""
    chapter = Chapter(name=CHAPTER, timezone=TIMEZONE, roster=ROSTER)
    out = []
    for weeks_before, people in HISTORY:
        script = []
        there = [(n, k, away) for n, (k, away) in people.items() if k is not A]
        end_of_turns = 300 + 60 * len(there)
        for i, (name, kind, away) in enumerate(there):
            script.append(
                Connection(
                    name,
                    joined=400.0 if kind is L else 0.0,
                    speaks=((300 + 60 * i, 350 + 60 * i),),
                    # Looking away while the others speak (from the end of the turns backwards).
                    away=((end_of_turns - (away or 0), end_of_turns),) if away else (),
                    unseen=((0, LENGTH),) if away is None else (),
                )
            )
        started = START - timedelta(weeks=weeks_before)
        out.append(record(f"{started:%Y-%m-%d}-riverside", chapter, started, script, LENGTH))
    return tuple(out)


@functools.cache
def small_session() -> SessionRecord:
    """Three members: too few for per-member detail or a public listening figure."""
    chapter = Chapter(
        name="Tiny Chapter",
        timezone="Asia/Tokyo",
        roster=(Member("Ann Lee"), Member("Bo Chen"), Member("Cy Diaz")),
    )
    script = (
        Connection("Ann Lee", speaks=((100, 220),), away=((260, 272),)),
        Connection("Bo Chen", speaks=((230, 350),), away=((120, 156),)),
    )
    return record(
        "2026-03-04-tiny",
        chapter,
        datetime(2026, 3, 4, 23, 30, tzinfo=UTC),  # already 5 March in Tokyo
        script,
        1800.0,
        room="7",
    )


@functools.cache
def large_session(members: int = 60, weeks_before: int = 0) -> SessionRecord:
    """A big chapter: `members` roster members with long names, every 7th absent, every 5th
    late, three visitors; member 0 gives the feature. Looking away grows with the member's
    index and shrinks week by week."""
    names = [f"Member Number {i:02d} Longname-Doublebarrel" for i in range(members)]
    chapter = Chapter(
        name="A Chapter With A Fairly Long Name Indeed",
        roster=tuple(Member(n) for n in names),
        agenda=(AgendaItem(names[0], 600, TurnKind.FEATURE),),
    )
    script = []
    for i, name in enumerate(names):
        if i % 7 == 3:
            continue
        turn = (600 + 55 * i, 650 + 55 * i)
        away = max(0, 20 + 4 * (i % 30) - 5 * weeks_before)
        script.append(
            Connection(
                name,
                joined=420.0 if i % 5 == 1 else 0.0,
                speaks=(turn, (4000, 4600)) if i == 0 else (turn,),
                away=((4600 - away, 4600),) if away and i else (),
            )
        )
    script += [Connection(f"Visitor {v} of Some Company Ltd") for v in range(3)]
    started = START - timedelta(weeks=weeks_before)
    return record(f"{started:%Y-%m-%d}-large", chapter, started, script, LENGTH, room="1")
