"""One plot style for the whole series, and the few plots several notebooks share."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

PALETTE = ["#3b6ea8", "#e07b39", "#4a9c5d", "#b8474d", "#7d5ba6", "#8c6d46", "#c9649e", "#6f6f6f"]
ACCENT = PALETTE[1]
MAIN = PALETTE[0]

STYLE = {
    "figure.figsize": (7.0, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.bbox": "tight",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "font.size": 10,
    "legend.frameon": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
}


def use_style() -> None:
    """Apply the series' matplotlib style to every later figure."""
    plt.rcParams.update(STYLE)


def figure(width: float = 7.0, height: float = 3.6) -> tuple[Figure, plt.Axes]:
    """A new figure with one axes in the series' style, not attached to pyplot's global state.

    Widgets draw into such figures so that redrawing never leaks open figures; notebook plots
    use `subplots` instead, which pyplot (and so the inline backend) knows about.
    """
    with plt.rc_context(STYLE):
        fig = Figure(figsize=(width, height))
        ax = fig.add_subplot()
    return fig, ax


def subplots(width: float = 7.0, height: float = 3.6) -> tuple[Figure, plt.Axes]:
    """A new pyplot figure in the series' style, for plots a notebook shows with plt.show()."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def bar_distribution(
    ax: plt.Axes,
    tokens: Sequence[str],
    probs: Sequence[float],
    highlight: int | None = None,
    title: str | None = None,
) -> None:
    """Horizontal bars of token probabilities, most likely at the top; `highlight` is an index."""
    n = len(tokens)
    y = np.arange(n)[::-1]
    colors = [ACCENT if i == highlight else MAIN for i in range(n)]
    ax.barh(y, probs, color=colors)
    ax.set_yticks(y, [repr(t) if t.strip() != t or not t else t for t in tokens])
    ax.set_xlabel("probability")
    ax.set_xlim(0, max(1e-9, max(probs, default=0)) * 1.15)
    ax.grid(axis="y", visible=False)
    for yi, p in zip(y, probs, strict=True):
        ax.text(p, yi, f" {p:.3f}", va="center", fontsize=8)
    if title:
        ax.set_title(title)


def to_png(fig: Figure) -> bytes:
    """Render a figure to PNG bytes (for ipywidgets.Image and static fallbacks)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
