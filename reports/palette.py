"""Colours and words for states and turn kinds, the same in every picture.

Okabe-Ito colours, which readers with the common colour-vision deficiencies can tell apart,
each used for one meaning only. Camera off is a neutral grey (a fact, not a fault: some members
have an accommodation), and nothing is drawn in alarm red. Unknown is a pale hatched grey:
the bot could not tell, which says nothing about the person.
"""

from __future__ import annotations

from matplotlib.patches import Patch

from meetbot.domain.states import State, TurnKind
from meetbot.language import ENGLISH, N_, Language

# States: what a person was doing.
ENGAGED = "#009e73"  # bluish green
LOOKING_AWAY = "#e69f00"  # orange
ABSENT = "#cc79a7"  # reddish purple: camera on, nobody in front of it
CAMERA_OFF = "#8c8c8c"  # neutral grey
UNKNOWN = "#e0e0e0"  # pale grey, hatched
UNKNOWN_HATCH = "////"
CONNECTED = "#5f6b7a"  # slate: present, states not shown to this reader

# Turn kinds: who had the floor.
MEMBER_TURN = "#56b4e9"  # sky blue
FEATURE_TURN = "#0072b2"  # blue
CHAIR_TURN = "#f0e442"  # yellow
ROOM = "#000000"  # the room's listening line

STATE_COLOURS: dict[State, str] = {
    State.ENGAGED: ENGAGED,
    State.LOOKING_AWAY: LOOKING_AWAY,
    State.ABSENT: ABSENT,
    State.CAMERA_OFF: CAMERA_OFF,
    State.UNKNOWN: UNKNOWN,
}
STATE_WORDS: dict[State, str] = {
    State.ENGAGED: N_("engaged"),
    State.LOOKING_AWAY: N_("looking away"),
    State.ABSENT: N_("away from camera"),
    State.CAMERA_OFF: N_("camera off"),
    State.UNKNOWN: N_("could not tell"),
}
TURN_COLOURS: dict[TurnKind, str] = {
    TurnKind.MEMBER: MEMBER_TURN,
    TurnKind.FEATURE: FEATURE_TURN,
    TurnKind.CHAIR: CHAIR_TURN,
}
TURN_WORDS: dict[TurnKind, str] = {
    TurnKind.MEMBER: N_("member turn"),
    TurnKind.FEATURE: N_("feature"),
    TurnKind.CHAIR: N_("chair"),
}


def state_patch(state: State, lang: Language = ENGLISH) -> Patch:
    hatch = UNKNOWN_HATCH if state is State.UNKNOWN else None
    return Patch(
        facecolor=STATE_COLOURS[state],
        edgecolor="#bbbbbb" if hatch else STATE_COLOURS[state],
        hatch=hatch,
        label=lang.gettext(STATE_WORDS[state]),
    )


def turn_patch(kind: TurnKind, lang: Language = ENGLISH) -> Patch:
    label = lang.gettext(TURN_WORDS[kind])
    return Patch(facecolor=TURN_COLOURS[kind], edgecolor="none", label=label)
