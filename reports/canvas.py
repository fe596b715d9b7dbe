"""Where every report picture is drawn: matplotlib's Agg renderer, with fixed settings.

Byte-for-byte deterministic for the same figures: fixed sizes and dpi, fixed style settings
(not the user's matplotlibrc), no pyplot global state (safe in a worker thread), and no
'Software' or date text chunk in the PNG. Pictures hold derived states and times only, never
a video frame.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100
STYLE = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: same glyphs on every machine
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": False,
}


@contextmanager
def figure(width_in: float, height_in: float) -> Iterator[Figure]:
    """A new figure drawn under STYLE; style settings are read as artists are created."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(width_in, height_in), dpi=DPI)
        FigureCanvasAgg(fig)
        yield fig


def png(fig: Figure) -> bytes:
    out = io.BytesIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def data_uri(image: bytes) -> str:
    """A PNG as a data: URI, so an HTML report stays one file that calls nowhere."""
    return "data:image/png;base64," + base64.b64encode(image).decode("ascii")


def safe_text(text: str) -> str:
    """Text for a matplotlib label: a '$' pair in a name would switch to math mode.

    The full-width '＠' that defuses mentions in posts (wording.plain_name) is not in the
    bundled font, and a picture cannot mention anyone: it is drawn as '@' again."""
    return text.replace("$", r"\$").replace("\uff20", "@")
