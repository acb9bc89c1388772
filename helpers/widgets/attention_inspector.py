"""The attention inspector: look at attention weights of any model, layer by layer, head by head.

It takes weights shaped (layers, heads, queries, keys), plus the query and key tokens: a seq2seq
model's cross-attention (notebook 05: one layer, one head), a GPT's self-attention (06), a
pretrained model's (07, 08). Nothing is computed from the model here: the weights are given once,
and every view is derived from them and cached.

What it shows: a grid of every head of the chosen layer as small multiples, titled with each
head's mean entropy; a large heatmap of one head (or the mean over heads) with token labels, the
chosen query's row outlined; the key tokens highlighted by the chosen query's weights. The colour
scale is shared by all heads of a layer or set per head.

Logic and drawing are separate: `prepare` checks and caps the input, `matrix`, `colour_max`,
`heatmap_html`, `heads_grid_html` and `context_html` are pure functions of the controls' values,
and `AttentionInspector` only wires ipywidgets controls to them. Views are HTML (a table, inline
PNG thumbnails, coloured spans): no JavaScript, no network, so they work in JupyterLab, Notebook 7
and VS Code, and redraw fast. `static_figure` draws the same with matplotlib for readers without a
kernel.
"""

from __future__ import annotations

import base64
import html
import io
import time
from dataclasses import dataclass
from functools import cached_property

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from helpers import plots

MAX_TOKENS = 64
CMAP = "Blues"
MEAN = -1  # the head value that means "the mean over heads"


@dataclass(frozen=True)
class AttentionData:
    """Checked attention weights (layers, heads, queries, keys) and their tokens."""

    weights: np.ndarray
    query_tokens: tuple[str, ...]
    key_tokens: tuple[str, ...]
    note: str = ""  # why the input was cut, if it was

    @property
    def layers(self) -> int:
        return self.weights.shape[0]

    @property
    def heads(self) -> int:
        return self.weights.shape[1]

    @cached_property
    def entropy(self) -> np.ndarray:
        """Mean entropy (nats) of each head's rows, shape (layers, heads); a fully masked row (all
        zeros) counts as 0."""
        return _row_entropy(self.weights).mean(-1)


