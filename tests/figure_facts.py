"""The structure of a matplotlib Figure, for picture tests that must not depend on pixels.

Axes titles, tick and legend labels, texts and the colours actually filled, read from the
Figure before it is rendered: stable across FreeType builds, and precise about meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure


@dataclass
class AxesFacts:
    title: str
    legend: list[str]
    xticks: list[str]
    yticks: list[str]
    texts: list[str]
    fills: set[str] = field(default_factory=set)  # '#rrggbb' of every filled shape


def facts(ax: Axes) -> AxesFacts:
    legend = ax.get_legend()
    found = AxesFacts(
        title=ax.get_title(loc="left") or ax.get_title(),
        legend=[t.get_text() for t in legend.get_texts()] if legend else [],
        xticks=[t.get_text() for t in ax.get_xticklabels()],
        yticks=[t.get_text() for t in ax.get_yticklabels()],
        texts=[t.get_text() for t in ax.texts],
    )
    for coll in ax.collections:
        for rgba in coll.get_facecolor():
            if rgba[3] > 0:
                found.fills.add(to_hex(rgba))
    for patch in ax.patches:
        rgba = patch.get_facecolor()
        if rgba[3] > 0:
            found.fills.add(to_hex(rgba))
    return found


def all_axes(fig: Figure) -> list[AxesFacts]:
    return [facts(ax) for ax in fig.axes]


def figure_texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.texts]


def is_reddish(colour: str) -> bool:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return r > 180 and g < 110 and b < 110
