"""chapter.language in the configuration: how it is read, and the announcement it words."""

from __future__ import annotations

from pathlib import Path

import pytest
from english_left import leftovers

from meetbot import config
from meetbot.clock import MonotonicClock
from meetbot.config.schema import ANNOUNCE, ChapterSection, MeetingSettings, Settings
from meetbot.connectors.janus import JanusConnector
from meetbot.errors import ConfigError
from meetbot.language import shipped


def chapter_file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "chapter.toml"
    path.write_text(f'[chapter]\nname = "Rio"\n{extra}', encoding="utf-8")
    return path


def test_the_chapters_language_is_read_as_its_shipped_tag(tmp_path: Path) -> None:
    path = chapter_file(tmp_path, 'language = "de"\n')
    assert config.load(path, env={}).chapter.language == "de"
    spelled = config.load(path, env={"MEETBOT_CHAPTER__LANGUAGE": "pt_br"})
    assert spelled.chapter.language == "pt-BR"
    with pytest.raises(ConfigError, match=r"MEETBOT_CHAPTER__LANGUAGE: chapter\.language must"):
        config.load(path, env={"MEETBOT_CHAPTER__LANGUAGE": "nl"})


def test_the_bot_announces_itself_in_the_chapters_language(tmp_path: Path) -> None:
    s = config.load(chapter_file(tmp_path), env={"MEETBOT_CHAPTER__LANGUAGE": "de"})
    said = JanusConnector(s.meeting, MonotonicClock()).announce
    assert said.startswith("Hallo, ich bin meetbot.")
    assert "weder Video noch Audio wird aufgezeichnet" in said
    assert "/meetbot optout" in said
    english = config.load(chapter_file(tmp_path), env={})
    assert english.meeting.announce == ANNOUNCE  # English chapters hear what they always heard


@pytest.mark.parametrize("tag", [tag for tag in shipped() if tag != "en"])
def test_every_language_words_the_whole_announcement(tag: str) -> None:
    said = Settings(chapter=ChapterSection("Rio", language=tag)).meeting.announce
    assert said != ANNOUNCE
    assert leftovers(said, tag) == []


def test_a_chapters_own_announcement_is_kept_in_any_language(tmp_path: Path) -> None:
    path = chapter_file(tmp_path, 'language = "fr"\n[meeting]\nannounce = "Bonjour à tous !"\n')
    assert config.load(path, env={}).meeting.announce == "Bonjour à tous !"
    own = Settings(ChapterSection("Rio", language="it"), meeting=MeetingSettings(announce="Ciao"))
    assert own.meeting.announce == "Ciao"


def test_a_roster_entry_may_name_its_own_shipped_language(tmp_path: Path) -> None:
    roster = '[[roster]]\nname = "Ana"\nlanguage = "pt_br"\n[[roster]]\nname = "Ben"\n'
    s = config.load(chapter_file(tmp_path, roster), env={})
    assert [m.language for m in s.roster] == ["pt_br", ""]  # "": the chapter's language
    with pytest.raises(
        ConfigError, match=r"roster\[1\]\.language must be a language meetbot "
    ) as e:
        config.load(chapter_file(tmp_path, roster + 'language = "nl"\n'), env={})
    said = str(e.value)
    assert "\n" not in said
    assert "de, es, fr" in said
    assert "got 'nl'" in said