def _row_entropy(w: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(w > 0, -w * np.log(w), 0.0)
    return terms.sum(-1)


def prepare(
    weights: object,
    query_tokens: list[str] | tuple[str, ...],
    key_tokens: list[str] | tuple[str, ...] | None = None,
    max_tokens: int = MAX_TOKENS,
) -> AttentionData:
    """Check `weights` and cap long inputs at their first `max_tokens` queries and keys.

    weights: (queries, keys), (heads, queries, keys) or (layers, heads, queries, keys), a numpy
    array or a torch tensor of non-negative numbers. key_tokens defaults to query_tokens
    (self-attention).
    """
    if hasattr(weights, "detach"):
        weights = weights.detach().cpu().numpy()
    w = np.asarray(weights, dtype=float)
    if not 2 <= w.ndim <= 4:
        raise ValueError(
            f"weights must have shape (queries, keys), (heads, queries, keys) or "
            f"(layers, heads, queries, keys), got {w.shape}"
        )
    w = w.reshape((1,) * (4 - w.ndim) + w.shape)
    key_tokens = query_tokens if key_tokens is None else key_tokens
    query_tokens, key_tokens = tuple(map(str, query_tokens)), tuple(map(str, key_tokens))
    if w.shape[2:] != (len(query_tokens), len(key_tokens)):
        raise ValueError(
            f"weights end in (queries, keys) = {w.shape[2:]}, but there are "
            f"{len(query_tokens)} query tokens and {len(key_tokens)} key tokens"
        )
    if 0 in w.shape:
        raise ValueError(f"weights must not be empty, got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and non-negative (attention probabilities)")
    note = ""
    if max(w.shape[2:]) > max_tokens:
        note = (
            f"Long input: showing the first {min(max_tokens, w.shape[2])} of {w.shape[2]} queries "
            f"and the first {min(max_tokens, w.shape[3])} of {w.shape[3]} keys (the cap is "
            f"{max_tokens} tokens; slice the text to look elsewhere)."
        )
        w = w[:, :, :max_tokens, :max_tokens]
        query_tokens, key_tokens = query_tokens[:max_tokens], key_tokens[:max_tokens]
    return AttentionData(w, query_tokens, key_tokens, note)


def matrix(data: AttentionData, layer: int, head: int) -> np.ndarray:
    """The (queries, keys) weights of one head, or their mean over heads when head is MEAN."""
    if not 0 <= layer < data.layers:
        raise ValueError(f"layer must be in [0, {data.layers}), got {layer}")
    if head == MEAN:
        return data.weights[layer].mean(0)
    if not 0 <= head < data.heads:
        raise ValueError(f"head must be {MEAN} (mean) or in [0, {data.heads}), got {head}")
    return data.weights[layer, head]


def colour_max(data: AttentionData, layer: int, head: int, shared: bool) -> float:
    """The weight drawn darkest: the layer's largest weight (shared) or this view's own."""
    m = data.weights[layer].max() if shared else matrix(data, layer, head).max()
    return float(m) if m > 0 else 1.0


def _rgba(values: np.ndarray, vmax: float) -> np.ndarray:
    """Colours (..., 4) uint8 for weights scaled by vmax."""
    cmap = matplotlib.colormaps[CMAP]
    return (cmap(np.clip(values / vmax, 0.0, 1.0)) * 255).astype(np.uint8)


def show_token(token: str) -> str:
    """A token as visible, HTML-safe text: spaces and newlines made visible."""
    shown = token.replace(" ", "␣").replace("\n", "↵").replace("\t", "→") or "∅"
    return html.escape(shown)


def heatmap_html(data: AttentionData, layer: int, head: int, query: int, shared: bool) -> str:
    """A table: one row per query token, one column per key token, cells coloured by weight
    (hover for the number); the chosen query's row is outlined."""
    w = matrix(data, layer, head)
    colours = _rgba(w, colour_max(data, layer, head, shared))
    cell = "width:11px;height:11px;padding:0;"
    head_cells = "".join(
        f"<th style='writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal;"
        f"font-size:9px;padding:0 1px'>{show_token(t)}</th>"
        for t in data.key_tokens
    )
    rows = []
    for i, token in enumerate(data.query_tokens):
        outline = "outline:2px solid #e07b39;" if i == query else ""
        cells = "".join(
            f"<td title='{w[i, j]:.3f}' style='{cell}background:#{r:02x}{g:02x}{b:02x}'></td>"
            for j, (r, g, b, _) in enumerate(colours[i])
        )
        rows.append(
            f"<tr style='{outline}'><th style='text-align:right;font-weight:normal;"
            f"font-size:9px;padding:0 3px'>{show_token(token)}</th>{cells}</tr>"
        )
    return (
        "<table style='border-collapse:collapse;line-height:1'>"
        f"<tr><th></th>{head_cells}</tr>{''.join(rows)}</table>"
    )


def _png_data_uri(rgba: np.ndarray, scale: int) -> str:
    image = Image.fromarray(rgba, "RGBA").resize(
        (rgba.shape[1] * scale, rgba.shape[0] * scale), Image.Resampling.NEAREST
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def heads_grid_html(
    data: AttentionData,
    layer: int,
    shared: bool,
    selected: int,
    thumbnails: dict[tuple[int, int, bool], str] | None = None,
) -> str:
    """Every head of `layer` as a thumbnail titled with its mean entropy; `selected` outlined.

    `thumbnails` is an optional cache of the PNGs, keyed by (layer, head, shared)."""
    size = max(data.weights.shape[2:])
    scale = max(1, 96 // size)
    thumbnails = {} if thumbnails is None else thumbnails
    items = []
    for h in range(data.heads):
        if (layer, h, shared) not in thumbnails:
            rgba = _rgba(data.weights[layer, h], colour_max(data, layer, h, shared))
            thumbnails[layer, h, shared] = _png_data_uri(rgba, scale)
        border = "#e07b39" if h == selected else "#ddd"
        items.append(
            f"<div style='display:inline-block;margin:2px;text-align:center;font-size:10px'>"
            f"<img src='{thumbnails[layer, h, shared]}' style='border:2px solid {border}'><br>"
            f"head {h} · H {data.entropy[layer, h]:.2f}</div>"
        )
    return "<div>" + "".join(items) + "</div>"


def context_html(data: AttentionData, layer: int, head: int, query: int) -> str:
    """The key tokens with a background as dark as the chosen query's weight on each."""
    row = matrix(data, layer, head)[query]
    colours = _rgba(row, float(row.max()) if row.max() > 0 else 1.0)
    spans = []
    for token, weight, (r, g, b, _) in zip(data.key_tokens, row, colours, strict=True):
        ink = "white" if weight > 0.6 * row.max() > 0 else "black"
        spans.append(
            f"<span title='{weight:.3f}' style='background:#{r:02x}{g:02x}{b:02x};color:{ink};"
            f"padding:1px 2px;margin:1px;font-family:monospace'>{show_token(token)}</span>"
        )
    who = "mean of heads" if head == MEAN else f"head {head}"
    return (
        f"<div style='font-size:12px'>query <b>{show_token(data.query_tokens[query])}</b> "
        f"(position {query}), layer {layer}, {who}, attends to:</div>"
        f"<div style='line-height:1.9'>{''.join(spans)}</div>"
    )


def static_figure(data: AttentionData, layer: int = 0, head: int = MEAN) -> Figure:
    """A matplotlib heatmap of one head (or the mean) with token labels, for static viewers."""
    w = matrix(data, layer, head)
    q, k = w.shape
    size = min(9.0, 2.0 + 0.16 * max(q, k))
    fig, ax = plots.figure(size, size * q / max(k, 1) + 0.8)
    ax.imshow(w, cmap=CMAP, vmin=0, vmax=colour_max(data, layer, head, shared=True))
    ax.grid(False)
    ax.set_xticks(range(k), [show_token(t) for t in data.key_tokens], rotation=90, fontsize=7)
    ax.set_yticks(range(q), [show_token(t) for t in data.query_tokens], fontsize=7)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query")
    who = "mean of heads" if head == MEAN else f"head {head}"
    ax.set_title(f"attention weights, layer {layer}, {who}", fontsize=10)
    return fig


class AttentionInspector:
    """Layer, head and query selectors and a shared / per-head colour scale over cached views.

    inspector = AttentionInspector(weights, query_tokens, key_tokens); display it (or
    `inspector.widget`). `last_redraw_ms` is how long the latest update took.
    """

    def __init__(
        self,
        weights: object,
        query_tokens: list[str] | tuple[str, ...],
        key_tokens: list[str] | tuple[str, ...] | None = None,
        max_tokens: int = MAX_TOKENS,
    ):
        self.data = prepare(weights, query_tokens, key_tokens, max_tokens)
        d = self.data
        self.layer = widgets.Dropdown(
            options=[(f"layer {i}", i) for i in range(d.layers)], value=0, description="layer"
        )
        self.head = widgets.Dropdown(
            options=[("mean of heads", MEAN)] + [(f"head {h}", h) for h in range(d.heads)],
            value=MEAN if d.heads > 1 else 0,
            description="head",
        )
        self.query = widgets.Dropdown(
            options=[(f"{i}: {t}", i) for i, t in enumerate(d.query_tokens)],
            value=len(d.query_tokens) - 1,
            description="query",
        )
        self.scale = widgets.ToggleButtons(
            options=[("shared scale", True), ("per head", False)], value=True
        )
        self.note = widgets.HTML(f"<i>{html.escape(d.note)}</i>" if d.note else "")
        self.grid = widgets.HTML()
        self.heatmap = widgets.HTML()
        self.context = widgets.HTML()
        self.info = widgets.HTML()
        self._cache: dict[tuple, str] = {}
        self._thumbnails: dict[tuple[int, int, bool], str] = {}
        self.last_redraw_ms = 0.0
        for control in (self.layer, self.head, self.query, self.scale):
            control.observe(self.update, names="value")
        controls = widgets.HBox([self.layer, self.head, self.query])
        self.widget = widgets.VBox(
            [controls, self.scale, self.note, self.grid, self.info, self.context, self.heatmap]
        )
        self.update()

    def _cached(self, key: tuple, make) -> str:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def update(self, change: object = None) -> None:
        start = time.perf_counter()
        d = self.data
        layer, head, query, shared = (
            self.layer.value,
            self.head.value,
            self.query.value,
            self.scale.value,
        )
        self.grid.value = self._cached(
            ("grid", layer, shared, head),
            lambda: heads_grid_html(d, layer, shared, head, self._thumbnails),
        )
        self.heatmap.value = self._cached(
            ("heatmap", layer, head, query, shared),
            lambda: heatmap_html(d, layer, head, query, shared),
        )
        self.context.value = self._cached(
            ("context", layer, head, query), lambda: context_html(d, layer, head, query)
        )
        mean_h = _row_entropy(matrix(d, layer, head)).mean()
        who = "mean of heads" if head == MEAN else f"head {head}"
        self.info.value = (
            f"<div style='font-size:12px'>layer {layer}, {who}: mean entropy {mean_h:.2f} nats "
            f"(0 = each query looks at one key; {np.log(len(d.key_tokens)):.2f} = spread evenly "
            f"over all {len(d.key_tokens)} keys)</div>"
        )
        self.last_redraw_ms = (time.perf_counter() - start) * 1000

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        fig = static_figure(self.data, self.layer.value, self.head.value)
        bundle["image/png"] = base64.b64encode(plots.to_png(fig)).decode("ascii")
        return bundle
