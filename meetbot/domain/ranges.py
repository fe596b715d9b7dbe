"""The allowed values of tunables, checked where each settings dataclass is defined.

A settings class calls `check(self, {field: Range(...)})` in `__post_init__`. Every field is
type-checked from its annotation and every listed number against its range, infinities and NaN
included: NaN fails no `<` test, so `fps = nan` would pass `fps > 0` and busy-loop a live join.

The ValueError's message starts with the field name ("fps must be a finite number greater than
0 and at most 10, got nan"), so the config loader can put the file and section in front of it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

DAY_S = 86400.0  # no duration in a meeting's life is longer; beyond, timers overflow or hang

# Annotation (as text: the settings modules use `from __future__ import annotations`) -> the
# Python types a value of it may have. bool is an int subclass, hence the exact-type tests.
_TYPES: dict[str, tuple[type, ...]] = {
    "float": (float, int),
    "int": (int,),
    "bool": (bool,),
    "str": (str,),
}
_WORDS = {"float": "a number", "int": "a whole number", "bool": "true or false", "str": "a string"}


@dataclass(frozen=True, slots=True)
class Range:
    """Closed [low, high], or (low, high] with `above=True`."""

    low: float
    high: float
    above: bool = False  # low itself is not allowed, only values greater than it

    def allows(self, value: float) -> bool:
        # Written so that NaN fails: every comparison with NaN is False.
        return (value > self.low if self.above else value >= self.low) and value <= self.high

    def describe(self, whole: bool) -> str:
        kind = "a whole number" if whole else "a finite number"
        low, high = _number(self.low), _number(self.high)
        if self.above:
            return f"{kind} greater than {low} and at most {high}"
        return f"{kind} from {low} to {high}"


def seconds(high: float = DAY_S, *, positive: bool = False) -> Range:
    """A duration: 0 or more (`positive`: more than 0) and at most `high` seconds."""
    return Range(0.0, high, above=positive)


SHARE = Range(0.0, 1.0)  # a fraction or a probability


def check(settings: Any, ranges: Mapping[str, Range]) -> None:
    """Raise ValueError naming the first field of the dataclass `settings` that is not allowed."""
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        kind = str(f.type)
        types = _TYPES.get(kind)
        if types is not None and (
            isinstance(value, bool) != (kind == "bool") or not isinstance(value, types)
        ):
            raise ValueError(f"{f.name} must be {_WORDS[kind]}, got {value!r}")
        allowed = ranges.get(f.name)
        if allowed is not None and not allowed.allows(value):
            refuse(f.name, allowed.describe(kind == "int"), value)
        if allowed is None and kind == "float" and not math.isfinite(value):  # a field unlisted
            refuse(f.name, "a finite number", value)


def refuse(name: str, allowed: str, value: object) -> NoReturn:
    raise ValueError(f"{name} must be {allowed}, got {value!r}")


def _number(x: float) -> str:
    if isinstance(x, int):  # exact, even for 64-bit ids
        return str(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else f"{x:g}"
