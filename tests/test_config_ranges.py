"""Every numeric tunable of config/default.toml, walked with 0, a negative, NaN, inf and 1e12.

Each value is either refused in one line that names the file (or environment variable) and the
dotted key, or accepted — and then the component that consumes the section is built and run
briefly with it, so no value is accepted that would crash or hang later. The keys come from
parsing default.toml, so a new tunable is walked without touching this file; a new section
needs a consumer in `use`.
"""

from __future__ import annotations

import dataclasses
import math
import random
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import skimage.data

from detectors import Detector
from meetbot import config
from meetbot.cli import main
from meetbot.clock import MonotonicClock
from meetbot.config.schema import Settings
from meetbot.connectors.browser import profiles
from meetbot.connectors.browser.tab import MeetingTab
from meetbot.connectors.janus import JanusConnector
from meetbot.domain.assemble import assemble
from meetbot.domain.chapter import Chapter, Member
from meetbot.domain.events import (
    Event,
    MeetingEnded,
    Observation,
    ParticipantId,
    ParticipantJoined,
    SpeechChanged,
)
from meetbot.domain.header import SessionHeader
from meetbot.domain.record import SessionRecord
from meetbot.domain.settings import DomainSettings
from meetbot.domain.speech_gate import SpeechGate
from meetbot.domain.states import State
from meetbot.errors import ConfigError
from meetbot.media.sampler import MediaSampler
from meetbot.publishers.attempts import Backoff
from meetbot.store import Store

ROOT = Path(__file__).resolve().parent.parent
DEFAULTS = tomllib.loads((ROOT / "config" / "default.toml").read_text(encoding="utf-8"))
NUMERIC = sorted(
    f"{section}.{key}"
    for section, table in DEFAULTS.items()
    for key, value in table.items()
    if isinstance(value, int | float) and not isinstance(value, bool)
)
EXTREMES = (0, -1, math.nan, math.inf, 1e12)
CHAPTER = '[chapter]\nname = "Ranges"\n'


def toml_literal(default: float, extreme: float) -> str:
    """`extreme` as a TOML value of the key's own type where TOML has one (nan/inf are floats)."""
    if math.isnan(extreme):
        return "nan"
    if math.isinf(extreme):
        return "inf"
    if isinstance(default, int):
        return str(int(extreme))
    return repr(float(extreme))


def test_the_walk_covers_the_numeric_tunables() -> None:
    assert len(NUMERIC) >= 60  # default.toml had 65 when this was written
    assert {"sampling.fps", "detector.max_width", "storage.retention_days"} <= set(NUMERIC)


@pytest.mark.parametrize("dotted", NUMERIC)
def test_extreme_values_are_refused_in_one_line_or_work(tmp_path: Path, dotted: str) -> None:
    section, key = dotted.split(".")
    path = tmp_path / "my-chapter.toml"
    for extreme in EXTREMES:
        literal = toml_literal(DEFAULTS[section][key], extreme)
        path.write_text(f"{CHAPTER}[{section}]\n{key} = {literal}\n", encoding="utf-8")
        try:
            settings = config.load(path, env={})
        except ConfigError as exc:
            message = str(exc)
            assert "\n" not in message, message
            assert message.startswith(f"{path}: {dotted} must be "), message
            continue
        assert math.isfinite(extreme), f"{dotted} = {literal} was accepted"
        use(section, settings, tmp_path)


@pytest.mark.parametrize("dotted", NUMERIC)
def test_environment_values_that_are_not_finite_are_refused(dotted: str) -> None:
    section, key = dotted.split(".")
    var = f"MEETBOT_{section.upper()}__{key.upper()}"
    for text in ("nan", "inf"):
        with pytest.raises(ConfigError) as refused:
            config.load(None, env={var: text})
        assert str(refused.value).startswith(f"environment {var}: {dotted} must be ")
        assert "\n" not in str(refused.value)


