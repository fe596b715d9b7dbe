"""Config loading: default ← chapter file ← environment, one clear message per mistake."""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from pathlib import Path

import pytest

from meetbot import config
from meetbot.config.schema import Settings
from meetbot.domain.states import Role, TurnKind
from meetbot.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "chapter.example.toml"

MINIMAL = """
[chapter]
name = "Test chapter"

[[roster]]
name = "Ann Lee"

[[roster]]
name = "Bo Chen"
aliases = ["Bo C"]
"""


def write(tmp_path: Path, text: str, name: str = "chapter.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_example_chapter_loads_with_every_section() -> None:
    s = config.load(EXAMPLE, env={})
    assert s.chapter.name == "Riverside Business Builders"
    assert s.chapter.timezone == "Europe/London"
    assert [m.name for m in s.roster][:2] == ["Alice Carter", "Bob Nguyen"]
    assert s.roster[0].role is Role.LEAD
    assert s.roster[1].aliases == ("Bobby N", "Bob N")
    assert s.roster[2].discord_id == 100000000000000003
    assert any(m.camera_exempt for m in s.roster)
    assert any(m.opted_out for m in s.roster)
    assert s.agenda[-1].kind is TurnKind.FEATURE
    assert s.source == str(EXAMPLE)
    assert s.to_chapter().chair == "Alice Carter"


def test_defaults_apply_where_the_chapter_is_silent(tmp_path: Path) -> None:
    s = config.load(write(tmp_path, MINIMAL), env={})
    assert s.sampling.fps == 1.0
    assert s.timeline.looking_away_dwell_s == 5.0
    assert s.storage.retention_days == 180
    assert s.meeting.display_name.startswith("meetbot")


def test_chapter_overrides_default_and_environment_overrides_both(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "\n[sampling]\nfps = 2.0\nmax_width = 480\n")
    s = config.load(
        path, env={"MEETBOT_SAMPLING__FPS": "0.5", "MEETBOT_STORAGE__URL": "sqlite:///x.db"}
    )
    assert s.sampling.fps == 0.5
    assert s.sampling.max_width == 480
    assert s.storage.url == "sqlite:///x.db"


def test_command_line_overrides_win(tmp_path: Path) -> None:
    s = config.load(write(tmp_path, MINIMAL), env={}, overrides={"meeting.room": 4321})
    assert s.meeting.room == 4321


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ('[sampling]\nfps = "fast"', r"chapter\.toml: sampling\.fps must be a number, got 'fast'"),
        ("[sampling]\nfsp = 2", r"unknown key sampling\.fsp \(did you mean 'fps'\?\)"),
        ("[meeting]\nroom = 12.5", r"meeting\.room must be a whole number, got 12\.5"),
        ("[discord]\nuse_webhook = 1", r"discord\.use_webhook must be true or false, got 1"),
        (
            '[meeting]\nplatform = "webex"',
            r"meeting\.platform must be one of janus, janus_videoroom",
        ),
        ('[browser]\ncapture = "pixels"', r"browser\.capture"),
        ("[browser]\nframes_per_sample = 9", r"browser\.frames_per_sample must be"),
        ("[sampling]\nfps = 0", r"sampling\.fps must be a finite number greater than 0 and at"),
        ("[discord]\nfinish_timeout_s = 0", r"discord\.finish_timeout_s must be .* greater than 0"),
        ("[sampling]\nresume_lead_s = -0.1", r"sampling\.resume_lead_s must be .* from 0 to 10"),
        ("[sampling]\npause_video_from = -1", r"sampling\.pause_video_from must be .* from 0 to"),
        ("[discord]\nbackoff_base_s = -2", r"discord\.backoff_base_s must be .* from 0 to"),
        ("[discord]\nbackoff_factor = 0.5", r"discord\.backoff_factor must be .* from 1 to 100"),
        ("[sampling]\nfps = 60", r"sampling\.fps must be .* at most 10, got 60\.0$"),
        ("[sampling]\nfps = nan", r"chapter\.toml: sampling\.fps must be a finite .*, got nan$"),
        ("[sampling]\ndetector_threads = 0", r"sampling\.detector_threads must be a whole number"),
        ('[meeting]\ndisplay_name = " "', r"meeting\.display_name must be a non-empty name"),
        ("[meeting]\nkeepalive_s = 0", r"meeting\.keepalive_s must be .* from 1 to 3600, got 0"),
        ("[meeting]\njoin_timeout_s = nan", r"meeting\.join_timeout_s must be a finite number"),
        ("[discord]\nmax_attempts = 0", r"discord\.max_attempts must be a whole number from 1"),
        ("[timeline]\nabsent_dwell_s = -1", r"timeline\.absent_dwell_s must be .* from 0 to"),
        ("[timeline]\nmin_confidence = 2", r"timeline\.min_confidence must be .* from 0 to 1,"),
        ("[detector]\nmax_width = 0", r"detector\.max_width must be a whole number from 32 to"),
        ("[storage]\nretention_days = 1000000", r"storage\.retention_days must be .* to 36500,"),
        ("[storage]\ncheckpoint_s = inf", r"storage\.checkpoint_s must be a finite number"),
        (
            '[storage]\nurl = "mysql://me:pw@db/x"',
            r"storage\.url must be empty .*, got 'mysql://…'$",
        ),
        ("[sampling]\naudio_silence_db = -30", r"sampling\.audio_silence_db must be at most"),
        ("[detector]\nbaseline_min_samples = 500", r"detector\.baseline_min_samples must be at"),
        ("[bogus]\nx = 1", r"unknown key bogus"),
        ('[chapter]\ntimezone = "Mars/Base"', r"chapter\.timezone 'Mars/Base' is not a known"),
        ('[chapter]\nchair = "Nobody"', r"chapter\.chair 'Nobody' is not on the roster"),
        (
            '[chapter]\nlanguage = "xx"',
            r"chapter\.language must be a language meetbot ships \(en, de, es, fr, it, pt-BR\), "
            r"got 'xx'",
        ),
        ('[discord]\ntoken = "abc"', r"discord\.token looks like a secret.*environment"),
        ("[ice]\n", r"unknown key ice"),
    ],
)
def test_bad_values_name_the_file_and_key(tmp_path: Path, snippet: str, message: str) -> None:
    text = MINIMAL + "\n" + snippet + "\n"
    if snippet.startswith("[chapter]"):  # TOML allows one [chapter] table: merge into it
        text = MINIMAL.replace("[chapter]", snippet)
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message):
        config.load(path, env={})


