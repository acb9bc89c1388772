"""The embedding map: chosen words in 2-D (PCA of their vectors), with analogy arrows.

Type words (and pairs such as `man>woman`, drawn as arrows), or pick a relation; the map is the
projection of those words' unit vectors on their top two principal components, drawn with equal
scales on both axes so that angles and lengths on the map are not distorted. `compute_map` is
pure, `map_svg` draws it as SVG for the live widget (fast), `draw_map` with matplotlib for static
figures, and `EmbeddingMap` wires the controls.

One relation at a time: the arrows of one relation (man>woman, king>queen, ...) come out nearly
parallel when the map is fitted to those words alone; mix in a second relation (capitals) and the
two principal components must serve both, so neither set of arrows need look parallel.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from helpers import plots
from helpers.vectors.ppmi import pca
from helpers.vectors.word_vectors import WordVectors

DEFAULT_PAIRS = "man>woman, king>queen, lord>lady, he>she, father>mother, son>daughter"

# Each relation gets its own map (see the module docstring); the first is the default.
RELATIONS = {
    "gender": "man>woman king>queen uncle>aunt boy>girl father>mother brother>sister",
    "capitals": "france>paris italy>rome japan>tokyo germany>berlin spain>madrid russia>moscow",
    "comparatives": "big>bigger small>smaller good>better long>longer strong>stronger",
    "plurals": "lord>lords friend>friends eye>eyes hand>hands sword>swords",
    "thou-verbs": "have>hast do>dost will>wilt shall>shalt can>canst",
}


@dataclass(frozen=True)
class MapView:
    """Words placed in 2-D, the arrows between pairs, and what could not be placed."""

    words: list[str]
    xy: np.ndarray  # (N, 2) coordinates along the first two principal components
    arrows: list[tuple[int, int]]  # indices into words: from -> to
    explained: tuple[float, float]  # share of the words' variance on each axis
    unknown: list[str]  # typed words that are not in the vocabulary


def parse_words(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Words and pairs from text like "man>woman, king>queen, castle" (commas or spaces)."""
    words, pairs = [], []
    for item in text.replace(",", " ").split():
        parts = [p for p in item.lower().split(">") if p]
        if len(parts) == 2:
            pairs.append((parts[0], parts[1]))
        words += [p for p in parts if p not in words]
    return words, pairs


def compute_map(vectors: WordVectors, text: str) -> MapView:
    """Place the known words of `text` by a PCA fitted on their own unit vectors.

    Unit vectors, because cosine similarity (what neighbours and analogies use) ignores length:
    on raw vectors a frequent word's long vector would dominate the components and the map."""
    words, pairs = parse_words(text)
    known = [w for w in words if w in vectors]
    unknown = [w for w in words if w not in vectors]
    if len(known) < 3:
        return MapView(known, np.zeros((len(known), 2)), [], (0.0, 0.0), unknown)
    rows = np.stack([vectors.unit[vectors.id(w)] for w in known])
    p = pca(rows, k=2)
    index = {w: i for i, w in enumerate(known)}
    arrows = [(index[a], index[b]) for a, b in pairs if a in index and b in index]
    return MapView(known, p.project(rows), arrows, tuple(map(float, p.explained)), unknown)


def _axis_label(i: int, view: MapView) -> str:
    return f"PC{i + 1} ({100 * view.explained[i]:.0f}% of the variance)"


def map_svg(view: MapView, width: int = 560, height: int = 380) -> str:
    """The map as an SVG string with labelled points and arrows."""
    if len(view.words) < 3:
        note = "type at least three words the vectors know"
        return f"<div style='color:#b8474d'>{note}{_unknown_note(view)}</div>"
    pad = 40
    lo, hi = view.xy.min(axis=0), view.xy.max(axis=0)
    box = np.array([width - 2 * pad, height - 2 * pad], dtype=float)
    # one scale for both axes (equal aspect), the map centred in the box
    scale = float(np.min(box / np.maximum(hi - lo, 1e-9)))
    pts = pad + (box - (hi - lo) * scale) / 2 + (view.xy - lo) * scale
    pts[:, 1] = height - pts[:, 1]  # SVG's y axis points down
    parts = [
        f"<svg width='{width}' height='{height}' xmlns='http://www.w3.org/2000/svg' "
        "style='background:white;font-family:sans-serif'>",
        "<defs><marker id='head' markerWidth='8' markerHeight='8' refX='7' refY='3' "
        f"orient='auto'><path d='M0,0 L7,3 L0,6 z' fill='{plots.ACCENT}'/></marker></defs>",
    ]
    for i, j in view.arrows:
        (x1, y1), (x2, y2) = pts[i], pts[j]
        parts.append(
            f"<line x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='"
            f"{plots.ACCENT}' stroke-width='1.5' marker-end='url(#head)'/>"
        )
    for word, (x, y) in zip(view.words, pts, strict=True):
        parts.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3.5' fill='{plots.MAIN}'/>")
        parts.append(
            f"<text x='{x + 5:.1f}' y='{y - 5:.1f}' font-size='12'>{html.escape(word)}</text>"
        )
    parts.append(
        f"<text x='{width / 2:.0f}' y='{height - 6}' font-size='11' text-anchor='middle' "
        f"fill='#555'>{_axis_label(0, view)}</text></svg>"
    )
    return (
        "".join(parts)
        + f"<div style='color:#555'>{_axis_label(1, view)} vertical"
        + (f"{_unknown_note(view)}</div>")
    )


