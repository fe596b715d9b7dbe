"""Load and validate configuration: config/default.toml ← chapter file ← environment.

Everything is checked up front, before anything connects, and the first problem is reported in
one line that names the file, the key and what is allowed — never a traceback.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from meetbot.config import links
from meetbot.config.conversion import EnvText, Refused, convert, dotted
from meetbot.config.paths import default_config_text, input_file
from meetbot.config.schema import Secrets, Settings
from meetbot.errors import ConfigError
from meetbot.language import canonical, shipped

ENV_PREFIX = "MEETBOT_"
DEFAULTS = "config/default.toml"  # the first layer, as messages name it
# Secrets come from these variables only; a file holding them is refused so they never end up
# committed next to the roster.
SECRET_ENV = {
    "discord_token": "MEETBOT_DISCORD_TOKEN",
    "discord_webhook_url": "MEETBOT_DISCORD_WEBHOOK_URL",
}
_SECRET_WORDS = ("token", "secret", "password", "webhook_url")


def load(
    chapter_file: str | Path | None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    require_discord: bool = False,
    link: str | None = None,
) -> Settings:
    """Build Settings. `overrides` are dotted keys from the command line ({"meeting.room": 7});
    `link` a pasted meeting link that sets meeting.platform and meeting.url (config.links),
    read with the chapter's own [meeting] (its jitsi_hosts, its platform for Janus links)."""
    env = os.environ if env is None else env
    if link is not None:
        meeting = load(chapter_file, env=env, overrides=overrides).meeting
        overrides = {**links.resolve(link, meeting).overrides(), **(overrides or {})}
    layers: list[tuple[str, dict[str, Any]]] = [(DEFAULTS, _parse(default_config_text(), DEFAULTS))]
    source = ""
    if chapter_file is not None:
        source = str(chapter_file)
        path = input_file(
            chapter_file, "a chapter file (.toml)", "copy config/chapter.example.toml"
        )
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{source}: cannot read it ({exc})") from exc
        layers.append((source, _parse(text, source)))
    layers.append(("environment", _from_env(env)))
    if overrides:
        layers.append(("command line", _nest(overrides)))

    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}  # dotted key -> the layer its value came from
    for where, data in layers:
        _reject_secrets(data, where)
        convert(Settings, data, "", where, partial=True)  # right file in the message
        _merge(merged, data)
        for key, leaf in _leaves(data):
            origins[key] = f"environment {leaf.var}" if isinstance(leaf, EnvText) else where
    try:
        settings = convert(Settings, merged, "", source or "configuration", partial=False)
    except Refused as refused:
        # The value is refused by its dataclass, which sees the merged layers: name the layer
        # that set it (an environment value names its variable).
        where = _blame(origins, refused.key, source)
        raise ConfigError(f"{where}: {refused.key}{refused.rest}") from refused
    if source:
        _require_name(layers[1][1], source)  # after its values' own checks, which say more
    settings = dataclasses.replace(settings, secrets=_secrets(env), source=source)
    _check_meaning(settings, source or "configuration", origins)
    # Always, not only where posting starts: the recap would go to the console instead, with
    # exit code 0, at the end of a meeting.
    _check_webhook(settings, _blame(origins, "discord.use_webhook", source))
    if require_discord:
        check_discord_secrets(settings)
    return typing.cast(Settings, settings)


def check_discord_secrets(settings: Settings) -> None:
    where = settings.source or "configuration"
    d, s = settings.discord, settings.secrets
    _check_webhook(settings, where)
    if not d.use_webhook and d.channel_id and not s.discord_token:
        raise ConfigError(
            f"{where}: discord.channel_id is set but {SECRET_ENV['discord_token']} is not set; "
            "export the bot token in that variable, or set discord.use_webhook = true"
        )


def _check_webhook(settings: Settings, where: str) -> None:
    if settings.discord.use_webhook and not settings.secrets.discord_webhook_url:
        raise ConfigError(
            f"{where}: discord.use_webhook is true but {SECRET_ENV['discord_webhook_url']} is not "
            "set; export the channel's webhook URL in that variable, or set use_webhook = false"
        )


def _blame(origins: Mapping[str, str], key: str, source: str) -> str:
    """The layer that set `key`. A default refused only beside another value (the default
    Janus url with a browser platform, the defaults' time zone) is the chapter's to set."""
    where = origins.get(key, DEFAULTS)
    return source or "configuration" if where == DEFAULTS else where


