"""Where the bot goes and what it is called are checked at config load, per platform (issue 23, L6).

A browser profile opens `meeting.url` in a real Chromium: a local file or a script must never
get there. The Janus connector opens it with aiohttp's WebSocket client. `config check` also
asks the chosen page's own rule for display names, the rule the connector asks when joining.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meetbot import config
from meetbot.cli import main
from meetbot.connectors.browser import profiles
from meetbot.errors import ConfigError
from meetbot.fleet.chapters import load_folder
from meetbot.fleet.claims import Claims
from meetbot.fleet.invites import invite
from meetbot.store.database import create_engine

PAGE = 'platform = "janus_videoroom"\nroom = 1234\ndisplay_name = "meetbot"\n'


def chapter(tmp_path: Path, meeting: str, name: str = "chapter.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'[chapter]\nname = "Web"\n[meeting]\n{meeting}', encoding="utf-8")
    return path


def refused_line(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["config", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    return err


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("file:///etc/passwd", "'file:///etc/passwd'"),  # Chromium would show the local file
        ("javascript:alert(1)", "'javascript:alert(1)'"),
        ("ws://127.0.0.1:8188/", "'ws://…'"),  # Janus's API, not a page
        ("https://", "'https://'"),  # no host
        ("meet.example.org/abc", "'meet.example.org/abc'"),
    ],
)
def test_a_browser_platform_takes_only_a_web_link(
    tmp_path: Path, url: str, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = chapter(tmp_path, PAGE + f'url = "{url}"\n')
    err = refused_line(path, capsys)
    assert err.startswith(f"meetbot: {path}: meeting.url must be the link of the janus_videoroom")
    assert "http://, https:// and a host" in err
    assert err.endswith(f"got {shown}\n")


def test_a_web_link_with_a_passcode_is_not_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = chapter(tmp_path, PAGE + 'url = "ftp://zoom.example/j/1?pwd=SECRET"\n')
    err = refused_line(path, capsys)
    assert "SECRET" not in err
    assert err.endswith("got 'ftp://…'\n")


def test_a_browser_platform_with_no_url_of_its_own_blames_the_chapter_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The default url is Janus's WebSocket API: fine for janus, never a page to open.
    path = chapter(tmp_path, 'platform = "jitsi"\n')
    err = refused_line(path, capsys)
    assert err.startswith(f"meetbot: {path}: meeting.url must be the link of the jitsi")


@pytest.mark.parametrize("url", ["file:///tmp/x", "javascript:alert(1)", "ws://", "tcp://h:1/"])
def test_janus_takes_what_its_websocket_client_opens(tmp_path: Path, url: str) -> None:
    path = chapter(tmp_path, "")
    with pytest.raises(ConfigError) as refused:
        config.load(path, env={"MEETBOT_MEETING__URL": url})
    message = str(refused.value)
    assert message.startswith("environment MEETBOT_MEETING__URL: meeting.url must be Janus's")
    assert "ws://, wss://, http://, https:// and a host" in message
    for good in ("ws://127.0.0.1:8188/", "wss://meet.example.org/janus", "http://h:8188/"):
        loaded = config.load(path, env={"MEETBOT_MEETING__URL": good})
        assert loaded.meeting.url == good


def test_a_web_link_loads_for_every_browser_platform(tmp_path: Path) -> None:
    for name in profiles.NAMES:
        path = chapter(tmp_path, f'platform = "{name}"\nurl = "https://meet.example.org/r"\n')
        assert config.load(path, env={}).meeting.platform == name


def test_config_check_refuses_a_name_the_chosen_page_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The default display name has spaces and brackets; Janus's demo pages take letters and
    # digits only, which used to show only when probe or join reached the page.
    path = chapter(tmp_path, 'platform = "janus_videocall"\nurl = "http://127.0.0.1:9/x"\n')
    err = refused_line(path, capsys)
    assert err == (
        f"meetbot: {path}: meeting.display_name 'meetbot (attendance bot)' is refused by the "
        "janus_videocall page (it accepts only [A-Za-z0-9]+); set [meeting] display_name in "
        'the chapter file, e.g. display_name = "meetbot"\n'
    )
    named = chapter(tmp_path, PAGE + 'url = "http://127.0.0.1:9/x"\n', "named.toml")
    assert main(["config", "check", str(named)]) == 0
    # Pages that take any name, and the Janus connector, accept the default.
    free = chapter(tmp_path, 'platform = "jitsi"\nurl = "https://j.example/r"\n', "free.toml")
    assert main(["config", "check", str(free)]) == 0


def test_an_invitation_with_janus_api_link_is_refused_for_a_chapter_on_a_janus_page(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "region"
    folder.mkdir()
    chapter(folder, PAGE + 'url = "http://127.0.0.1:9/videoroomtest.html"\n')
    engine = create_engine(f"sqlite:///{tmp_path / 'fleet.sqlite3'}")
    try:
        claims = Claims(engine)
        # The chapter opens Janus's demo page in Chromium: Janus's WebSocket API is no page.
        with pytest.raises(ConfigError, match=r"is not a meeting link meetbot can join"):
            invite(load_folder(folder, env={}), claims, "Web", "wss://h.example/janus#1234")
        assert claims.all() == []  # nothing planned for a worker to fail on
    finally:
        engine.dispose()
