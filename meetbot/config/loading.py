"""Load and validate configuration: config/default.toml ← chapter file ← environment.

Everything is checked up front, before anything connects, and the first problem is reported in
one line that names the file, the key and what is allowed — never a traceback.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import functools
import os
import tomllib
import types
import typing
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from meetbot.config.paths import default_config_text
from meetbot.config.schema import Secrets, Settings
from meetbot.errors import ConfigError

ENV_PREFIX = "MEETBOT_"
# Secrets come from these variables only; a file holding them is refused so they never end up
# committed next to the roster.
SECRET_ENV = {
    "discord_token": "MEETBOT_DISCORD_TOKEN",
    "discord_webhook_url": "MEETBOT_DISCORD_WEBHOOK_URL",
}
_SECRET_WORDS = ("token", "secret", "password", "webhook_url")
_NOT_SETTINGS = {"secrets", "source"}


def load(
    chapter_file: str | Path | None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    require_discord: bool = False,
) -> Settings:
    """Build Settings. `overrides` are dotted keys from the command line ({"meeting.room": 7})."""
    env = os.environ if env is None else env
    layers: list[tuple[str, dict[str, Any]]] = [
        ("config/default.toml", _parse(default_config_text(), "config/default.toml"))
    ]
    source = ""
    if chapter_file is not None:
        path = Path(chapter_file)
        source = str(chapter_file)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{source}: no such file; copy config/chapter.example.toml") from None
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
        _convert(Settings, data, "", where, partial=True)  # right file in the message
        _merge(merged, data)
        for key, leaf in _leaves(data):
            origins[key] = f"environment {leaf.var}" if isinstance(leaf, _EnvText) else where
    try:
        settings = _convert(Settings, merged, "", source or "configuration", partial=False)
    except _Refused as refused:
        # The value is refused by its dataclass, which sees the merged layers: name the layer
        # that set it (an environment value names its variable).
        where = origins.get(refused.key, source or "configuration")
        raise ConfigError(f"{where}: {refused.key}{refused.rest}") from refused
    settings = dataclasses.replace(settings, secrets=_secrets(env), source=source)
    _check_meaning(settings, source or "configuration")
    if require_discord:
        check_discord_secrets(settings)
    return typing.cast(Settings, settings)


def check_discord_secrets(settings: Settings) -> None:
    where = settings.source or "configuration"
    d, s = settings.discord, settings.secrets
    if d.use_webhook and not s.discord_webhook_url:
        raise ConfigError(
            f"{where}: discord.use_webhook is true but {SECRET_ENV['discord_webhook_url']} is not "
            "set; export the channel's webhook URL in that variable"
        )
    if not d.use_webhook and d.channel_id and not s.discord_token:
        raise ConfigError(
            f"{where}: discord.channel_id is set but {SECRET_ENV['discord_token']} is not set; "
            "export the bot token in that variable, or set discord.use_webhook = true"
        )


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML ({exc})") from exc


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """MEETBOT_SECTION__KEY=value overrides one tunable, e.g. MEETBOT_STORAGE__URL."""
    out: dict[str, Any] = {}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        out.setdefault(section, {})[key] = _EnvText(value, name)
    return out


class _EnvText(str):
    """A string from the environment: converted to the field's type instead of type-checked."""

    var: str

    def __new__(cls, value: str, var: str) -> _EnvText:
        obj = super().__new__(cls, value)
        obj.var = var
        return obj


class _Refused(Exception):
    """A settings dataclass refused a value; `load` names the layer that set it."""

    def __init__(self, key: str, rest: str) -> None:
        super().__init__(key + rest)
        self.key, self.rest = key, rest


def _leaves(data: Mapping[str, Any], path: str = "") -> list[tuple[str, Any]]:
    """(dotted key, value) of every value in nested tables."""
    found: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            found += _leaves(value, _key(path, key))
        else:
            found.append((_key(path, key), value))
    return found


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dotted, value in flat.items():
        section, _, key = dotted.partition(".")
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


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if tp is bool:
        return "true or false"
    if tp is int:
        return "a whole number"
    if tp is float:
        return "a number"
    if tp is str:
        return "a string"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(repr(m.value) for m in tp)
    if origin is tuple:
        return "a list"
    if dataclasses.is_dataclass(tp):
        return "a table"
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_describe(a) for a in typing.get_args(tp) if a is not type(None))
    return str(tp)


