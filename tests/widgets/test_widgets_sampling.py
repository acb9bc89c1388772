"""The sampling explorer, driven headlessly: the stages against helpers.decoding.sampling, the cut
and the counts, the drawings, seeded samples, every control, the "generating" message, and a hang
guard on the redraw with a SmolLM2-sized vocabulary (the <= 50 ms figure is measured outside
tests)."""

from __future__ import annotations

import base64
import time

import numpy as np
import pytest
import torch

from helpers.counting.next_token import CountingPredictor
from helpers.decoding import sampling
from helpers.decoding.predictors import GPTPredictor
from helpers.transformer.gpt import GPT, GPTConfig
from helpers.widgets.sampling_explorer import (
    SamplingExplorer,
    Settings,
    compute_view,
    draw_view,
    sample_continuations,
    stages_html,
)

TEXT = "the cat sat on the mat. the cat ran. the dog sat on the log. a dog ran to the cat."


class Fixed:
    """A NextTokenModel over `vocab` made-up tokens whose distribution depends on the last token
    only; it records what `watch()` returns at every call (to see the widget's state meanwhile)."""

    def __init__(self, vocab: int = 60, seed: int = 0):
        self.names = [f"t{i}" for i in range(vocab)]
        self.seed, self.watch, self.seen = seed, None, []

    def tokenize(self, text):
        return text.split()

    def detokenize(self, tokens):
        return " ".join(tokens)

    def row(self, last: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, last])
        return rng.dirichlet(np.full(len(self.names), 0.3))

    def next_token_distribution(self, context):
        if self.watch is not None:
            self.seen.append(self.watch())
        return list(self.names), self.row(int(context[-1][1:]) if context else 0)


ALL_ON = Settings(temperature=1.3, top_k=25, top_p=0.8, min_p=0.05)


@pytest.mark.parametrize("settings", [Settings(), ALL_ON, Settings(0.5, 3, 0.3, 0.5)], ids=str)
def test_stages_are_the_sampling_pipeline(settings):
    model = Fixed()
    tokens, probs = model.next_token_distribution(["t7"])
    view = compute_view(tokens, probs, settings, n_bars=15)
    logits = torch.from_numpy(np.log(probs))[None]
    expected = sampling.process_logits(
        logits, temperature=settings.temperature, top_k=settings.top_k, top_p=settings.top_p,
        min_p=settings.min_p,
    )[0].softmax(-1)  # fmt: skip
    np.testing.assert_allclose(view.final, expected.numpy(), rtol=0, atol=1e-12)
    assert [s.label.split()[0] for s in view.stages] == ["model", "temperature", "top-k",
                                                         "top-p", "min-p"]  # fmt: skip
    survivors = view.final > 0
    assert view.stages[-1].n_kept == survivors.sum()
    assert view.model_mass == pytest.approx(probs[survivors].sum())
    assert view.entropy == pytest.approx(
        -(expected[expected > 0] * expected[expected > 0].log()).sum()
    )
    for before, after in zip(view.stages, view.stages[1:]):
        assert after.n_kept <= before.n_kept and 0 < after.mass_kept <= 1 + 1e-12
        np.testing.assert_allclose(after.before, before.after)  # each stage feeds the next
    assert view.tokens[0] == tokens[int(np.argmax(probs))] and len(view.tokens) == 15


def test_temperature_last_moves_the_temperature_stage_after_the_filters():
    tokens, probs = Fixed().next_token_distribution(["t7"])
    settings = Settings(temperature=2.0, top_k=0, top_p=1.0, min_p=0.2, temperature_last=True)
    view = compute_view(tokens, probs, settings, n_bars=15)
    assert [s.label.split()[0] for s in view.stages] == ["model", "top-k", "top-p", "min-p",
                                                         "temperature"]  # fmt: skip
    logits = torch.from_numpy(np.log(probs))[None]
    expected = sampling.process_logits(
        logits, temperature=2.0, min_p=0.2, temperature_last=True
    )[0].softmax(-1)
    np.testing.assert_allclose(view.final, expected.numpy(), rtol=0, atol=1e-12)
    first = compute_view(tokens, probs, Settings(temperature=2.0, min_p=0.2), n_bars=15)
    assert view.stages[-1].n_kept < first.stages[-1].n_kept  # HF's order: T widens min-p


