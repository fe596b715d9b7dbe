"""A pasted meeting link: which platform it is on, and the form of it the bot opens.

Organisers paste what their invitation shows, and the web clients want something else: Teams'
and Zoom's invite links land on a page that offers to start the desktop app, and Meet's words
follow the viewer's language while the profiles' selectors are English. `recognise` reads a link
(nothing is opened: no network) and rewrites it; `resolve` adds what the chapter's own platform
takes (a Janus address with its room, or the lab's Janus demo pages) and says in one line what it
does not know. The same rewriting runs again on a worker (fleet.jobs) over the stored link, so a
rewritten link must rewrite to itself.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from meetbot.config.schema import JANUS, MeetingSettings
from meetbot.errors import ConfigError

MEET, TEAMS, ZOOM, JITSI = "meet", "teams", "zoom", "jitsi"
PUBLIC = (MEET, TEAMS, ZOOM, JITSI)  # the platforms a link names by its host
JITSI_PUBLIC = "meet.jit.si"
KNOWN = (
    "Google Meet (meet.google.com), Microsoft Teams (teams.microsoft.com, teams.live.com), "
    "Zoom (zoom.us), Jitsi (meet.jit.si and the chapter's meeting.jitsi_hosts) and Janus "
    "(wss://host/janus#ROOM)"
)
# Query keys that only say where a click came from; dropped from every link.
TRACKING = ("fbclid", "gclid", "msclkid", "mc_cid", "mc_eid", "_ga")
# What Teams' launcher page adds to a link it hands on; the bot's own choice replaces them.
TEAMS_LAUNCHER = ("anon", "deeplinkid", "directdl", "enablemobilepage", "mslaunch", "type")
TEAMS_JOIN = "/l/meetup-join/"
ZOOM_ID = re.compile(r"/(?:j|s|w|wc|wc/join)/(\d{9,12})(?:/|$)")
MEET_CODE = re.compile(r"[a-z]{3}-[a-z]{4}-[a-z]{3}", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MeetingLink:
    platform: str
    url: str  # what meeting.url becomes
    room: int | None = None  # a Janus room the link names

    def overrides(self) -> dict[str, Any]:
        """The link as dotted settings for config.load (the command line's layer)."""
        found: dict[str, Any] = {"meeting.platform": self.platform, "meeting.url": self.url}
        if self.room is not None:
            found["meeting.room"] = self.room
        return found


def recognise(text: str, jitsi_hosts: Iterable[str] = ()) -> MeetingLink | None:
    """The platform and the bot's form of a Meet, Teams, Zoom or Jitsi link; None for any other
    link. A known host without a meeting in the link is a one-line ConfigError."""
    parts = urllib.parse.urlsplit(unwrap(text))
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    bare = parts.hostname.rstrip(".")
    host = bare.removeprefix("www.")
    if host == "meet.google.com":
        return MeetingLink(MEET, _meet(parts))
    if host in ("teams.microsoft.com", "teams.live.com"):
        return MeetingLink(TEAMS, _teams(parts, host))
    if host == "zoom.us" or host.endswith(".zoom.us"):
        return MeetingLink(ZOOM, _zoom(parts, host))
    if host == JITSI_PUBLIC or {host, bare} & {h.lower() for h in jitsi_hosts}:
        return MeetingLink(JITSI, _jitsi(parts))
    return None


def resolve(text: str, meeting: MeetingSettings) -> MeetingLink:
    """What a pasted link makes of a chapter's [meeting]: a known platform's link, else the
    chapter's own platform when it takes the link (Janus: ws(s) with a room; the lab's Janus
    demo pages: http(s)); anything else is a one-line ConfigError naming what is known."""
    found = recognise(text, meeting.jitsi_hosts)
    if found is not None:
        return found
    parts = urllib.parse.urlsplit(unwrap(text))
    scheme = parts.scheme.lower()
    room = parts.fragment or dict(urllib.parse.parse_qsl(parts.query)).get("room", "")
    if meeting.platform == JANUS and scheme in ("ws", "wss") and room.isdigit():
        return MeetingLink(JANUS, _without_room(parts), int(room))
    if meeting.platform not in (JANUS, *PUBLIC) and scheme in ("http", "https") and parts.hostname:
        return MeetingLink(meeting.platform, _without_room(parts), int(room) if room else None)
    raise ConfigError(
        f"{_shown(text)} is not a meeting link meetbot can join; it knows {KNOWN}. For another "
        "platform set [meeting] platform and url in the chapter file and leave out the link"
    )


def unwrap(text: str) -> str:
    """The link itself from what was pasted: without blanks, angle brackets or quotes, with
    https:// where it was left out, and out of Outlook's and Google's redirect wrappers."""
    link = text.strip().strip("<>\"'").strip()
    if "://" not in link and re.match(r"[\w-]+(\.[\w-]+)+(/|$)", link):
        link = "https://" + link
    for _ in range(3):  # a safe link around a redirect around the link, at most
        parts = urllib.parse.urlsplit(link)
        host = (parts.hostname or "").lower()
        query = dict(urllib.parse.parse_qsl(parts.query))
        if host.endswith("safelinks.protection.outlook.com") and query.get("url"):
            link = query["url"]
        elif host in ("google.com", "www.google.com") and parts.path == "/url" and query.get("q"):
            link = query["q"]
        else:
            break
    return link


def _meet(parts: urllib.parse.SplitResult) -> str:
    path = parts.path.rstrip("/")
    if not path:
        raise _no_meeting("Google Meet", "meeting code in it (meet.google.com/abc-defg-hij)")
    if MEET_CODE.fullmatch(path[1:]):
        path = path.lower()
    # hl=en: the page's words in English, whatever the machine's language: profiles match them.
    query = [(k, v) for k, v in _kept(parts.query) if k.lower() != "hl"] + [("hl", "en")]
    return urllib.parse.urlunsplit(("https", "meet.google.com", path, _query(query), ""))


def _teams(parts: urllib.parse.SplitResult, host: str) -> str:
    path, query = parts.path, _kept(parts.query)
    asked = dict((k.lower(), v) for k, v in query)
    if path.lower().startswith("/dl/launcher/") and asked.get("url"):
        # The launcher page itself: the meeting is in its url= ("/_#/l/meetup-join/...").
        inner = urllib.parse.urlsplit(asked["url"].partition("#")[2] or asked["url"])
        path, query = inner.path, _kept(inner.query)
    elif path.lower().startswith("/v2") and parts.fragment.startswith(TEAMS_JOIN):
        inner = urllib.parse.urlsplit(parts.fragment)  # already the bot's form
        path, query = inner.path, _kept(inner.query)
    elif path.lower().startswith("/light-meetings/launch") and asked.get("coords"):
        path, query = _light_meeting(asked["coords"])
    if path.lower().startswith(TEAMS_JOIN):
        thread, _, stamp = path[len(TEAMS_JOIN) :].strip("/").partition("/")
        if not thread or not stamp:
            raise _no_meeting(
                "Microsoft Teams", "meeting in it (…/l/meetup-join/<thread>/<number>)"
            )
        where = "/".join(
            urllib.parse.quote(urllib.parse.unquote(s), safe="") for s in (thread, stamp)
        )
        # Straight into the web client as a guest: the launcher page ("open the Teams app?")
        # never shows (the form public bots use: meetingjoin on the page, anon in the route).
        kept = [(k, v) for k, v in query if k.lower() not in TEAMS_LAUNCHER]
        route = f"{TEAMS_JOIN}{where}?{_query([*kept, ('anon', 'true')])}"
        return f"https://teams.microsoft.com/v2/?meetingjoin=true#{route}"
    if re.match(r"/meet/\d+", path):
        kept = [(k, v) for k, v in query if k.lower() not in TEAMS_LAUNCHER]
        launch = [("anon", "true"), ("msLaunch", "false")]
        return urllib.parse.urlunsplit(
            ("https", host, path.rstrip("/"), _query([*kept, *launch]), "")
        )
    raise _no_meeting("Microsoft Teams", "meeting in it (…/l/meetup-join/… or …/meet/<number>?p=…)")


def _light_meeting(coords: str) -> tuple[str, list[tuple[str, str]]]:
    """Teams' light-meetings launch link carries the meeting as base64 JSON."""
    try:
        padded = coords + "=" * (-len(coords) % 4)
        found = json.loads(urllib.parse.unquote(base64.b64decode(padded).decode("utf-8")))
        thread, stamp = found["conversationId"], found["messageId"]
        context = {"Tid": found["tenantId"]} | (
            {"Oid": found["organizerId"]} if found.get("organizerId") else {}
        )
    except (binascii.Error, UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise _no_meeting(
            "Microsoft Teams", "meeting that can be read (its coords= is not base64 JSON)"
        ) from None
    compact = json.dumps(context, separators=(",", ":"))
    return f"{TEAMS_JOIN}{thread}/{stamp}", [("context", compact)]


def _zoom(parts: urllib.parse.SplitResult, host: str) -> str:
    query = _kept(parts.query)
    asked = dict((k.lower(), v) for k, v in query)
    if asked.get("tk"):
        # A registrant's webinar token: Zoom's own redirect applies it; the web-client form
        # would drop it and land on the registration page.
        return urllib.parse.urlunsplit(("https", host, parts.path, _query(query), ""))
    found = ZOOM_ID.search(parts.path)
    if found is None:
        raise _no_meeting("Zoom", "meeting number in it (zoom.us/j/123456789?pwd=…; cut off?)")
    # The web client's join page: no "Launch Meeting" page, no app download offered.
    web = "app.zoom.us" if host == "zoom.us" else host
    pwd = asked.get("pwd") or asked.get("password") or ""
    return urllib.parse.urlunsplit(
        ("https", web, f"/wc/join/{found.group(1)}", _query([("pwd", pwd)] if pwd else []), "")
    )


def _jitsi(parts: urllib.parse.SplitResult) -> str:
    path = parts.path.rstrip("/")
    if not path:
        raise _no_meeting("Jitsi", "room name in it (meet.jit.si/YourRoom)")
    # The fragment is dropped: the jitsi profile adds its own #config… to the link.
    netloc = parts.netloc.lower().removeprefix("www.")
    return urllib.parse.urlunsplit(("https", netloc, path, _query(_kept(parts.query)), ""))


def _kept(query: str) -> list[tuple[str, str]]:
    return [
        (k, v)
        for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING
    ]


def _query(pairs: list[tuple[str, str]]) -> str:
    return urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)


def _without_room(parts: urllib.parse.SplitResult) -> str:
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "room"]
    return urllib.parse.urlunsplit(
        (parts.scheme.lower(), parts.netloc, parts.path or "/", urllib.parse.urlencode(query), "")
    )


def _shown(text: str) -> str:
    """The link as a message may show it: a path or query may hold the meeting's passcode."""
    parts = urllib.parse.urlsplit(unwrap(text))
    if parts.scheme and parts.hostname:
        return repr(f"{parts.scheme}://{parts.hostname}/…")
    return repr(text.strip()[:40])


def _no_meeting(platform: str, what: str) -> ConfigError:
    return ConfigError(
        f"this {platform} link has no {what}; paste the whole link from the invitation"
    )