@pytest.mark.parametrize(
    ("roster_extra", "message"),
    [
        ('discord_id = "abc"', r"roster\[2\]\.discord_id must be a whole number, got 'abc'"),
        ('role = "boss"', r"roster\[2\]\.role must be one of 'member', 'lead', 'visitor'"),
        ("camera_exempt = 3", r"roster\[2\]\.camera_exempt must be true or false"),
        ("discord_id = -5", r"roster\[2\]\.discord_id must be a positive number"),
        ('aliases = "Cy"', r"roster\[2\]\.aliases must be a list"),
        ('aliases = ["Bo C"]', r"roster\[2\] name or alias 'Bo C' is also used by 'Bo Chen'"),
        ("nickname = 'x'", r"unknown key roster\[2\]\.nickname"),
    ],
)
def test_bad_roster_entries_name_the_index(tmp_path: Path, roster_extra: str, message: str) -> None:
    text = MINIMAL + f'\n[[roster]]\nname = "Cy Doe"\n{roster_extra}\n'
    with pytest.raises(ConfigError, match=message):
        config.load(write(tmp_path, text), env={})


def test_missing_required_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[chapter]\ntimezone = "UTC"\n')
    # default.toml gives a name; a chapter file cannot remove it, so remove it at the source:
    with pytest.raises(ConfigError, match=r"roster\[0\]: missing key roster\[0\]\.name|name"):
        config.load(write(tmp_path, MINIMAL + '\n[[roster]]\nrole = "member"\n', "c2.toml"))
    # A nameless chapter file used to pass as the defaults' "My chapter" (issue 23).
    with pytest.raises(ConfigError, match=r"chapter\.name is missing; a chapter file must"):
        config.load(path, env={})


def test_agenda_speaker_must_be_on_the_roster(tmp_path: Path) -> None:
    text = MINIMAL + '\n[[agenda]]\nspeaker = "Zed"\n'
    with pytest.raises(ConfigError, match=r"agenda\[0\]\.speaker 'Zed' is not on the roster"):
        config.load(write(tmp_path, text), env={})


def test_malformed_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML"):
        config.load(write(tmp_path, "[chapter\nname=", "bad.toml"), env={})
    with pytest.raises(ConfigError, match=r"nope\.toml: no such file; copy"):
        config.load(tmp_path / "nope.toml", env={})


