"""The whole configuration as typed, frozen dataclasses.

meetbot.config builds a `Settings` from config/default.toml ← chapter file ← environment; the
field names here ARE the TOML keys, so a new tunable is one field plus one commented line in
default.toml (a test keeps the two in step).
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field, replace
from enum import StrEnum

from detectors.settings import DetectorSettings
from meetbot.config.schedule import Schedule
from meetbot.domain.chapter import AgendaItem, Chapter, Member
from meetbot.domain.ranges import SHARE, Range, check, refuse, seconds
from meetbot.domain.settings import (
    AttendanceSettings,
    DomainSettings,
    ScoringSettings,
    TimelineSettings,
    TurnSettings,
)
from meetbot.language import N_, SOURCE, Language, canonical, shipped

# meeting.platform: "janus" is the aiortc connector; the others are browser profiles
# (meetbot.connectors.browser.profiles, one module each).
JANUS = "janus"
BROWSER_PLATFORMS = (
    "janus_videoroom",
    "janus_mvideoroom",
    "janus_videocall",
    "meet",
    "teams",
    "zoom",
    "jitsi",
)
PLATFORMS = (JANUS, *BROWSER_PLATFORMS)
# What `meeting.url` may be: aiohttp's WebSocket client (the Janus connector) opens ws(s) and
# upgrades http(s); Chromium must be given a web page, never a local file or a script.
URL_SCHEMES = {JANUS: ("ws", "wss", "http", "https")} | {
    name: ("http", "https") for name in BROWSER_PLATFORMS
}

# meeting.jitsi_hosts: a server's name as a link shows it (no scheme, port or path).
HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")

# What the bot says when it joins, in the meeting's chat or its log, unless the chapter words it.
ANNOUNCE = N_(
    "Hi, I'm meetbot. I note attendance and how well the room listens; no video or audio "
    "is recorded. Members can opt out any time with /meetbot optout."
)

# SQLAlchemy URLs the store can open (psycopg 3 is installed for PostgreSQL).
DATABASE_SCHEMES = ("sqlite://", "postgresql://", "postgresql+psycopg://")


@dataclass(frozen=True, slots=True)
class ChapterSection:
    name: str
    timezone: str = "UTC"
    chair: str = ""  # roster name of the facilitator
    language: str = SOURCE  # BCP 47 tag of a shipped catalog: recap, cards, reports, announcement

    def __post_init__(self) -> None:
        check(self, {})  # types; the time zone and the chair are checked against the roster
        tag = canonical(self.language)
        if tag is None:
            refuse("language", f"a language meetbot ships ({', '.join(shipped())})", self.language)
        object.__setattr__(self, "language", tag)  # 'pt_br' is written 'pt-BR' from here on


@dataclass(frozen=True, slots=True)
class MeetingSettings:
    platform: str = "janus"  # "janus" (aiortc) or a browser profile (meetbot.connectors.browser)
    url: str = "ws://127.0.0.1:8188/"  # Janus WebSocket API
    room: int = 1234
    pin: str = ""  # room pin; prefer MEETBOT_MEETING__PIN in the environment
    display_name: str = "meetbot (attendance bot)"
    announce: str = ""  # empty: ANNOUNCE in the chapter's language (filled in by Settings)
    join_timeout_s: float = 15.0
    keepalive_s: float = 25.0
    reconnect_max_backoff_s: float = 30.0
    ice_servers: tuple[str, ...] = ()  # e.g. "stun:stun.example.org:3478"; none by default
    audio_level_average: int = 40  # Janus audio_level_average (0-127, lower = louder)
    audio_active_packets: int = 50  # packets (20 ms) of level above average to say "talking"
    jitsi_hosts: tuple[str, ...] = ()  # self-hosted Jitsi servers a pasted link may name

    def __post_init__(self) -> None:
        check(
            self,
            {
                "room": Range(1, 2**63 - 1),
                "join_timeout_s": seconds(3600, positive=True),
                # 0 would send keepalives back to back; Janus drops a session after 60 s silent
                "keepalive_s": Range(1, 3600),
                "reconnect_max_backoff_s": seconds(3600, positive=True),
                "audio_level_average": Range(0, 127),  # Janus's scale: 0 loud .. 127 silent
                "audio_active_packets": Range(1, 3000),  # up to a minute of 20 ms packets
            },
        )
        if not self.display_name.strip():
            refuse(
                "display_name",
                "a non-empty name that says what the bot is (it is never hidden)",
                "",
            )
        if self.platform not in PLATFORMS:
            refuse("platform", "one of " + ", ".join(PLATFORMS), self.platform)
        parts = urllib.parse.urlsplit(self.url)
        schemes = URL_SCHEMES[self.platform]
        if parts.scheme.lower() not in schemes or not parts.hostname:
            kinds = ", ".join(f"{s}://" for s in schemes)
            wanted = (
                f"Janus's WebSocket address ({kinds} and a host, e.g. ws://127.0.0.1:8188/)"
                if self.platform == JANUS
                else f"the link of the {self.platform} meeting page ({kinds} and a host)"
            )
            # With a host, only the scheme is echoed: a meeting link may carry its passcode.
            shown = f"{parts.scheme}://…" if parts.hostname else self.url[:40]
            refuse("url", wanted, shown)
        hosts = tuple(h.strip().lower().rstrip(".") for h in self.jitsi_hosts)
        for host in hosts:
            if not HOST_NAME.fullmatch(host):
                refuse("jitsi_hosts", 'host names only, e.g. ["jitsi.example.org"]', host)
        object.__setattr__(self, "jitsi_hosts", hosts)


class Capture(StrEnum):
    """Where the browser bridge takes its pictures from."""

    PROFILE = "profile"  # what the platform's profile says
    TRACKS = "tracks"  # the received WebRTC video tracks: the best pictures
    TILES = "tiles"  # the rendered gallery tiles, named by their labels (canvas-drawn clients)


@dataclass(frozen=True, slots=True)
class BrowserSettings:
    """The browser bridge (meeting.platform other than "janus"): a real Chromium in the meeting."""

    executable: str = ""  # empty: Debian's chromium
    headless: bool = True
    capture: Capture = Capture.PROFILE
    page_size: int = 0  # tiles on one gallery page; 0: the profile's
    page_dwell_s: float = 10.0  # a gallery page is watched this long before the next one
    step_timeout_s: float = 15.0  # one join step (a button, a field) may take this long
    frames_per_sample: int = 2  # pictures sent per sampling period, so every sample finds one
    keep_profile: bool = False  # keep the browser profile (a bot account signs in once)

    def __post_init__(self) -> None:
        check(
            self,
            {
                "page_size": Range(0, 1000),  # 0: the profile's
                "page_dwell_s": seconds(3600, positive=True),
                "step_timeout_s": seconds(600, positive=True),
                # one a period can miss a sample by phase; more than 4 only costs the page CPU
                "frames_per_sample": Range(1, 4),
            },
        )


@dataclass(frozen=True, slots=True)
class SamplingSettings:
    fps: float = 1.0  # analysed frames per second per participant
    max_width: int = 640  # frames are downscaled to this width before detection
    detector_threads: int = 2  # worker threads shared by all participants
    audio_speech_db: float = -40.0  # audio-level fallback: louder than this is speech
    audio_silence_db: float = -50.0  # ... and quieter than this ends it (hysteresis)
    audio_hold_s: float = 0.8  # speech/silence must hold this long to flip
    speech_from_audio: bool = False  # derive speech from audio level (no talking events)
    pause_video_from: int = 24  # watching this many people: pause each video between samples
    resume_lead_s: float = 0.3  # a paused video resumes this long before its sample

    def __post_init__(self) -> None:
        decibels = Range(-127, 0)  # dBFS: 0 is full scale
        check(
            self,
            {
                "fps": Range(0, 10, above=True),
                "max_width": Range(32, 7680),
                "detector_threads": Range(1, 64),
                "audio_speech_db": decibels,
                "audio_silence_db": decibels,
                "audio_hold_s": seconds(60),
                "pause_video_from": Range(0, 100_000),  # 0 = always pause
                "resume_lead_s": seconds(10),
            },
        )
        if self.audio_silence_db > self.audio_speech_db:  # hysteresis needs silence <= speech
            refuse(
                "audio_silence_db",
                f"at most audio_speech_db ({self.audio_speech_db})",
                self.audio_silence_db,
            )


@dataclass(frozen=True, slots=True)
class StorageSettings:
    url: str = ""  # empty = SQLite file in the data directory; or postgresql://...
    retention_days: int = 180  # per-second spans older than this are purged; aggregates stay
    checkpoint_s: float = 30.0  # closed spans are saved at least this often during a meeting
    # A database that is down when a meeting ends: the record waits in memory and its save is
    # retried this long (0: once) before it is given up (the checkpoints then remain).
    save_retry_s: float = 600.0

    def __post_init__(self) -> None:
        # 100 years: far beyond any retention policy, and datetime arithmetic cannot overflow
        check(
            self,
            {
                "retention_days": Range(1, 36500),
                "checkpoint_s": seconds(positive=True),
                "save_retry_s": seconds(),
            },
        )
        if self.url and not self.url.startswith(DATABASE_SCHEMES):
            scheme = self.url.partition("://")[0] if "://" in self.url else self.url
            # Only the scheme is echoed: the rest may hold a password.
            refuse(
                "url",
                "empty (the SQLite file in the data folder), sqlite:///PATH or "
                "postgresql://USER@HOST/DB",
                scheme + "://…" if "://" in self.url else scheme,
            )


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    channel_id: int = 0  # 0 = do not post with the bot; set to your recap channel's id
    use_webhook: bool = False  # post through MEETBOT_DISCORD_WEBHOOK_URL instead of the bot
    lead_role: str = "Chapter Lead"  # Discord role allowed to /meetbot compare
    send_timeout_s: float = 20.0
    max_attempts: int = 8  # per message per run (join's end: until finish_timeout_s too)
    # After a failed attempt: wait base, then base*factor, ... up to cap, plus up to jitter of it.
    backoff_base_s: float = 2.0
    backoff_factor: float = 2.0
    backoff_cap_s: float = 60.0
    backoff_jitter: float = 0.2
    finish_timeout_s: float = 30.0  # all delivery at a meeting's end; then it waits in the outbox
    outbox_every_s: float = 300.0  # a running `meetbot discord` retries the outbox this often

    def __post_init__(self) -> None:
        check(
            self,
            {
                "channel_id": Range(0, 2**64 - 1),  # Discord ids are unsigned 64-bit
                "send_timeout_s": seconds(3600, positive=True),
                "max_attempts": Range(1, 1000),  # 0 would never send a recap
                "backoff_base_s": seconds(),
                "backoff_factor": Range(1, 100),  # waits never shrink
                "backoff_cap_s": seconds(),
                "backoff_jitter": SHARE,
                "finish_timeout_s": seconds(positive=True),
                "outbox_every_s": seconds(positive=True),
            },
        )


@dataclass(frozen=True, slots=True)
class ReportSettings:
    out_dir: str = ""  # empty = <data dir>/reports
    compare_last: int = 6  # sessions in the lead comparison
    min_group_for_detail: int = 5  # per-member detail for leads only from this group size

    def __post_init__(self) -> None:
        check(self, {"compare_last": Range(1, 100), "min_group_for_detail": Range(1, 1000)})


@dataclass(frozen=True, slots=True)
class Secrets:
    """Only ever read from the environment, never from files."""

    discord_token: str = ""
    discord_webhook_url: str = ""


@dataclass(frozen=True, slots=True)
class Settings:
    chapter: ChapterSection
    meeting: MeetingSettings = field(default_factory=MeetingSettings)
    browser: BrowserSettings = field(default_factory=BrowserSettings)
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    detector: DetectorSettings = field(default_factory=DetectorSettings)
    timeline: TimelineSettings = field(default_factory=TimelineSettings)
    turns: TurnSettings = field(default_factory=TurnSettings)
    attendance: AttendanceSettings = field(default_factory=AttendanceSettings)
    scoring: ScoringSettings = field(default_factory=ScoringSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    reports: ReportSettings = field(default_factory=ReportSettings)
    schedule: Schedule = field(default_factory=Schedule)  # empty: the bot comes when invited
    roster: tuple[Member, ...] = ()
    agenda: tuple[AgendaItem, ...] = ()
    secrets: Secrets = field(default_factory=Secrets)
    source: str = ""  # the chapter file this came from, for messages

    def __post_init__(self) -> None:
        if not self.meeting.announce.strip():
            said = Language.of(self.chapter.language).gettext(ANNOUNCE)
            object.__setattr__(self, "meeting", replace(self.meeting, announce=said))

    def domain(self) -> DomainSettings:
        """The tunables the pure domain needs, in one argument."""
        return DomainSettings(
            timeline=self.timeline,
            turns=self.turns,
            attendance=self.attendance,
            scoring=self.scoring,
        )

    def to_chapter(self) -> Chapter:
        return Chapter(
            name=self.chapter.name,
            timezone=self.chapter.timezone,
            roster=self.roster,
            agenda=self.agenda,
            chair=self.chapter.chair or None,
        )
