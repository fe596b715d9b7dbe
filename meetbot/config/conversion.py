"""TOML and environment values turned into the schema's typed settings dataclasses.

Each value is checked against its field's type (a table, a list, an enum, a number, a string,
true or false); environment values, which are text, are read as the type the field wants. A
mismatch is one line naming the file (or variable), the dotted key and what is allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import functools
import types
import typing
from typing import Any

from meetbot.errors import ConfigError

_NOT_SETTINGS = {"secrets", "source"}  # Settings fields filled by `load`, never by a file


class EnvText(str):
    """A string from the environment: converted to the field's type instead of type-checked."""

    var: str

    def __new__(cls, value: str, var: str) -> EnvText:
        obj = super().__new__(cls, value)
        obj.var = var
        return obj


class Refused(Exception):
    """A settings dataclass refused a value; `load` names the layer that set it."""

    def __init__(self, key: str, rest: str) -> None:
        super().__init__(key + rest)
        self.key, self.rest = key, rest


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


def convert(tp: Any, value: Any, path: str, where: str, *, partial: bool) -> Any:
    """Turn TOML data into `tp`, raising ConfigError with the file and dotted key on mismatch."""
    if isinstance(value, EnvText):
        where = f"environment {value.var}"
        value = _from_text(tp, str(value), path, where)
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        for arg in args:
            try:
                return convert(arg, value, path, where, partial=partial)
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
            convert(item_tp, v, f"{path}[{i}]", where, partial=partial) for i, v in enumerate(value)
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
            var = _env_var(value[key])
            if var:
                where = f"environment {var}"
            raise ConfigError(
                f"{where}: unknown key {dotted(path, key)}{hint}; allowed here: {allowed}"
            )
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name in value:
            kwargs[name] = convert(
                hints[name], value[name], dotted(path, name), where, partial=partial
            )
        elif not partial and _required(f):
            wanted = _describe(hints[name])
            raise ConfigError(f"{where}: missing key {dotted(path, name)} ({wanted})")
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
            raise Refused(dotted(path, name), " " + rest) from exc
        raise ConfigError(f"{where}: {path}: {exc}") from exc


def _env_var(value: Any) -> str:
    """The environment variable that set `value`: itself, or (an unknown section, which
    MEETBOT_NOSUCH__X makes a table) the first one inside it; "" when none did."""
    if isinstance(value, EnvText):
        return value.var
    if isinstance(value, dict):
        return next(filter(None, map(_env_var, value.values())), "")
    return ""


@functools.cache
def _hints(tp: Any) -> dict[str, Any]:
    # Evaluating the string annotations was most of a load's time; the classes never change.
    return typing.get_type_hints(tp)


def dotted(path: str, name: str) -> str:
    """`name` under the dotted `path` ("meeting", "room" -> "meeting.room")."""
    return f"{path}.{name}" if path else name


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _from_text(tp: Any, text: str, path: str, where: str) -> Any:
    """Environment values are text; read them as the type the field wants."""
    # Unwrap only `X | None`: a tuple's own arguments (str, ...) are not the field's type.
    union = typing.get_origin(tp) in (types.UnionType, typing.Union)
    target = next(a for a in typing.get_args(tp) if a is not type(None)) if union else tp
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