def _require_name(chapter: Mapping[str, Any], source: str) -> None:
    """An empty or nameless chapter file would pass as the defaults' "My chapter"."""
    section = chapter.get("chapter", {})
    if not isinstance(section, dict):
        return  # conversion says the section must be a table
    name = section.get("name")
    if name is None or (isinstance(name, str) and not name.strip()):
        raise ConfigError(
            f"{source}: chapter.name is missing; a chapter file must name its chapter "
            '(add [chapter] name = "Your chapter", shown in every report)'
        )


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        # Windows editors save "UTF-8" with a byte-order mark, which TOML itself does not allow.
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML ({exc})") from exc


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """MEETBOT_SECTION__KEY=value overrides one tunable, e.g. MEETBOT_STORAGE__URL."""
    out: dict[str, Any] = {}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        out.setdefault(section, {})[key] = EnvText(value, name)
    return out


def _leaves(data: Mapping[str, Any], path: str = "") -> list[tuple[str, Any]]:
    """(dotted key, value) of every value in nested tables."""
    found: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            found += _leaves(value, dotted(path, key))
        else:
            found.append((dotted(path, key), value))
    return found


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in flat.items():
        section, _, key = name.partition(".")
        out.setdefault(section, {})[key] = value
    return out


def _merge(into: dict[str, Any], data: Mapping[str, Any]) -> None:
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _reject_secrets(data: Mapping[str, Any], where: str, path: str = "") -> None:
    if where == "environment":
        return
    for key, value in data.items():
        full = f"{path}{key}"
        if isinstance(value, dict):
            _reject_secrets(value, where, full + ".")
        elif any(word in key.lower() for word in _SECRET_WORDS):
            raise ConfigError(
                f"{where}: {full} looks like a secret; secrets are read only from the "
                f"environment ({', '.join(SECRET_ENV.values())}); remove it from the file"
            )


def _secrets(env: Mapping[str, str]) -> Secrets:
    return Secrets(**{field: env.get(var, "") for field, var in SECRET_ENV.items()})


def _check_meaning(s: Settings, where: str, origins: Mapping[str, str]) -> None:
    """Checks across sections (roster, agenda, chair, the schedule in the chapter's time zone)
    or needing outside knowledge (time zones).

    A section's own values are checked by its dataclass (`__post_init__`), where it is defined.
    """
    try:
        zoneinfo.ZoneInfo(s.chapter.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{_blame(origins, 'chapter.timezone', s.source)}: chapter.timezone "
            f"{s.chapter.timezone!r} is not a known time zone; "
            "use an IANA name such as 'Europe/London'"
        ) from None
    try:
        s.schedule.check_spacing(s.chapter.timezone)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    names: dict[str, str] = {}
    members: set[str] = set()
    discord_ids: dict[int, str] = {}
    for i, member in enumerate(s.roster):
        if member.name in members:
            # Two entries for one person would count their attendance and score twice.
            raise ConfigError(
                f"{where}: roster[{i}] {member.name!r} is already on the roster; list each "
                "person once (other display names go in aliases)"
            )
        members.add(member.name)
        if member.discord_id is not None and member.discord_id in discord_ids:
            # /meetbot myscore finds a member by Discord id: a shared id shows one person
            # another's private card and rights.
            raise ConfigError(
                f"{where}: roster[{i}].discord_id {member.discord_id} is also used by "
                f"{discord_ids[member.discord_id]!r}; each Discord account belongs to one member"
            )
        if member.discord_id is not None:
            discord_ids[member.discord_id] = member.name
        for name in (member.name, *member.aliases):
            key = name.casefold().strip()
            if not key:
                raise ConfigError(f"{where}: roster[{i}] has an empty name or alias")
            if key in names and names[key] != member.name:
                raise ConfigError(
                    f"{where}: roster[{i}] name or alias {name!r} is also used by "
                    f"{names[key]!r}; each display name must point to one person"
                )
            names[key] = member.name
        if member.discord_id is not None and member.discord_id <= 0:
            raise ConfigError(f"{where}: roster[{i}].discord_id must be a positive number")
        if member.language and canonical(member.language) is None:
            raise ConfigError(
                f"{where}: roster[{i}].language must be a language meetbot ships "
                f"({', '.join(shipped())}), got {member.language!r}"
            )
    roster_names = {m.name for m in s.roster}
    for i, item in enumerate(s.agenda):
        if item.speaker not in roster_names:
            raise ConfigError(
                f"{where}: agenda[{i}].speaker {item.speaker!r} is not on the roster; "
                "use a roster name"
            )
    if s.chapter.chair and s.chapter.chair not in roster_names:
        raise ConfigError(f"{where}: chapter.chair {s.chapter.chair!r} is not on the roster")
