"""The next-token explorer: type a context, see the model's next-token distribution and samples.

It works with any `NextTokenModel` (counts in notebook 00, n-grams in 02, a GPT in 08). A model
that has a `context_used(tokens)` method (the n-gram models) shows the tokens it actually
conditions on; any other model is shown as seeing the whole context. Entropy is in nats, like
every loss in the series. Logic and drawing are separate: `compute_view` is a pure function of
the control values, `draw_view` turns its result into a figure, and `NextTokenExplorer` only
wires ipywidgets controls to them.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from helpers import plots
from helpers.counting.next_token import NextTokenModel, apply_temperature, generate, top_k_filter


@dataclass(frozen=True)
class ExplorerView:
    """What the explorer shows for one setting of its controls."""

    context: list[str]  # the tokens the model was given
    used: list[str]  # the last tokens of the context that the distribution is conditioned on
    tokens: list[str]  # the most likely next tokens, most likely first
    probs: np.ndarray  # their probabilities after temperature and top-k, shape (n_bars,)
    rest: float  # total probability of every token not shown
    entropy: float  # -sum p ln p of the whole adjusted distribution, in nats
    samples: list[str]  # sampled continuations of the context, each cut at the end token


def compute_view(
    model: NextTokenModel,
    text: str,
    temperature: float = 1.0,
    top_k: int = 0,
    n_bars: int = 10,
    n_samples: int = 3,
    sample_length: int = 12,
    seed: int = 0,
    stop: str | None = "</s>",
) -> ExplorerView:
    """The distribution of the next token after `text`, reshaped by temperature and top-k.

    temperature must be > 0; top_k = 0 keeps every token. Samples use numpy's generator seeded
    with `seed`, so the same controls always show the same samples; each ends early at `stop`.
    """
    if n_bars < 1:
        raise ValueError(f"n_bars must be >= 1, got {n_bars}")
    context = model.tokenize(text)
    context_used = getattr(model, "context_used", None)
    used = list(context_used(context)) if context_used is not None else list(context)
    tokens, probs = model.next_token_distribution(context)
    probs = top_k_filter(apply_temperature(probs, temperature), top_k)
    order = np.argsort(-probs, kind="stable")[:n_bars]
    nonzero = probs[probs > 0]
    entropy = float(-(nonzero * np.log(nonzero)).sum())
    rng = np.random.default_rng(seed)
    samples = [
        model.detokenize(generate(model, text, sample_length, rng, temperature, top_k, stop))
        for _ in range(n_samples)
    ]
    return ExplorerView(
        context=context,
        used=used,
        tokens=[tokens[i] for i in order],
        probs=probs[order],
        rest=float(max(0.0, 1.0 - probs[order].sum())),
        entropy=entropy,
        samples=samples,
    )


def context_html(view: ExplorerView, shown: int = 8) -> str:
    """The end of the context, with the tokens the model conditions on in bold and the ones it
    ignores (too far back, or dropped when backing off to a shorter seen context) in grey."""
    n_used = len(view.used)
    ignored = view.context[: len(view.context) - n_used]
    tail = ignored[-max(shown - n_used, 1) :]
    grey = html.escape(("… " if len(tail) < len(ignored) else "") + " ".join(tail))
    if n_used:
        plural = "s" if n_used != 1 else ""
        bold = html.escape(("… " if n_used > shown else "") + " ".join(view.used[-shown:]))
        what = f"the model conditions on the last {n_used} token{plural}: <b>{bold}</b>"
    elif view.context:
        what = "the model conditions on no context at all"
    else:
        what = "no context yet: the start of a text"
    ignored_note = f"; ignored: <span style='color:#999'>{grey}</span>" if ignored else ""
    return f"<span style='color:#555'>{what}{ignored_note}</span>"


def draw_view(view: ExplorerView, title: str = "next-token distribution") -> Figure:
    """A bar chart of the view's top tokens."""
    fig, ax = plots.figure(6.0, 0.35 * len(view.tokens) + 1.2)
    plots.bar_distribution(ax, view.tokens, view.probs, highlight=0)
    ax.set_title(f"{title}  (entropy {view.entropy:.2f} nats)")
    return fig


