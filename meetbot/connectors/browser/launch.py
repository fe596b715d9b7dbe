"""Starting Debian's Chromium for the bot, through Playwright (never Playwright's own browser).

The browser's profile, cache and storage live in MEETBOT_HOME/browser with 0700 permissions: a
throw-away folder per meeting, or one kept folder (browser.keep_profile) so an organiser can
sign a bot account in once. meetbot never stores a password. The bot never publishes a real
camera or microphone: Chromium gets fake devices fed silence and black (`fake_devices`), every
profile joins with both off and checks so once in. The UI is pinned to English (`--lang`, the
context's locale), the language the profiles' selectors and phrases are written in.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import wave
from pathlib import Path

from meetbot import proc
from meetbot.config.schema import BrowserSettings
from meetbot.errors import ConfigError

# Debian's /usr/bin/chromium is a shell wrapper; the binary behind it takes flags directly.
CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")

FLAGS = (
    # This machine (and a server) has no network but the meeting's: no background traffic,
    # updates, sync or first-run pages.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
    "--disable-gpu",
    # The profiles read English labels and phrases: the UI must not follow the machine's locale.
    "--lang=en-US",
    # Fake devices and an auto-accepted permission prompt: the bot never sends a real
    # camera or microphone, and never waits on a dialog.
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--mute-audio",
    # A hidden or background tab must keep decoding and running timers at full rate.
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    # Host candidates as plain addresses, not mDNS names (media servers such as Janus ignore
    # mDNS candidates).
    "--disable-features=WebRtcHideLocalIpsWithMdns",
)


def chromium(settings: BrowserSettings) -> str:
    """The Chromium binary to run, or a one-line error saying how to get one."""
    if settings.executable:
        if Path(settings.executable).is_file() and os.access(settings.executable, os.X_OK):
            return settings.executable
        raise ConfigError(
            f"browser.executable {settings.executable!r} is not an executable file; "
            "set it to Chromium's binary or leave it empty for Debian's chromium"
        )
    for candidate in CANDIDATES:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    raise ConfigError(
        "Chromium is not installed; run scripts/setup (it installs Debian's chromium) "
        "or set browser.executable"
    )


def flags(*, root: bool | None = None) -> list[str]:
    """Chromium's command-line flags for the bot."""
    out = list(FLAGS)
    if os.geteuid() == 0 if root is None else root:
        out.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return out


LOCALE = "en-US"
# The bot's fake camera: small (Chromium scales it to what the page asks) and one frame (looped).
BLACK_W, BLACK_H = 160, 120


def fake_devices(folder: Path) -> list[str]:
    """Flags feeding the bot's fake microphone silence and its fake camera black, from two tiny
    files generated here into its private profile folder (`folder`). Chromium's own fakes beep
    and show a moving test pattern: a mute or camera toggle a profile missed would broadcast
    them to the meeting. Nothing recorded: the files are made of zeros at each launch."""
    silence = folder / "silence.wav"
    with wave.open(str(silence), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(bytes(2 * 16000))  # one second, looped
    black = folder / "black.y4m"
    luma, chroma = BLACK_W * BLACK_H, (BLACK_W // 2) * (BLACK_H // 2)
    black.write_bytes(
        f"YUV4MPEG2 W{BLACK_W} H{BLACK_H} F10:1 Ip A1:1 C420jpeg\nFRAME\n".encode()
        + bytes([16]) * luma  # black in video range
        + bytes([128]) * (2 * chroma)  # no colour
    )
    return [
        f"--use-file-for-fake-audio-capture={silence}",
        f"--use-file-for-fake-video-capture={black}",
    ]


def profile_dir(home: Path, settings: BrowserSettings, platform: str) -> tuple[Path, bool]:
    """The browser's user-data folder (0700) and whether it is throw-away."""
    base = home / "browser"
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(base, 0o700)
    if settings.keep_profile:
        folder = base / platform
        folder.mkdir(exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
        return folder, False
    return Path(tempfile.mkdtemp(prefix=f"{platform}-", dir=base)), True  # mkdtemp: 0700


def main_pid(folder: Path) -> int | None:
    """Chromium's main process running with the profile `folder`, if any (Linux /proc). Its
    helper processes (zygote, renderers, GPU, network) carry --type=; the main one does not.
    None without /proc: a crash then reads as the page closing."""
    wanted = f"--user-data-dir={folder}".encode()
    for pid in proc.pids():
        args = proc.cmdline(pid)  # None: gone meanwhile
        if args is not None and wanted in args and not any(a.startswith(b"--type=") for a in args):
            return pid
    return None
