"""The sampling explorer: temperature, top-k, top-p and min-p together on one next-token
distribution, and samples drawn with them.

Each filter is shown as a stage: the distribution going in (outlined bars), what comes out after
renormalising (filled bars; removed tokens are grey), the cut drawn where the filter stops, and
how many tokens and how much probability survive. The transforms are helpers.decoding.sampling's,
in Hugging Face's order (temperature, top-k, top-p, min-p), so what you see is what generate does;
or, with "temperature last", in llama.cpp's (the filters, then the temperature).

It works with any `NextTokenModel` (helpers.counting.next_token): the counting models of notebooks
00 and 02, or our GPT and SmolLM2 through helpers.decoding.predictors.GPTPredictor. Logic and
drawing are separate: `compute_view` is a pure function of a distribution and the settings,
`stages_html` and `draw_view` draw it, `sample_continuations` draws the samples, and
`SamplingExplorer` wires controls to them. Moving a slider recomputes the filters only (the
model's distribution for the context is cached); samples are drawn when asked for, with a message
while they are.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

import ipywidgets as widgets
import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure

from helpers import plots
from helpers.counting.next_token import NextTokenModel
from helpers.decoding import sampling
from helpers.widgets.attention_inspector import show_token


@dataclass(frozen=True)
class Settings:
    """The decoding settings the explorer varies (the defaults, helpers.decoding.sampling's, change
    nothing)."""

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    min_p: float = 0.0
    temperature_last: bool = False  # llama.cpp's order: the filters see the model's distribution


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline, restricted to the tokens shown (n_bars of them)."""

    label: str  # e.g. "top-p 0.90"
    before: np.ndarray  # (n_bars,) probabilities going in
    after: np.ndarray  # (n_bars,) probabilities coming out, renormalised
    kept: np.ndarray  # (n_bars,) bool: the shown tokens that survive
    n_kept: int  # tokens of the whole vocabulary that survive
    mass_kept: float  # how much of the incoming probability the survivors held


@dataclass(frozen=True)
class SamplingView:
    """What the explorer shows for one distribution and one setting of the controls."""

    tokens: list[str]  # the shown tokens, most likely first
    stages: list[Stage]  # model, temperature, top-k, top-p, min-p (temperature last if asked)
    final: np.ndarray  # (V,) the distribution tokens are drawn from
    vocab: int  # V
    model_mass: float  # how much of the model's own probability the final survivors held
    entropy: float  # of `final`, in nats
    model_entropy: float  # of the model's distribution, in nats


def _entropy(p: np.ndarray) -> float:
    nonzero = p[p > 0]
    return float(-(nonzero * np.log(nonzero)).sum())


def compute_view(
    tokens: list[str], probs: np.ndarray, settings: Settings, n_bars: int = 20
) -> SamplingView:
    """The stages of the decoding pipeline applied to one next-token distribution: `tokens`
    (V names) and their probabilities probs (V,), as next_token_distribution returns them.

    The shown tokens are the n_bars most likely under the model; of tokens tied in probability,
    the one that survives more filters comes first, so that each cut falls between shown bars.
    """
    if n_bars < 1:
        raise ValueError(f"n_bars must be >= 1, got {n_bars}")
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 1 or len(tokens) != len(probs):
        raise ValueError(f"tokens and probs (V,) must match, got {len(tokens)} and {probs.shape}")
    with np.errstate(divide="ignore"):
        logits = torch.from_numpy(np.log(probs))[None]  # (1, V); probability 0 -> -inf
    temperature = (
        f"temperature {settings.temperature:.2f}",
        lambda z: sampling.apply_temperature(z, settings.temperature),
    )
    filters = [
        ("top-k " + (str(settings.top_k) if settings.top_k else "off"),
         lambda z: sampling.top_k_filter(z, settings.top_k)),
        ("top-p " + (f"{settings.top_p:.2f}" if settings.top_p < 1 else "off"),
         lambda z: sampling.top_p_filter(z, settings.top_p)),
        ("min-p " + (f"{settings.min_p:.2f}" if settings.min_p > 0 else "off"),
         lambda z: sampling.min_p_filter(z, settings.min_p)),
    ]  # fmt: skip
    steps = [*filters, temperature] if settings.temperature_last else [temperature, *filters]
    labels = ["model", *(label for label, _ in steps)]
    transforms = [transform for _, transform in steps]
    outputs = [logits]
    for transform in transforms:
        outputs.append(transform(outputs[-1]))
    dists = [z[0].softmax(-1).numpy() for z in outputs]
    kept = [np.isfinite(z[0].numpy()) for z in outputs]
    # Show the most likely tokens; of tokens tied in probability, the one kept longer first.
    model = dists[0]
    nth = min(n_bars, len(model))
    candidates = np.flatnonzero(model >= np.partition(model, -nth)[-nth])
    survived = sum(k[candidates].astype(int) for k in kept)
    shown = candidates[np.lexsort((candidates, -survived, -model[candidates]))][:n_bars]
    stages = []
    for i, (label, dist, keep) in enumerate(zip(labels, dists, kept, strict=True)):
        before = dists[max(i - 1, 0)]
        stages.append(
            Stage(
                label=label,
                before=before[shown],
                after=dist[shown],
                kept=keep[shown],
                n_kept=int(keep.sum()),
                mass_kept=float(before[keep].sum()),
            )
        )
    return SamplingView(
        tokens=[tokens[i] for i in shown],
        stages=stages,
        final=dists[-1],
        vocab=len(probs),
        model_mass=float(model[kept[-1]].sum()),
        entropy=_entropy(dists[-1]),
        model_entropy=_entropy(model),
    )