def bars_html(view: ExplorerView) -> str:
    """The view's top tokens as HTML bars: drawn by the browser, so an update takes milliseconds."""
    top = max(float(view.probs.max(initial=0.0)), 1e-12)
    rows = []
    for i, (token, p) in enumerate(zip(view.tokens, view.probs, strict=True)):
        color = plots.ACCENT if i == 0 else plots.MAIN
        width = 100.0 * float(p) / top
        rows.append(
            "<tr><td style='text-align:right;padding-right:6px;font-family:monospace'>"
            f"{html.escape(repr(token) if token.strip() != token else token)}</td>"
            f"<td style='width:360px'><div class='bar' style='background:{color};"
            f"width:{width:.1f}%;height:14px'></div></td>"
            f"<td style='padding-left:6px;font-family:monospace'>{p:.3f}</td></tr>"
        )
    return (
        f"<div><b>Next token</b> (entropy {view.entropy:.2f} nats; "
        f"other tokens together: {view.rest:.3f})<table style='border-collapse:collapse'>"
        + "".join(rows)
        + "</table></div>"
    )


def samples_html(view: ExplorerView, prompt: str) -> str:
    """The sampled continuations as HTML, the prompt in grey and the new text in bold."""
    rows = "".join(
        f"<li><span style='color:#777'>{html.escape(prompt)}</span> "
        f"<b>{html.escape(sample)}</b></li>"
        for sample in view.samples
    )
    return f"<div><b>Samples</b> (each a fresh draw)<ol style='margin-top:2px'>{rows}</ol></div>"


class NextTokenExplorer:
    """Interactive explorer. `models` is one model or a mapping name -> model, chosen with a
    dropdown, or with a slider when `choice_as_slider` (for ordered choices such as n-gram orders).

    Display it by putting it last in a cell. Its output also carries a PNG of the state it was
    displayed in, so the notebook still shows a chart on GitHub or in a static export.
    """

    def __init__(
        self,
        models: NextTokenModel | Mapping[str, NextTokenModel],
        text: str = "",
        temperature: float = 1.0,
        top_k: int = 0,
        n_bars: int = 10,
        sample_length: int = 12,
        choice_label: str = "model",
        choice_as_slider: bool = False,
        stop: str | None = "</s>",
    ):
        self.models = dict(models) if isinstance(models, Mapping) else {"model": models}
        if not self.models:
            raise ValueError("models must hold at least one model")
        self.n_bars = n_bars
        self.sample_length = sample_length
        self.stop = stop
        self.seed = 0
        # Ordered choices (such as n-gram orders) read better on a slider than in a dropdown.
        choice = widgets.SelectionSlider if choice_as_slider else widgets.Dropdown
        self.model_choice = choice(
            options=list(self.models),
            description=choice_label,
            style={"description_width": "initial"},
            layout=widgets.Layout(display="" if len(self.models) > 1 else "none"),
        )
        self.text = widgets.Text(
            value=text,
            description="context",
            continuous_update=True,
            layout=widgets.Layout(width="520px"),
        )
        self.temperature = widgets.FloatLogSlider(
            value=temperature,
            base=10,
            min=-1.3,
            max=0.7,
            step=0.01,
            description="temperature",
            readout_format=".2f",
            continuous_update=True,
            style={"description_width": "initial"},
        )
        self.top_k = widgets.IntSlider(
            value=top_k,
            min=0,
            max=50,
            description="top-k (0=all)",
            continuous_update=True,
            style={"description_width": "initial"},
        )
        self.resample = widgets.Button(description="new samples", icon="refresh")
        self.chart = widgets.HTML()
        self.samples = widgets.HTML()
        self.status = widgets.HTML()
        for control in (self.model_choice, self.text, self.temperature, self.top_k):
            control.observe(self.update, names="value")
        self.resample.on_click(self._new_samples)
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.model_choice, self.text]),
                widgets.HBox([self.temperature, self.top_k, self.resample]),
                self.status,
                self.chart,
                self.samples,
            ]
        )
        self.view: ExplorerView | None = None
        self.update()

    @property
    def model(self) -> NextTokenModel:
        return self.models[self.model_choice.value]

    def update(self, change: object = None) -> None:
        """Recompute the view from the controls and redraw."""
        self.view = compute_view(
            self.model,
            self.text.value,
            self.temperature.value,
            self.top_k.value,
            n_bars=self.n_bars,
            sample_length=self.sample_length,
            seed=self.seed,
            stop=self.stop,
        )
        self.status.value = context_html(self.view)
        self.chart.value = bars_html(self.view)
        self.samples.value = samples_html(self.view, self.text.value)

    def _new_samples(self, button: object = None) -> None:
        self.seed += 1
        self.update()

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        png = plots.to_png(draw_view(self.view))
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
        return bundle
