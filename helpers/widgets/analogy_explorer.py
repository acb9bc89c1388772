"""The analogy explorer: type a : b :: c : ?, see the ranked answers and their scores as bars.

Works with any `WordVectors` (ours trained on Shakespeare, GloVe, gensim's wrapped): a dropdown
switches between them. `compute_view` is a pure function of the control values, `draw_view` and
`bars_html` draw its result, and `AnalogyExplorer` only wires ipywidgets controls to them.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from dataclasses import dataclass

import ipywidgets as widgets
from matplotlib.figure import Figure

from helpers import plots
from helpers.vectors.word_vectors import UnknownWordError, WordVectors

METHODS = {"3CosAdd": "3cosadd", "3CosMul": "3cosmul"}


@dataclass(frozen=True)
class AnalogyView:
    """What the explorer shows for one question."""

    question: str  # "a : b :: c : ?"
    words: list[str]  # answers, best first (empty when a word is unknown)
    scores: list[float]  # their scores (cosine for 3CosAdd, the ratio for 3CosMul)
    message: str  # "" or why there are no answers (unknown words with close matches)


def compute_view(
    vectors: WordVectors, a: str, b: str, c: str, k: int = 8, method: str = "3cosadd"
) -> AnalogyView:
    """The top-k answers to a : b :: c : ?; unknown or missing words give a message, no error."""
    words = [w.strip().lower() for w in (a, b, c)]
    question = f"{words[0] or '?'} : {words[1] or '?'} :: {words[2] or '?'} : ?"
    if not all(words):
        return AnalogyView(question, [], [], "type three words: a is to b as c is to ...")
    try:
        answers = vectors.analogy(*words, k=k, method=method)
    except UnknownWordError as err:
        return AnalogyView(question, [], [], str(err))
    return AnalogyView(question, [w for w, _ in answers], [s for _, s in answers], "")


def draw_view(view: AnalogyView) -> Figure:
    """Horizontal bars of the answers' scores, best at the top (or the message)."""
    fig, ax = plots.figure(6.0, 0.35 * max(len(view.words), 2) + 1.2)
    if view.words:
        plots.bar_distribution(ax, view.words, view.scores, highlight=0, title=view.question)
        ax.set_xlabel("score")
    else:
        ax.axis("off")
        ax.text(0.0, 0.5, view.message, wrap=True, fontsize=10)
    return fig


def bars_html(view: AnalogyView) -> str:
    """The view as HTML bars (drawn by the browser: an update takes milliseconds)."""
    title = f"<b>{html.escape(view.question)}</b>"
    if not view.words:
        return f"<div>{title}<div style='color:#b8474d'>{html.escape(view.message)}</div></div>"
    low = min(0.0, min(view.scores))
    top = max(max(view.scores) - low, 1e-12)
    rows = []
    for i, (word, score) in enumerate(zip(view.words, view.scores, strict=True)):
        color = plots.ACCENT if i == 0 else plots.MAIN
        width = 100.0 * (score - low) / top
        rows.append(
            "<tr><td style='text-align:right;padding-right:6px;font-family:monospace'>"
            f"{html.escape(word)}</td><td style='width:320px'><div class='bar' style='"
            f"background:{color};width:{width:.1f}%;height:14px'></div></td>"
            f"<td style='padding-left:6px;font-family:monospace'>{score:.3f}</td></tr>"
        )
    return f"<div>{title}<table style='border-collapse:collapse'>{''.join(rows)}</table></div>"


class AnalogyExplorer:
    """Interactive a : b :: c : ? explorer over one or several sets of word vectors."""

    def __init__(
        self,
        vectors: WordVectors | Mapping[str, WordVectors],
        a: str = "man",
        b: str = "king",
        c: str = "woman",
        k: int = 8,
    ):
        self.vectors = dict(vectors) if isinstance(vectors, Mapping) else {"vectors": vectors}
        if not self.vectors:
            raise ValueError("vectors must hold at least one set of word vectors")
        self.k = k
        self.choice = widgets.Dropdown(
            options=list(self.vectors),
            description="vectors",
            layout=widgets.Layout(display="" if len(self.vectors) > 1 else "none"),
        )
        layout = widgets.Layout(width="150px")
        self.a = widgets.Text(value=a, description="a", layout=layout)
        self.b = widgets.Text(value=b, description="is to b", layout=layout)
        self.c = widgets.Text(value=c, description="as c", layout=layout)
        self.method = widgets.ToggleButtons(options=list(METHODS), description="method")
        self.chart = widgets.HTML()
        for control in (self.choice, self.a, self.b, self.c, self.method):
            control.observe(self.update, names="value")
        self.widget = widgets.VBox(
            [
                self.choice,
                widgets.HBox([self.a, self.b, self.c, widgets.Label("is to ?")]),
                self.method,
                self.chart,
            ]
        )
        self.view: AnalogyView | None = None
        self.update()

    def update(self, change: object = None) -> None:
        """Recompute the answers from the controls and redraw."""
        self.view = compute_view(
            self.vectors[self.choice.value],
            self.a.value,
            self.b.value,
            self.c.value,
            k=self.k,
            method=METHODS[self.method.value],
        )
        self.chart.value = bars_html(self.view)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["image/png"] = base64.b64encode(plots.to_png(draw_view(self.view))).decode("ascii")
        return bundle