def _stage_note(stage: Stage, vocab: int) -> tuple[str, str]:
    """What survives a stage, in two short lines."""
    return f"keeps {stage.n_kept:,} of {vocab:,} tokens", f"{stage.mass_kept:.1%} of the mass in"


def stages_html(view: SamplingView) -> str:
    """The stages as one SVG (drawn by the browser, so a redraw takes a few milliseconds): per
    stage, outlined bars for the distribution going in, filled bars for what comes out, and a
    dashed line at the cut, with the count and mass that survive."""
    n = len(view.tokens)
    left, slot, row, gap = 180, min(28, 560 // n), 54, 14
    width, label_h = left + slot * n + 10, 70
    height = len(view.stages) * (row + gap) + label_h
    parts = [f"<svg width='{width}' height='{height}' style='font:11px sans-serif'>"]
    for s, stage in enumerate(view.stages):
        top = s * (row + gap) + 4
        scale = row / max(float(stage.before.max(initial=0)), float(stage.after.max(initial=0)))
        tokens_kept, mass_kept = _stage_note(stage, view.vocab)
        parts.append(
            f"<text x='0' y='{top + 14}' font-weight='bold'>{html.escape(stage.label)}</text>"
            f"<text x='0' y='{top + 30}' fill='#555'>{tokens_kept}</text>"
            f"<text x='0' y='{top + 44}' fill='#555'>{mass_kept}</text>"
            f"<line x1='{left}' x2='{width - 10}' y1='{top + row}' y2='{top + row}' "
            "stroke='#999'/>"
        )
        for i in range(n):
            x = left + i * slot
            h_in, h_out = stage.before[i] * scale, stage.after[i] * scale
            colour = (plots.ACCENT if i == 0 else plots.MAIN) if stage.kept[i] else "#ccc"
            title = f"{show_token(view.tokens[i])}: {stage.before[i]:.4f} → {stage.after[i]:.4f}"
            parts.append(
                f"<g><title>{title}</title>"
                f"<rect class='out' x='{x + 3}' y='{top + row - h_out:.1f}' width='{slot - 6}' "
                f"height='{h_out:.1f}' fill='{colour}'/>"
                f"<rect class='in' x='{x + 1}' y='{top + row - h_in:.1f}' width='{slot - 2}' "
                f"height='{h_in:.1f}' fill='none' stroke='#333' stroke-width='0.8'/></g>"
            )
        shown_kept = int(stage.kept.sum())
        if s > 0 and stage.n_kept < view.stages[s - 1].n_kept:  # this filter removed something
            inside = shown_kept < n
            x = left + shown_kept * slot if inside else width - 8
            anchor, label = (
                ("start", "cut") if inside else ("end", f"cut after token {stage.n_kept}")
            )
            parts.append(
                f"<line class='cut' x1='{x}' x2='{x}' y1='{top}' y2='{top + row}' "
                f"stroke='{plots.ACCENT}' stroke-width='2' stroke-dasharray='4 3'/>"
                f"<text x='{x + 3 if inside else x - 3}' y='{top + 10}' text-anchor='{anchor}' "
                f"fill='{plots.ACCENT}'>{label}</text>"
            )
    base = len(view.stages) * (row + gap)
    for i, token in enumerate(view.tokens):
        x = left + i * slot + slot / 2
        parts.append(
            f"<text x='{x:.1f}' y='{base}' transform='rotate(-60 {x:.1f} {base})' "
            f"text-anchor='end' font-family='monospace'>{show_token(token)}</text>"
        )
    parts.append("</svg>")
    summary = (
        f"<b>Tokens are drawn from {view.stages[-1].n_kept:,} of {view.vocab:,} tokens</b>, "
        f"which held {view.model_mass:.1%} of the model's probability; entropy "
        f"{view.entropy:.2f} nats (the model's: {view.model_entropy:.2f}). Outlined: the "
        "distribution going into a step; filled: what comes out, renormalised."
    )
    return f"<div>{summary}<br>{''.join(parts)}</div>"


def draw_view(view: SamplingView) -> Figure:
    """The stages as a static matplotlib figure (for GitHub and printed copies)."""
    with matplotlib.rc_context(plots.STYLE):
        fig = Figure(figsize=(7.5, 1.3 * len(view.stages) + 1.0))
        axes = fig.subplots(len(view.stages), 1, sharex=True)
    x = np.arange(len(view.tokens))
    for s, (ax, stage) in enumerate(zip(axes, view.stages, strict=True)):
        colours = [plots.MAIN if k else "#ccc" for k in stage.kept]
        ax.bar(x, stage.after, width=0.6, color=colours)
        ax.bar(x, stage.before, width=0.9, fill=False, edgecolor="#333", linewidth=0.6)
        if s > 0 and stage.n_kept < view.stages[s - 1].n_kept:  # this filter removed something
            ax.axvline(int(stage.kept.sum()) - 0.5, color=plots.ACCENT, ls="--", lw=1.5)
        note = ", ".join(_stage_note(stage, view.vocab))
        ax.set_title(f"{stage.label}: {note}", fontsize=9, loc="left")
        ax.grid(axis="x", visible=False)
        ax.tick_params(labelsize=7)
    axes[-1].set_xticks(x, [show_token(t) for t in view.tokens], rotation=60, fontsize=7)
    fig.tight_layout()
    return fig


def sample_continuations(
    model: NextTokenModel,
    text: str,
    settings: Settings,
    n_samples: int = 3,
    length: int = 20,
    seed: int = 0,
    stop: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """n_samples continuations of `text`, each up to `length` tokens, drawn token by token with
    helpers.decoding.sampling.next_token under `settings` and a torch Generator seeded with `seed`.
    A sample ends early at the token `stop` (not included). progress(i) is called after sample i.

    Each continuation is the text that follows the prompt's own tokens, separator included
    (" dog" after "the" for a word model), so prompt + continuation reads right."""
    generator = torch.Generator().manual_seed(seed)
    prompt = model.tokenize(text)
    prompt_text = model.detokenize(prompt)
    samples = []
    for i in range(n_samples):
        context = list(prompt)
        for _ in range(length):
            tokens, probs = model.next_token_distribution(context)
            with np.errstate(divide="ignore"):
                logits = torch.from_numpy(np.log(np.asarray(probs, dtype=np.float64)))[None]
            choice = int(sampling.next_token(logits, **asdict(settings), generator=generator)[0])
            if tokens[choice] == stop:
                break
            context.append(tokens[choice])
        full = model.detokenize(context)
        samples.append(full[len(prompt_text) :] if full.startswith(prompt_text) else full)
        if progress is not None:
            progress(i + 1)
    return samples


def samples_html(prompt: str, samples: list[str], note: str = "") -> str:
    """The samples, the prompt in grey and each continuation in bold; `note` under the title."""
    rows = "".join(
        f"<li><span style='color:#777'>{html.escape(prompt)}</span><b>{html.escape(s)}</b></li>"
        for s in samples
    )
    note = f" <span style='color:{plots.ACCENT}'>{html.escape(note)}</span>" if note else ""
    return f"<div><b>Samples</b>{note}<ol style='margin-top:2px'>{rows}</ol></div>"


class SamplingExplorer:
    """Interactive explorer. `models` is one NextTokenModel or a mapping name -> model (chosen
    with a dropdown). Sliders: temperature, top-k (0 = off), top-p (1 = off), min-p (0 = off);
    a checkbox puts the temperature after the filters (llama.cpp's order) instead of before (HF's).
    "new samples" draws n_samples continuations of sample_length tokens with the current
    settings; samples drawn with other settings are marked as such.

    Display it by putting it last in a cell; its output also carries a PNG of the state it was
    displayed in, so the notebook still shows the stages on GitHub or in a static export.
    """

    def __init__(
        self,
        models: NextTokenModel | Mapping[str, NextTokenModel],
        text: str = "",
        settings: Settings = Settings(),
        n_bars: int = 20,
        n_samples: int = 3,
        sample_length: int = 20,
        stop: str | None = None,
        sample_now: bool = True,
    ):
        self.models = dict(models) if isinstance(models, Mapping) else {"model": models}
        if not self.models:
            raise ValueError("models must hold at least one model")
        if n_bars < 1:
            raise ValueError(f"n_bars must be >= 1, got {n_bars}")
        self.n_bars, self.n_samples, self.sample_length, self.stop = (
            n_bars, n_samples, sample_length, stop
        )  # fmt: skip
        self.seed = 0
        self._distributions: dict[tuple[str, str], tuple[list[str], np.ndarray]] = {}
        self._sampled_with: tuple | None = None  # (model name, text, settings) of the samples
        style = {"description_width": "initial"}
        self.model_choice = widgets.Dropdown(
            options=list(self.models), description="model", style=style,
            layout=widgets.Layout(display="" if len(self.models) > 1 else "none"),
        )  # fmt: skip
        self.text = widgets.Text(
            value=text, description="context", continuous_update=False,
            layout=widgets.Layout(width="520px"),
        )  # fmt: skip
        self.temperature = widgets.FloatLogSlider(
            value=settings.temperature, base=10, min=-1.3, max=0.7, step=0.01,
            description="temperature", readout_format=".2f", style=style,
        )  # fmt: skip
        self.top_k = widgets.IntSlider(
            value=settings.top_k, min=0, max=100, description="top-k (0 = off)", style=style
        )
        self.top_p = widgets.FloatSlider(
            value=settings.top_p, min=0.01, max=1.0, step=0.01, description="top-p (1 = off)",
            style=style,
        )  # fmt: skip
        self.min_p = widgets.FloatSlider(
            value=settings.min_p, min=0.0, max=1.0, step=0.01, description="min-p (0 = off)",
            style=style,
        )  # fmt: skip
        self.temperature_last = widgets.Checkbox(
            value=settings.temperature_last, description="temperature last (llama.cpp's order)",
            indent=False,
        )  # fmt: skip
        self.resample = widgets.Button(description="new samples", icon="refresh")
        self.chart, self.samples, self.status = widgets.HTML(), widgets.HTML(), widgets.HTML()
        for control in (self.model_choice, self.text, self.temperature, self.top_k, self.top_p,
                        self.min_p, self.temperature_last):  # fmt: skip
            control.observe(self.update, names="value")
        self.resample.on_click(self.draw_samples)
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.model_choice, self.text]),
                widgets.HBox([self.temperature, self.top_k]),
                widgets.HBox([self.top_p, self.min_p]),
                self.temperature_last,
                self.chart,
                widgets.HBox([self.resample, self.status]),
                self.samples,
            ]
        )
        self.view: SamplingView | None = None
        self._samples: list[str] = []
        self.update()
        if sample_now:
            self.draw_samples()

    @property
    def settings(self) -> Settings:
        return Settings(
            self.temperature.value, self.top_k.value, self.top_p.value, self.min_p.value,
            self.temperature_last.value,
        )  # fmt: skip

    def _distribution(self) -> tuple[list[str], np.ndarray]:
        """The model's next-token distribution after the context: computed once per context."""
        key = (self.model_choice.value, self.text.value)
        if key not in self._distributions:
            if len(self._distributions) >= 32:  # a long session must not keep every context
                self._distributions.clear()
            model = self.models[key[0]]
            self._distributions[key] = model.next_token_distribution(model.tokenize(key[1]))
        return self._distributions[key]

    def _state(self) -> tuple:
        return (self.model_choice.value, self.text.value, self.settings)

    def update(self, change: object = None) -> None:
        """Recompute the stages from the controls and redraw them (samples are not redrawn)."""
        tokens, probs = self._distribution()
        self.view = compute_view(tokens, probs, self.settings, self.n_bars)
        self.chart.value = stages_html(self.view)
        self._show_samples()

    def _show_samples(self) -> None:
        stale = self._sampled_with is not None and self._sampled_with != self._state()
        note = "(drawn with other settings: press 'new samples')" if stale else ""
        self.samples.value = samples_html(self.text.value, self._samples, note)

    def draw_samples(self, button: object = None) -> None:
        """Draw new samples with the current settings, saying so while it works."""
        self.resample.disabled = True
        total = self.n_samples

        def progress(done: int) -> None:
            self.status.value = f"<i>generating… {done} of {total} samples drawn</i>"

        try:
            progress(0)
            model = self.models[self.model_choice.value]
            self._samples = sample_continuations(
                model, self.text.value, self.settings, total, self.sample_length, self.seed,
                self.stop, progress,
            )  # fmt: skip
            self._sampled_with = self._state()
            self.seed += 1  # the next press draws different samples
            self.status.value = ""
        except Exception as error:
            self.status.value = f"<b>sampling failed:</b> {html.escape(str(error))}"
            raise
        finally:
            self.resample.disabled = False
        self._show_samples()

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["image/png"] = base64.b64encode(plots.to_png(draw_view(self.view))).decode("ascii")
        return bundle
