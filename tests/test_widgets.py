"""The next-token explorer, driven headlessly: pure function, drawing, and the wired widget."""

from __future__ import annotations

import base64
import time

import numpy as np
import pytest

from helpers.next_token import CountingPredictor
from helpers.widgets.next_token_explorer import (
    NextTokenExplorer,
    bars_html,
    compute_view,
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
    assert cold.probs[0] > 0.99 and cold.entropy_bits < base.entropy_bits
    top1 = compute_view(model, "the", top_k=1, n_bars=3)
    assert top1.probs[0] == pytest.approx(1.0)
    assert all(s.split()[0] == "cat" for s in top1.samples)


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