def test_counts_masses_and_the_cut_with_ties():
    # after "the": cat 3 times, mat, dog and log once each -> 1/2 and three ties at 1/6
    model = CountingPredictor(2).fit([TEXT])
    tokens, probs = model.next_token_distribution(["the"])
    assert sorted(probs) == pytest.approx([1 / 6, 1 / 6, 1 / 6, 1 / 2])
    view = compute_view(tokens, probs, Settings(top_k=2, top_p=0.8), n_bars=4)
    top_k, top_p = view.stages[2], view.stages[3]
    assert top_k.n_kept == 4  # the tie at the 2nd value keeps all three 1/6 tokens (as HF)
    assert top_p.n_kept == 3 and top_p.mass_kept == pytest.approx(5 / 6)
    np.testing.assert_allclose(top_p.after[:3], [0.6, 0.2, 0.2])
    for stage in view.stages:  # survivors first, so the cut falls between two bars
        k = int(stage.kept.sum())
        assert stage.kept[:k].all() and not stage.kept[k:].any()
    assert view.tokens[0] == "cat" and not top_p.kept[3]  # one of the tied tokens is cut


def test_stages_html_draws_every_bar_and_each_cut():
    model = Fixed(vocab=300)
    tokens, probs = model.next_token_distribution(["t2"])
    view = compute_view(tokens, probs, Settings(top_k=100, top_p=0.5), n_bars=12)
    svg = stages_html(view)
    assert svg.count("class='out'") == svg.count("class='in'") == 5 * 12
    assert svg.count("class='cut'") == 2  # top-k and top-p removed tokens; min-p is off
    assert "cut after token 100" in svg  # top-k's cut lies beyond the bars shown
    assert f"keeps {view.stages[3].n_kept:,} of 300 tokens" in svg
    assert "min-p off" in svg and "temperature 1.00" in svg
    plain = stages_html(compute_view(tokens, probs, Settings(), n_bars=12))
    assert plain.count("class='cut'") == 0 and plain != svg


def test_static_figure_shows_the_stages():
    model = Fixed()
    view = compute_view(*model.next_token_distribution(["t1"]), ALL_ON, n_bars=10)
    fig = draw_view(view)
    assert len(fig.axes) == 5
    assert all(len(ax.patches) == 2 * 10 for ax in fig.axes)  # bars out, outlines in
    assert sum(len(ax.lines) for ax in fig.axes) >= 1  # at least one cut drawn


def test_samples_are_seeded_follow_the_settings_and_stop():
    model = Fixed()
    a = sample_continuations(model, "t1", Settings(), 3, 10, seed=4)
    assert a == sample_continuations(model, "t1", Settings(), 3, 10, seed=4)
    assert a != sample_continuations(model, "t1", Settings(), 3, 10, seed=5)
    assert all(s.startswith(" ") and len(s.split()) == 10 for s in a)  # " t5 t9 ..." follows "t1"
    # top-k = 1 is greedy: the argmax chain, the same in every sample
    chain, token = [], "t1"
    for _ in range(6):
        token = model.names[int(np.argmax(model.next_token_distribution([token])[1]))]
        chain.append(token)
    greedy = sample_continuations(model, "t1", Settings(top_k=1), 2, 6, seed=0)
    assert greedy == [" " + " ".join(chain)] * 2
    stopped = sample_continuations(model, "t1", Settings(top_k=1), 1, 6, stop=chain[2])
    assert stopped == [" " + " ".join(chain[:2])]
    calls = []
    sample_continuations(model, "t1", Settings(), 3, 2, progress=calls.append)
    assert calls == [1, 2, 3]
    words = CountingPredictor(2).fit([TEXT])
    (sample,) = sample_continuations(words, "the", Settings(), 1, 4, seed=1)
    assert sample.startswith(" ") and "the" + sample == words.detokenize(
        words.tokenize("the" + sample)
    )