def _unknown_note(view: MapView) -> str:
    if not view.unknown:
        return ""
    return f"; not in the vocabulary: {html.escape(', '.join(view.unknown))}"


def draw_map(view: MapView, title: str = "word vectors, first two principal components") -> Figure:
    """The map as a matplotlib figure (for static output and the notebook's plots)."""
    fig, ax = plots.figure(6.5, 4.5)
    if len(view.words) >= 3:
        ax.scatter(view.xy[:, 0], view.xy[:, 1], color=plots.MAIN, s=18)
        for word, (x, y) in zip(view.words, view.xy, strict=True):
            ax.annotate(word, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=9)
        for i, j in view.arrows:
            ax.annotate(
                "",
                xy=view.xy[j],
                xytext=view.xy[i],
                arrowprops={"arrowstyle": "->", "color": plots.ACCENT, "lw": 1.3},
            )
        ax.set_xlabel(_axis_label(0, view))
        ax.set_ylabel(_axis_label(1, view))
        ax.set_aspect("equal", adjustable="datalim")  # one unit is as long on both axes
    ax.set_title(title)
    return fig


class EmbeddingMap:
    """Interactive 2-D map of chosen words; `vectors` is one WordVectors or name -> WordVectors.

    `relations` (name -> words, default RELATIONS) fill the words box from a dropdown, one
    relation per map; `words`, if given, is the starting text instead of the first relation's."""

    def __init__(
        self,
        vectors: WordVectors | Mapping[str, WordVectors],
        words: str | Sequence[str] | None = None,
        relations: Mapping[str, str] = RELATIONS,
    ):
        self.vectors = dict(vectors) if isinstance(vectors, Mapping) else {"vectors": vectors}
        if not self.vectors:
            raise ValueError("vectors must hold at least one set of word vectors")
        self.relations = dict(relations)
        if words is None:
            if not self.relations:
                raise ValueError("give words, or relations with at least one entry")
            words = next(iter(self.relations.values()))
        text = words if isinstance(words, str) else ", ".join(words)
        self.choice = widgets.Dropdown(
            options=list(self.vectors),
            description="vectors",
            layout=widgets.Layout(display="" if len(self.vectors) > 1 else "none"),
        )
        starting = [n for n, v in self.relations.items() if v == text]
        self.relation = widgets.Dropdown(
            options=[*self.relations, "(your own words)"],
            value=starting[0] if starting else "(your own words)",
            description="relation",
            layout=widgets.Layout(display="" if self.relations else "none"),
        )
        self.text = widgets.Textarea(
            value=text,
            description="words",
            placeholder="words, and pairs like man>woman for arrows",
            layout=widgets.Layout(width="560px", height="60px"),
        )
        self.picture = widgets.HTML()
        self.choice.observe(self.update, names="value")
        self.text.observe(self.update, names="value")
        self.relation.observe(self._pick_relation, names="value")
        self.widget = widgets.VBox([self.choice, self.relation, self.text, self.picture])
        self.view: MapView | None = None
        self.update()

    def _pick_relation(self, change: object = None) -> None:
        """Put the chosen relation's words in the box (which redraws the map)."""
        if self.relation.value in self.relations:
            self.text.value = self.relations[self.relation.value]

    def update(self, change: object = None) -> None:
        """Recompute the map from the controls and redraw."""
        self.view = compute_map(self.vectors[self.choice.value], self.text.value)
        self.picture.value = map_svg(self.view)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["image/png"] = base64.b64encode(plots.to_png(draw_map(self.view))).decode("ascii")
        return bundle
