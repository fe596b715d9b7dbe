"""Tunables of the pure domain. Defaults live here and, commented, in config/default.toml."""

from __future__ import annotations

from dataclasses import dataclass

from meetbot.domain.ranges import SHARE, check, seconds


@dataclass(frozen=True, slots=True)
class TimelineSettings:
    # A state must hold this long before a span switches to it; shorter blips stay in the
    # previous state (a glance at notes is not looking away).
    looking_away_dwell_s: float = 5.0
    # A look down (head bowed over notes, a phone, a keyboard) must hold this long: writing a
    # referral down takes a few seconds of head down and is attention, a phone held longer is not.
    looking_down_dwell_s: float = 10.0
    absent_dwell_s: float = 5.0
    camera_off_dwell_s: float = 3.0
    engaged_dwell_s: float = 2.0
    # Without any observation for this long, a connected participant's state is unknown.
    stale_after_s: float = 5.0
    # Readings below this confidence count as unknown.
    min_confidence: float = 0.5
    # A connection that shows no video at all this long after joining had its camera off.
    no_video_after_s: float = 10.0

    def __post_init__(self) -> None:
        check(
            self,
            {
                "looking_away_dwell_s": seconds(),
                "looking_down_dwell_s": seconds(),
                "absent_dwell_s": seconds(),
                "camera_off_dwell_s": seconds(),
                "engaged_dwell_s": seconds(),
                "stale_after_s": seconds(positive=True),
                "min_confidence": SHARE,
                "no_video_after_s": seconds(positive=True),
            },
        )


@dataclass(frozen=True, slots=True)
class TurnSettings:
    min_turn_s: float = 8.0  # shorter bursts are interjections, not turns
    merge_gap_s: float = 3.0  # pauses shorter than this stay inside one turn
    chair_min_turn_s: float = 30.0  # the chair's remarks only count when this long
    # Without a feature slot in the agenda, the longest member turn this long is the feature.
    feature_min_s: float = 240.0

    def __post_init__(self) -> None:
        check(
            self,
            dict.fromkeys(
                ("min_turn_s", "merge_gap_s", "chair_min_turn_s", "feature_min_s"), seconds()
            ),
        )


@dataclass(frozen=True, slots=True)
class AttendanceSettings:
    late_grace_s: float = 300.0  # joining within this of the start is on time
    early_leave_grace_s: float = 300.0  # leaving within this of the end is not early
    rejoin_merge_s: float = 120.0  # gaps shorter than this are one stay, not leave+rejoin

    def __post_init__(self) -> None:
        check(
            self,
            dict.fromkeys(("late_grace_s", "early_leave_grace_s", "rejoin_merge_s"), seconds()),
        )


@dataclass(frozen=True, slots=True)
class ScoringSettings:
    # Below this many observable seconds of other members' turns there is no score.
    min_observable_s: float = 60.0
    # ...or below this share of the others' turns the person was connected for.
    min_observable_share: float = 0.3

    def __post_init__(self) -> None:
        check(self, {"min_observable_s": seconds(), "min_observable_share": SHARE})


@dataclass(frozen=True, slots=True)
class DomainSettings:
    """The tunables the pure domain needs, bundled so one argument carries them."""

    timeline: TimelineSettings = TimelineSettings()
    turns: TurnSettings = TurnSettings()
    attendance: AttendanceSettings = AttendanceSettings()
    scoring: ScoringSettings = ScoringSettings()