def test_widget_follows_every_control_and_marks_stale_samples():
    models = {"a": Fixed(seed=0), "b": Fixed(seed=1)}
    explorer = SamplingExplorer(models, text="t3", n_bars=8, sample_length=5)
    assert "other settings" not in explorer.samples.value and "<li>" in explorer.samples.value
    seen = {explorer.chart.value}
    for control, value in [("temperature", 0.5), ("top_k", 5), ("top_p", 0.6), ("min_p", 0.2)]:
        getattr(explorer, control).value = value
        assert explorer.chart.value not in seen  # every slider redraws
        seen.add(explorer.chart.value)
    assert explorer.settings == Settings(0.5, 5, 0.6, 0.2)
    explorer.temperature_last.value = True
    assert explorer.chart.value not in seen and explorer.settings.temperature_last
    assert explorer.view.stages[-1].label.startswith("temperature")
    assert explorer.view.stages[-1].n_kept <= 5
    assert "other settings" in explorer.samples.value  # samples were drawn with the old ones
    old = explorer.samples.value
    explorer.resample.click()
    assert explorer.samples.value != old and "other settings" not in explorer.samples.value
    explorer.model_choice.value = "b"
    assert explorer.chart.value not in seen
    explorer.text.value = "t9"
    assert explorer.view.tokens[0] == models["b"].names[int(np.argmax(models["b"].row(9)))]


def test_generating_says_so_while_it_works():
    model = Fixed()
    explorer = SamplingExplorer(model, text="t1", n_samples=2, sample_length=3, sample_now=False)
    assert explorer.samples.value.count("<li>") == 0
    model.watch = lambda: (explorer.status.value, explorer.resample.disabled)
    explorer.resample.click()
    model.watch = None
    statuses = {status for status, _ in model.seen}
    assert "<i>generating… 0 of 2 samples drawn</i>" in statuses
    assert "<i>generating… 1 of 2 samples drawn</i>" in statuses
    assert all(disabled for _, disabled in model.seen)  # no second press meanwhile
    assert explorer.status.value == "" and not explorer.resample.disabled
    assert explorer.samples.value.count("<li>") == 2


def test_a_failed_generation_says_so():
    model = Fixed()
    explorer = SamplingExplorer(model, text="t1", sample_now=False)
    model.watch = lambda: 1 / 0  # the model breaks
    with pytest.raises(ZeroDivisionError):
        explorer.draw_samples()
    assert "sampling failed" in explorer.status.value and not explorer.resample.disabled


def test_redraw_with_a_smollm2_sized_vocabulary_does_not_hang():
    explorer = SamplingExplorer(Fixed(vocab=49_152), text="t0", sample_now=False)
    start = time.perf_counter()
    for p in (0.5, 0.7, 0.9, 0.95):
        explorer.top_p.value = p
    assert (time.perf_counter() - start) / 4 < 0.5  # hang guard; the real figure is ~10 ms


def test_works_with_our_gpt_through_the_predictor():
    torch.manual_seed(0)
    chars = sorted(set(TEXT))
    model = GPT(GPTConfig(vocab_size=len(chars), context=32, n_layer=1, n_head=2, d_model=16))
    predictor = GPTPredictor(
        model, lambda s: [chars.index(c) for c in s], lambda ids: "".join(chars[i] for i in ids)
    )
    explorer = SamplingExplorer(predictor, text="the ", settings=Settings(top_k=5), n_bars=6)
    assert explorer.view.vocab == len(chars) and explorer.view.stages[2].n_kept == 5
    assert explorer.samples.value.count("<li>") == 3


def test_display_bundle_carries_a_static_png():
    explorer = SamplingExplorer(Fixed(), text="t1", sample_now=False)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")


def test_bad_input():
    with pytest.raises(ValueError, match="models must hold at least one model"):
        SamplingExplorer({})
    with pytest.raises(ValueError, match="n_bars must be >= 1"):
        SamplingExplorer(Fixed(), n_bars=0)
    with pytest.raises(ValueError, match=r"tokens and probs \(V,\) must match"):
        compute_view(["a", "b"], np.full(3, 1 / 3), Settings())
    with pytest.raises(ValueError, match=r"top_p must be in \(0, 1\]"):
        compute_view(["a", "b", "c"], np.full(3, 1 / 3), Settings(top_p=0.0))
