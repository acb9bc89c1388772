"""The generic next-token explorer driven by n-gram models, with an order slider."""

from __future__ import annotations

import time

import ipywidgets as widgets

from helpers import data
from helpers.counting.ngram import NGramLM
from helpers.widgets.next_token_explorer import NextTokenExplorer


def test_explorer_with_an_order_slider_over_ngram_models():
    sentences = [
        NGramLM(1).tokenize(line)
        for line in data.load_text("shakespeare", "valid").split("\n")[:3000]
        if line and not line.endswith(":")
    ]
    models = {f"{n}": NGramLM(n, "kneser_ney", min_count=2).fit(sentences) for n in (1, 2, 3)}
    explorer = NextTokenExplorer(
        models, text="my good", choice_label="order", choice_as_slider=True
    )
    assert isinstance(explorer.model_choice, widgets.SelectionSlider)
    before = explorer.chart.value
    start = time.perf_counter()
    explorer.model_choice.value = "3"
    elapsed = time.perf_counter() - start
    assert explorer.chart.value != before
    assert explorer.view.probs.sum() <= 1.0 + 1e-9 and len(explorer.view.tokens) == 10
    assert "<s>" not in explorer.view.tokens
    assert elapsed < 0.5  # distribution + 3 samples of 12 tokens, vectorised
    explorer.temperature.value = 0.1
    assert explorer.view.probs[0] > 0.5
