"""The next-token explorer, driven headlessly: pure function, drawing, and the wired widget."""

from __future__ import annotations

import base64
import time

import numpy as np
import pytest

from helpers.counting.next_token import CountingPredictor
from helpers.counting.ngram import NGramLM
from helpers.widgets.next_token_explorer import (
    NextTokenExplorer,
    bars_html,
    compute_view,
    context_html,
    draw_view,
)

TEXT = "the cat sat on the mat. the cat ran. the dog sat on the log. a dog ran to the cat."


@pytest.fixture(scope="module")
def models():
    return {
        "trigram": CountingPredictor(3).fit([TEXT]),
        "unigram": CountingPredictor(1).fit([TEXT]),
    }


def test_compute_view_is_pure_and_reshapes_the_distribution(models):
    model = models["trigram"]
    base = compute_view(model, "the", temperature=1.0, n_bars=3, seed=0)
    again = compute_view(model, "the", temperature=1.0, n_bars=3, seed=0)
    assert (base.tokens, base.samples) == (again.tokens, again.samples)
    np.testing.assert_array_equal(base.probs, again.probs)
    assert base.context == ["the"] and base.tokens[0] == "cat"
    assert base.probs.sum() + base.rest == pytest.approx(1.0)
    cold = compute_view(model, "the", temperature=0.1, n_bars=3)
    assert cold.probs[0] > 0.99 and cold.entropy < base.entropy
    top1 = compute_view(model, "the", top_k=1, n_bars=3)
    assert top1.probs[0] == pytest.approx(1.0)
    assert all(s.split()[0] == "cat" for s in top1.samples)


def test_entropy_is_in_nats(models):
    view = compute_view(models["unigram"], "", top_k=2, n_bars=2)
    p = view.probs
    assert view.entropy == pytest.approx(-(p * np.log(p)).sum())
    assert "nats" in bars_html(view)


def test_the_context_shown_is_the_one_the_model_uses(models):
    view = compute_view(models["trigram"], "a dog ran to the cat")
    assert view.used == ["the", "cat"]
    shown = context_html(view)
    assert "last 2 tokens: <b>the cat</b>" in shown and "ran to" in shown
    backed_off = compute_view(models["trigram"], "the zebra")  # "zebra" never seen
    assert backed_off.used == [] and "no context at all" in context_html(backed_off)
    assert compute_view(models["unigram"], "the cat").used == []


class _WholeContext:
    """A model without context_used (like a GPT): it is shown as seeing every token."""

    def tokenize(self, text):
        return text.split()

    def detokenize(self, tokens):
        return " ".join(tokens)

    def next_token_distribution(self, context):
        return ["x", "y"], np.array([0.5, 0.5])


def test_a_model_without_context_used_sees_everything():
    view = compute_view(_WholeContext(), "a b c d e f g h i j", n_samples=1)
    assert view.used == list("abcdefghij")
    assert "last 10 tokens: <b>… c d e f g h i j</b>" in context_html(view)


@pytest.fixture(scope="module")
def ngram_models():
    sentences = [s.split() for s in ["the cat sat", "the cat ran", "a dog sat", "the dog ran"]]
    return {n: NGramLM(n).fit(sentences) for n in (1, 2, 3)}


def test_ngram_context_used_backs_off_like_the_distribution(ngram_models):
    trigram = ngram_models[3]
    assert trigram.context_used(["a", "the", "cat"]) == ("the", "cat")
    assert trigram.context_used(["dog", "cat"]) == ("cat",)  # "dog cat" never seen
    assert trigram.context_used(["zebra"]) == ()  # <UNK> never seen as a context
    assert ngram_models[1].context_used(["the"]) == ()
    add_k = trigram.with_smoothing("add_k")
    assert add_k.context_used(["dog", "cat"]) == ("dog", "cat")  # add-k conditions on it anyway
    tokens, probs = trigram.next_token_distribution(["dog", "cat"])
    same = trigram.next_token_distribution(["cat"])
    assert tokens == same[0] and np.allclose(probs, same[1])


def test_ngram_samples_stop_at_the_end_token(ngram_models):
    view = compute_view(ngram_models[2], "the cat", n_samples=20, sample_length=30)
    assert all("</s>" not in s and len(s.split()) < 30 for s in view.samples)
    assert compute_view(ngram_models[2], "the cat").used == ["cat"]


def test_draw_view_and_html(models):
    view = compute_view(models["trigram"], "the", n_bars=4)
    fig = draw_view(view)
    assert len(fig.axes[0].patches) == len(view.tokens)
    html = bars_html(view)
    assert html.count("class='bar'") == len(view.tokens) and "cat" in html


def test_widget_updates_when_controls_move(models):
    explorer = NextTokenExplorer(models, text="the")
    before = explorer.chart.value
    explorer.temperature.value = 0.1
    assert explorer.chart.value != before
    assert explorer.view.probs[0] > 0.99
    hot = explorer.chart.value
    explorer.model_choice.value = "unigram"
    assert explorer.chart.value != hot and explorer.view.context == ["the"]
    samples = explorer.samples.value
    explorer.temperature.value = 1.5
    explorer.resample.click()
    assert explorer.samples.value != samples
    explorer.text.value = "a dog"
    assert "dog" in explorer.status.value


def test_widget_update_is_fast(models):
    explorer = NextTokenExplorer(models["trigram"], text="the cat")
    start = time.perf_counter()
    for t in np.linspace(0.2, 2.0, 10):
        explorer.temperature.value = float(t)
    assert (time.perf_counter() - start) / 10 < 0.05


def test_display_bundle_carries_a_static_png(models):
    explorer = NextTokenExplorer(models["trigram"], text="the")
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")


def test_bad_input(models):
    with pytest.raises(ValueError, match="models must hold at least one model"):
        NextTokenExplorer({})
    with pytest.raises(ValueError, match="temperature must be > 0"):
        compute_view(models["trigram"], "the", temperature=0)
    with pytest.raises(ValueError, match="n_bars"):
        compute_view(models["trigram"], "the", n_bars=0)
