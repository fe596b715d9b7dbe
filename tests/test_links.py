"""A pasted meeting link picks the platform and is rewritten to what the web client opens
directly (issue 25): every shape an invitation, a calendar or a mail client hands out. Nothing
here opens any address: config.links only reads the text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from meetbot import config
from meetbot.cli import main
from meetbot.config import links
from meetbot.config.schema import BROWSER_PLATFORMS, MeetingSettings
from meetbot.errors import ConfigError
from meetbot.fleet.chapters import load_folder
from meetbot.fleet.claims import Claims
from meetbot.fleet.invites import invite
from meetbot.fleet.jobs import JobContext, settings_for
from meetbot.store.database import create_engine

THREAD = "19%3ameeting_MDFjNTliMWMtNTM2ZS00ODFk%40thread.v2"
CONTEXT = "%7b%22Tid%22%3a%22t-1%22%2c%22Oid%22%3a%22o-2%22%7d"
TEAMS_V2 = (
    "https://teams.microsoft.com/v2/?meetingjoin=true#/l/meetup-join/"
    "19%3Ameeting_MDFjNTliMWMtNTM2ZS00ODFk%40thread.v2/0"
    "?context=%7B%22Tid%22%3A%22t-1%22%2C%22Oid%22%3A%22o-2%22%7D&anon=true"
)
# Teams' light-meetings link: base64 of {"conversationId", "messageId", "tenantId", ...}
COORDS = (
    "eyJjb252ZXJzYXRpb25JZCI6IjE5Om1lZXRpbmdfQUJDQHRocmVhZC52MiIsIm1lc3NhZ2VJZCI6IjAiLCJ0ZW5h"
    "bnRJZCI6InQtMSIsIm9yZ2FuaXplcklkIjoiby0yIn0"
)
SAFE = "https://eur03.safelinks.protection.outlook.com/?url="

CASES = [
    # Google Meet: hl=en (the profiles' selectors are English), tracking dropped
    ("https://meet.google.com/abc-defg-hij", "meet", "https://meet.google.com/abc-defg-hij?hl=en"),
    ("meet.google.com/abc-defg-hij", "meet", "https://meet.google.com/abc-defg-hij?hl=en"),
    ("http://meet.google.com/abc-defg-hij/", "meet", "https://meet.google.com/abc-defg-hij?hl=en"),
    (
        "HTTPS://Meet.Google.COM/ABC-DEFG-HIJ?authuser=1&hl=pt-BR&utm_source=calendar",
        "meet",
        "https://meet.google.com/abc-defg-hij?authuser=1&hl=en",
    ),
    (" <https://meet.google.com/abc-defg-hij?pli=1> ", "meet", None),
    ("https://meet.google.com/lookup/weekly-chapter", "meet", None),
    # Microsoft Teams: meetup-join links go straight into the web client as a guest
    (
        f"https://teams.microsoft.com/l/meetup-join/{THREAD}/0?context={CONTEXT}",
        "teams",
        TEAMS_V2,
    ),
    (
        f"https://teams.microsoft.com/l/meetup-join/{THREAD}/0/?context={CONTEXT}&utm_campaign=x",
        "teams",
        TEAMS_V2,
    ),
    (
        "https://teams.microsoft.com/l/meetup-join/19:meeting_MDFjNTliMWMtNTM2ZS00ODFk"
        f"@thread.v2/0?context={CONTEXT}",
        "teams",
        TEAMS_V2,
    ),
    (  # the launcher page itself, as a browser's address bar shows it
        "https://teams.microsoft.com/dl/launcher/launcher.html?url=%2F_%23%2Fl%2Fmeetup-join%2F"
        "19%3Ameeting_MDFjNTliMWMtNTM2ZS00ODFk%40thread.v2%2F0%3Fcontext%3D%257b%2522Tid%2522"
        "%253a%2522t-1%2522%252c%2522Oid%2522%253a%2522o-2%2522%257d%26anon%3Dtrue&type=meetup"
        "-join&deeplinkId=abc&directDl=true&msLaunch=true&enableMobilePage=true",
        "teams",
        TEAMS_V2,
    ),
    (
        "https://teams.microsoft.com/meet/387869479301?p=O730PkMrirm0y8UPmk",
        "teams",
        "https://teams.microsoft.com/meet/387869479301?p=O730PkMrirm0y8UPmk&anon=true"
        "&msLaunch=false",
    ),
    (
        "http://TEAMS.LIVE.COM/meet/9388123456789/?p=hQ2kAbC&utm_medium=email",
        "teams",
        "https://teams.live.com/meet/9388123456789?p=hQ2kAbC&anon=true&msLaunch=false",
    ),
    (
        f"https://teams.microsoft.com/light-meetings/launch?agent=web&coords={COORDS}",
        "teams",
        "https://teams.microsoft.com/v2/?meetingjoin=true#/l/meetup-join/"
        "19%3Ameeting_ABC%40thread.v2/0?context=%7B%22Tid%22%3A%22t-1%22%2C%22Oid%22%3A%22o-2"
        "%22%7D&anon=true",
    ),
    # Zoom: the web client's join page, the passcode kept, everything else dropped
    (
        "https://us02web.zoom.us/j/85012345678?pwd=AbCdEf1234.1&from=addon",
        "zoom",
        "https://us02web.zoom.us/wc/join/85012345678?pwd=AbCdEf1234.1",
    ),
    ("https://zoom.us/j/85012345678", "zoom", "https://app.zoom.us/wc/join/85012345678"),
    (
        "http://www.zoom.us/j/85012345678/?pwd=x9",
        "zoom",
        "https://app.zoom.us/wc/join/85012345678?pwd=x9",
    ),
    (
        "https://Company.Zoom.US/wc/85012345678/join?pwd=q&utm_source=slack",
        "zoom",
        "https://company.zoom.us/wc/join/85012345678?pwd=q",
    ),
    ("https://app.zoom.us/wc/join/850123456", "zoom", "https://app.zoom.us/wc/join/850123456"),
    ("https://zoom.us/s/85012345678?password=p", "zoom", None),
    ("https://us06web.zoom.us/w/85012345678?tk=REGISTRANT&pwd=p", "zoom", None),
    # Jitsi: meet.jit.si and the chapter's own servers; the profile adds its #config
    ("https://meet.jit.si/WeeklyChapter", "jitsi", "https://meet.jit.si/WeeklyChapter"),
    ("meet.jit.si/WeeklyChapter/", "jitsi", "https://meet.jit.si/WeeklyChapter"),
    (
        "http://MEET.JIT.SI/WeeklyChapter#config.startWithAudioMuted=false",
        "jitsi",
        "https://meet.jit.si/WeeklyChapter",
    ),
    (
        "https://jitsi.example.org:8443/Chapter?jwt=abc.def",
        "jitsi",
        "https://jitsi.example.org:8443/Chapter?jwt=abc.def",
    ),
    # Mail clients and search pages wrap links: the meeting inside is what counts
    (
        SAFE
        + "https%3A%2F%2Fus02web.zoom.us%2Fj%2F85012345678%3Fpwd%3DAb1&data=05%7C02&reserved=0",
        "zoom",
        "https://us02web.zoom.us/wc/join/85012345678?pwd=Ab1",
    ),
    (
        "https://www.google.com/url?q=https://meet.google.com/abc-defg-hij&sa=D&usg=AOv",
        "meet",
        "https://meet.google.com/abc-defg-hij?hl=en",
    ),
]


@pytest.mark.parametrize(("pasted", "platform", "url"), CASES)
def test_a_pasted_link_names_its_platform_and_the_form_the_bot_opens(
    pasted: str, platform: str, url: str | None
) -> None:
    found = links.recognise(pasted, jitsi_hosts=("jitsi.example.org",))
    assert found is not None
    assert found.platform == platform
    assert found.platform in BROWSER_PLATFORMS
    if url is not None:
        assert found.url == url
    assert found.url.startswith("https://")
    assert "utm_" not in found.url
    # A worker reads the stored link again (fleet.jobs): the bot's form is its own form.
    assert links.recognise(found.url, jitsi_hosts=("jitsi.example.org",)) == found


@pytest.mark.parametrize(
    "pasted",
    [
        "https://example.org/meeting/123",
        "https://meet.google.com.example.org/abc-defg-hij",  # a look-alike host
        "https://zoom.us.example.net/j/85012345678",
        "https://notzoom.us/j/85012345678",
        "https://jitsi.example.org/Chapter",  # a Jitsi server the chapter does not name
        "ftp://meet.google.com/abc-defg-hij",
        "wss://meet.example.org/janus#1234",
        "not a link at all",
        "",
    ],
)
def test_other_links_are_not_taken_for_a_platform(pasted: str) -> None:
    assert links.recognise(pasted) is None


@pytest.mark.parametrize(
    ("pasted", "says"),
    [
        ("https://meet.google.com/", "this Google Meet link has no meeting code"),
        ("https://us02web.zoom.us/j/", "this Zoom link has no meeting number"),
        ("https://zoom.us/j/8501?pwd=SECRET", "this Zoom link has no meeting number"),
        ("https://teams.microsoft.com/", "this Microsoft Teams link has no meeting"),
        (
            "https://teams.microsoft.com/light-meetings/launch?coords=%%%",
            "this Microsoft Teams link has no meeting that can be",
        ),
        ("https://meet.jit.si/", "this Jitsi link has no room name"),
    ],
)
def test_a_known_host_without_a_meeting_is_one_line(pasted: str, says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        links.recognise(pasted)
    message = str(refused.value)
    assert message.startswith(says)
    assert message.endswith("paste the whole link from the invitation")
    assert "\n" not in message
    assert "SECRET" not in message


def test_janus_links_go_to_the_chapters_own_platform() -> None:
    janus = MeetingSettings()
    assert links.resolve("wss://meet.example.org/janus#4321", janus) == links.MeetingLink(
        "janus", "wss://meet.example.org/janus", 4321
    )
    assert links.resolve("wss://h.example/janus?room=7&x=1", janus).room == 7
    # The lab's Janus demo pages keep working through the chapter's platform.
    lab = MeetingSettings(platform="janus_videoroom", url="http://127.0.0.1:9/videoroomtest.html")
    page = links.resolve("http://127.0.0.1:8000/videoroomtest.html?room=99", lab)
    assert page == links.MeetingLink(
        "janus_videoroom", "http://127.0.0.1:8000/videoroomtest.html", 99
    )
    assert links.resolve("http://127.0.0.1:8000/videocalltest.html", lab).room is None
    # A known platform's link wins over the chapter's platform.
    assert links.resolve("https://meet.jit.si/Chapter", lab).platform == "jitsi"


@pytest.mark.parametrize(
    ("platform", "pasted"),
    [
        ("janus", "https://example.org/meeting?pwd=SECRET"),
        ("janus", "wss://meet.example.org/janus"),  # no room
        ("meet", "https://example.org/meeting?pwd=SECRET"),
        ("jitsi", "https://jitsi.example.org/Chapter"),
        ("janus_videoroom", "wss://meet.example.org/janus#1234"),  # a page, not Janus's API
    ],
)
def test_an_unknown_link_says_what_is_known_in_one_line(platform: str, pasted: str) -> None:
    url = "https://x.example/r" if platform != "janus" else "ws://127.0.0.1:8188/"
    with pytest.raises(ConfigError) as refused:
        links.resolve(pasted, MeetingSettings(platform=platform, url=url))
    message = str(refused.value)
    assert "is not a meeting link meetbot can join" in message
    for known in ("meet.google.com", "teams.microsoft.com", "zoom.us", "meet.jit.si", "janus"):
        assert known in message
    assert "set [meeting] platform and url in the chapter file" in message
    assert "SECRET" not in message
    assert "\n" not in message


def chapter(folder: Path, meeting: str = "", name: str = "Web") -> Path:
    path = folder / f"{name.lower()}.toml"
    path.write_text(f'[chapter]\nname = "{name}"\n[meeting]\n{meeting}', encoding="utf-8")
    return path


def test_the_chapter_names_its_own_jitsi_servers_and_they_are_checked(tmp_path: Path) -> None:
    path = chapter(tmp_path, 'jitsi_hosts = ["Jitsi.Example.ORG"]\n')
    settings = config.load(path, env={}, link="https://jitsi.example.org/Chapter")
    assert settings.meeting.jitsi_hosts == ("jitsi.example.org",)
    assert (settings.meeting.platform, settings.meeting.url) == (
        "jitsi",
        "https://jitsi.example.org/Chapter",
    )
    bad = chapter(tmp_path, 'jitsi_hosts = ["https://jitsi.example.org/"]\n', "Bad")
    with pytest.raises(ConfigError, match=r"meeting.jitsi_hosts must be host names only"):
        config.load(bad, env={})


def test_join_with_a_link_nobody_knows_exits_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = chapter(tmp_path)
    code = main(["join", "--config", str(path), "--link", "https://example.org/call?pwd=SECRET"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("meetbot: 'https://example.org/…' is not a meeting link meetbot can")
    assert "SECRET" not in err
    # probe reads --link the same way (and refuses before any browser starts).
    assert main(["probe", "--config", str(path), "--link", "https://example.org/x"]) == 2
    assert "is not a meeting link meetbot can join" in capsys.readouterr().err


def test_join_link_sets_platform_and_url_and_room_still_overrides(tmp_path: Path) -> None:
    path = chapter(tmp_path)
    zoom = config.load(path, env={}, link="https://us02web.zoom.us/j/85012345678?pwd=Ab1")
    assert (zoom.meeting.platform, zoom.meeting.url) == (
        "zoom",
        "https://us02web.zoom.us/wc/join/85012345678?pwd=Ab1",
    )
    janus = config.load(
        path, env={}, link="wss://meet.example.org/janus#4321", overrides={"meeting.room": 5}
    )
    assert (janus.meeting.platform, janus.meeting.url, janus.meeting.room) == (
        "janus",
        "wss://meet.example.org/janus",
        5,
    )


def test_an_invitation_with_a_teams_link_joins_teams_on_the_worker(tmp_path: Path) -> None:
    folder = tmp_path / "region"
    folder.mkdir()
    chapter(folder)  # a Janus chapter: the link, not the chapter, says where the meeting is
    engine = create_engine(f"sqlite:///{tmp_path / 'fleet.sqlite3'}")
    try:
        chapters = load_folder(folder, env={})
        claims = Claims(engine)
        pasted = f"https://teams.microsoft.com/l/meetup-join/{THREAD}/0?context={CONTEXT}"
        now = datetime(2031, 5, 6, 6, 0, tzinfo=UTC)
        invite(chapters, claims, "Web", pasted, "2031-05-06T07:00", now=now)
        (row,) = claims.all("Web")
        assert (row.url, row.room) == (TEAMS_V2, None)
        meeting = settings_for(JobContext(chapters, claims), row).meeting
        assert (meeting.platform, meeting.url, meeting.room) == ("teams", TEAMS_V2, 1234)
    finally:
        engine.dispose()