def test_environment_values_are_typed_and_named(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    with pytest.raises(ConfigError, match=r"environment MEETBOT_SAMPLING__FPS: sampling\.fps"):
        config.load(path, env={"MEETBOT_SAMPLING__FPS": "lots"})
    hook = {"MEETBOT_DISCORD__USE_WEBHOOK": "yes", "MEETBOT_DISCORD_WEBHOOK_URL": "https://h/x"}
    s = config.load(path, env=hook)
    assert s.discord.use_webhook is True
    with pytest.raises(ConfigError, match=r"environment MEETBOT_SAMPLING__NOPE: unknown key"):
        config.load(path, env={"MEETBOT_SAMPLING__NOPE": "1"})


def test_missing_secrets_are_reported_only_when_needed(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "\n[discord]\nchannel_id = 123\n")
    assert config.load(path, env={}).discord.channel_id == 123  # fine until we must post
    with pytest.raises(ConfigError, match="MEETBOT_DISCORD_TOKEN is not set"):
        config.load(path, env={}, require_discord=True)
    s = config.load(path, env={"MEETBOT_DISCORD_TOKEN": "t0k"}, require_discord=True)
    assert s.secrets.discord_token == "t0k"
    hook = write(tmp_path, MINIMAL + "\n[discord]\nuse_webhook = true\n", "hook.toml")
    with pytest.raises(ConfigError, match="MEETBOT_DISCORD_WEBHOOK_URL is not set"):
        config.load(hook, env={}, require_discord=True)


def test_data_dir_prefers_meetbot_home(tmp_path: Path) -> None:
    assert config.data_dir({"MEETBOT_HOME": str(tmp_path)}) == tmp_path
    assert config.data_dir({}).name == "meetbot"


def _settings_fields(cls: typing.Any, prefix: str = "") -> set[str]:
    out: set[str] = set()
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            out |= _settings_fields(tp, f"{f.name}.")
        else:
            out.add(prefix + f.name)
    return out


def test_default_toml_lists_every_tunable_with_a_comment() -> None:
    """config/default.toml is the documentation of every tunable: keep it complete."""
    text = (ROOT / "config" / "default.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    tunables = {
        name
        for name in _settings_fields(Settings)
        if "." in name and not name.startswith("secrets.")
    }
    listed = {f"{section}.{key}" for section, table in data.items() for key in table}
    assert tunables - listed == set(), "add these to config/default.toml"
    assert listed - tunables == set(), "config/default.toml lists keys no code reads"
    section = ""
    for line in text.splitlines():
        if m := re.match(r"\[(\w+)\]", line):
            section = m.group(1)
        elif m := re.match(r"(\w+)\s*=", line):
            key = f"{section}.{m.group(1)}"
            if key not in ("meeting.announce", "meeting.display_name"):
                assert "#" in line, f"config/default.toml: {key} needs a comment saying why"


def test_a_refused_value_names_the_layer_that_set_it(tmp_path: Path) -> None:
    """Values are checked once the layers are merged, but the message names who set the value."""
    path = write(tmp_path, MINIMAL + "\n[sampling]\naudio_speech_db = -30.0\n")
    # silence <= speech holds only after merging: the file's speech level with the env's silence
    s = config.load(path, env={"MEETBOT_SAMPLING__AUDIO_SILENCE_DB": "-35"})
    assert (s.sampling.audio_speech_db, s.sampling.audio_silence_db) == (-30.0, -35.0)
    with pytest.raises(ConfigError, match=r"^environment MEETBOT_SAMPLING__AUDIO_SILENCE_DB: samp"):
        config.load(path, env={"MEETBOT_SAMPLING__AUDIO_SILENCE_DB": "-20"})
    with pytest.raises(ConfigError, match=r"^command line: meeting\.room must be a whole number f"):
        config.load(path, env={}, overrides={"meeting.room": 0})
    with pytest.raises(ConfigError, match=r"^command line: sampling\.audio_silence_db must be at"):
        config.load(path, env={}, overrides={"sampling.audio_silence_db": -20.0})
    bad = write(tmp_path, MINIMAL + "\n[detector]\nmax_width = 0\n", "bad.toml")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(bad))}: detector\.max_width must"):
        config.load(bad, env={"MEETBOT_SAMPLING__FPS": "2"})