def test_config_check_reports_a_refused_value_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "my-chapter.toml"
    path.write_text(f"{CHAPTER}[sampling]\nfps = nan\n", encoding="utf-8")
    assert main(["config", "check", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    allowed = "a finite number greater than 0 and at most 10"
    assert err == f"meetbot: {path}: sampling.fps must be {allowed}, got nan"


def test_the_longest_retention_still_purges(tmp_path: Path) -> None:
    """36500 days is the cap: `now - retention` must not overflow at a session's end."""
    path = tmp_path / "my-chapter.toml"
    path.write_text(f"{CHAPTER}[storage]\nretention_days = 36500\n", encoding="utf-8")
    use("storage", config.load(path, env={}), tmp_path)


# --- the consumers: each builds and briefly runs what reads its section ------------------------


def use(section: str, s: Settings, tmp_path: Path) -> None:
    if section in ("sampling", "detector"):
        use_media(s)
    elif section in ("timeline", "turns", "attendance", "scoring"):
        record = fold(s.domain())
        assert {a.person for a in record.attendees} >= {"Ann Lee", "Bo Chen"}
    elif section == "meeting":
        assert JanusConnector(s.meeting, MonotonicClock()).announce
    elif section == "discord":
        backoff = Backoff(
            s.discord.backoff_base_s,
            s.discord.backoff_factor,
            s.discord.backoff_cap_s,
            s.discord.backoff_jitter,
        )
        rng = random.Random(1)
        for failures in range(1, s.discord.max_attempts + 1):
            assert 0 <= backoff.delay(failures, None, rng) <= 2 * s.discord.backoff_cap_s + 1
    elif section == "storage":
        with Store.open(s, data_dir=tmp_path) as store:
            assert store.purge(datetime.now(UTC)) == 0
    elif section == "browser":
        tab = MeetingTab(
            profiles.load("janus_mvideoroom"), s.meeting, s.browser, s.sampling, tmp_path
        )
        core, page = tab.page_config()
        assert core["perSample"] >= 1
        assert page["pageSize"] >= 1
        assert page["pageDwellMs"] > 0
    elif section == "schedule":
        weekly = dataclasses.replace(s.schedule, weekdays=("tuesday",), start="07:00")
        (meeting,) = weekly.occurrences("Ranges", "UTC", datetime.now(UTC), 1)
        assert meeting.start < meeting.end
    else:
        raise AssertionError(f"[{section}] accepted an extreme value: add its consumer to use()")


def use_media(s: Settings) -> None:
    sampler = MediaSampler(s.sampling, s.detector, MonotonicClock())
    assert 0 < sampler.period < math.inf
    gate = SpeechGate(s.sampling)
    for i in range(40):
        gate.feed(i * 0.1, -20.0 if i % 10 < 5 else -80.0)
    # A real face (the face search, pose, baseline and recount run) and a lit picture without
    # one (the quality checks and "no face"), as the sampler would hand them over.
    face = skimage.data.astronaut()
    y, x = np.mgrid[0:360, 0:640]
    no_face = np.stack([(x // 3) % 256, (y // 2) % 256, ((x + y) // 4) % 256], axis=-1)
    frames = [face] * 7 + [no_face.astype(np.uint8), None]
    with Detector(s.detector) as detector:
        for at, frame in enumerate(frames):
            reading = detector.observe(frame, float(at), speaking=at < 3)
            assert 0.0 <= reading.confidence <= 1.0


def fold(settings: DomainSettings) -> SessionRecord:
    """A two-minute meeting of two members taking turns, folded with `settings`."""
    ann, bo = ParticipantId("p-ann"), ParticipantId("p-bo")
    events: list[Event] = [
        ParticipantJoined(0.0, ann, "Ann Lee"),
        ParticipantJoined(1.0, bo, "Bo Chen"),
        SpeechChanged(5.0, ann, True),
        SpeechChanged(60.0, ann, False),
        SpeechChanged(61.0, bo, True),
        SpeechChanged(115.0, bo, False),
    ]
    for t in range(2, 120):
        events.append(Observation(float(t), ann, State.ENGAGED, 0.9))
        events.append(Observation(float(t), bo, State.LOOKING_AWAY if t % 7 else State.ENGAGED))
    events.append(MeetingEnded(120.0))
    chapter = Chapter("Ranges", roster=(Member("Ann Lee"), Member("Bo Chen")))
    header = SessionHeader("ranges", chapter, datetime(2026, 3, 3, 7, 0, tzinfo=UTC), "janus", "1")
    return assemble(header, events, settings=settings, end_at=120.0)