def _convert(tp: Any, value: Any, path: str, where: str, *, partial: bool) -> Any:
    """Turn TOML data into `tp`, raising ConfigError with the file and dotted key on mismatch."""
    if isinstance(value, _EnvText):
        where = f"environment {value.var}"
        value = _from_text(tp, str(value), path, where)
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        for arg in args:
            try:
                return _convert(arg, value, path, where, partial=partial)
            except ConfigError:
                continue
        _fail(where, path, tp, value)
    if dataclasses.is_dataclass(tp):
        return _convert_table(tp, value, path, where, partial=partial)
    if origin is tuple:
        if not isinstance(value, list):
            _fail(where, path, tp, value)
        (item_tp, *_) = typing.get_args(tp)
        return tuple(
            _convert(item_tp, v, f"{path}[{i}]", where, partial=partial)
            for i, v in enumerate(value)
        )
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            _fail(where, path, tp, value)
    if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if tp in (int, str, bool) and type(value) is tp:
        return value
    _fail(where, path, tp, value)


def _convert_table(tp: Any, value: Any, path: str, where: str, *, partial: bool) -> Any:
    if not isinstance(value, dict):
        _fail(where, path, tp, value)
    hints = _hints(tp)
    fields = {f.name: f for f in dataclasses.fields(tp) if f.name not in _NOT_SETTINGS}
    for key in value:
        if key not in fields:
            close = difflib.get_close_matches(key, fields, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            allowed = ", ".join(sorted(fields))
            if isinstance(value[key], _EnvText):
                where = f"environment {value[key].var}"
            raise ConfigError(
                f"{where}: unknown key {_key(path, key)}{hint}; allowed here: {allowed}"
            )
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name in value:
            kwargs[name] = _convert(
                hints[name], value[name], _key(path, name), where, partial=partial
            )
        elif not partial and _required(f):
            raise ConfigError(f"{where}: missing key {_key(path, name)} ({_describe(hints[name])})")
    if partial:
        return None
    try:
        return tp(**kwargs)
    except ConfigError as exc:  # a section whose checks name their own keys (schedule)
        raise ConfigError(f"{where}: {exc}") from None
    except ValueError as exc:
        # Each dataclass checks itself (__post_init__); its message starts with the field name.
        name, _, rest = str(exc).partition(" ")
        if name in fields:
            raise _Refused(_key(path, name), " " + rest) from exc
        raise ConfigError(f"{where}: {path}: {exc}") from exc


@functools.cache
def _hints(tp: Any) -> dict[str, Any]:
    # Evaluating the string annotations was most of a load's time; the classes never change.
    return typing.get_type_hints(tp)


def _key(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _from_text(tp: Any, text: str, path: str, where: str) -> Any:
    """Environment values are text; read them as the type the field wants."""
    args = [a for a in typing.get_args(tp) if a is not type(None)] or [tp]
    target = args[0]
    try:
        if target is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if target is int:
            return int(text)
        if target is float:
            return float(text)
        if typing.get_origin(target) is tuple:
            return [part.strip() for part in text.split(",") if part.strip()]
    except ValueError:
        _fail(where, path, tp, text)
    return text


def _fail(where: str, path: str, tp: Any, value: Any) -> typing.NoReturn:
    raise ConfigError(f"{where}: {path} must be {_describe(tp)}, got {value!r}")


def _check_meaning(s: Settings, where: str) -> None:
    """Checks across sections (roster, agenda, chair) or needing outside knowledge (time zones).

    A section's own values are checked by its dataclass (`__post_init__`), where it is defined.
    """
    try:
        zoneinfo.ZoneInfo(s.chapter.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where}: chapter.timezone {s.chapter.timezone!r} is not a known time zone; "
            "use an IANA name such as 'Europe/London'"
        ) from None
    if s.meeting.platform != "janus":
        raise ConfigError(f"{where}: meeting.platform must be 'janus', got {s.meeting.platform!r}")
    names: dict[str, str] = {}
    for i, member in enumerate(s.roster):
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
    roster_names = {m.name for m in s.roster}
    for i, item in enumerate(s.agenda):
        if item.speaker not in roster_names:
            raise ConfigError(
                f"{where}: agenda[{i}].speaker {item.speaker!r} is not on the roster; "
                "use a roster name"
            )
    if s.chapter.chair and s.chapter.chair not in roster_names:
        raise ConfigError(f"{where}: chapter.chair {s.chapter.chair!r} is not on the roster")
