"""The attention inspector, driven headlessly: input checks, the pure view functions, every
control, the cache, and the redraw time for 64 tokens (reported, not asserted)."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import torch

from helpers.widgets.attention_inspector import (
    MEAN,
    AttentionInspector,
    colour_max,
    context_html,
    heads_grid_html,
    heatmap_html,
    matrix,
    prepare,
    show_token,
    static_figure,
)


def _weights(layers=2, heads=4, q=6, k=6, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w = rng.random((layers, heads, q, k)) ** 4
    return w / w.sum(-1, keepdims=True)


def test_prepare_accepts_2d_3d_4d_and_tensors():
    w = _weights()
    assert prepare(w[0, 0], list("abcdef")).weights.shape == (1, 1, 6, 6)
    assert prepare(w[0], list("abcdef")).weights.shape == (1, 4, 6, 6)
    data = prepare(torch.tensor(w), list("abcdef"), list("uvwxyz"))
    assert data.weights.shape == (2, 4, 6, 6) and data.key_tokens == tuple("uvwxyz")
    assert data.note == ""
    one_hot = prepare(np.eye(3), list("abc"))
    assert np.allclose(one_hot.entropy, 0.0)
    uniform = prepare(np.full((2, 4), 0.25), list("ab"), list("wxyz"))
    assert np.allclose(uniform.entropy, np.log(4))


def test_prepare_rejects_bad_input_clearly():
    with pytest.raises(ValueError, match="there are 5 query tokens and 6 key tokens"):
        prepare(_weights(), list("abcde"), list("abcdef"))
    with pytest.raises(ValueError, match=r"weights must have shape .* got \(6,\)"):
        prepare(np.ones(6), list("abcdef"))
    with pytest.raises(ValueError, match="non-negative"):
        prepare(-_weights(), list("abcdef"))
    with pytest.raises(ValueError, match="must not be empty"):
        prepare(np.ones((0, 0)), [], [])


def test_long_inputs_are_capped_with_a_message():
    w = _weights(1, 1, 100, 100)
    data = prepare(w, [f"t{i}" for i in range(100)])
    assert data.weights.shape == (1, 1, 64, 64) and len(data.query_tokens) == 64
    assert "showing the first 64 of 100 queries" in data.note


def test_view_functions():
    w = _weights()
    data = prepare(w, list("abcdef"))
    np.testing.assert_allclose(matrix(data, 1, MEAN), w[1].mean(0))
    np.testing.assert_array_equal(matrix(data, 1, 2), w[1, 2])
    assert colour_max(data, 0, 1, shared=True) == pytest.approx(w[0].max())
    assert colour_max(data, 0, 1, shared=False) == pytest.approx(w[0, 1].max())
    table = heatmap_html(data, 0, 1, 3, True)
    assert table.count("<td") == 36 and table.count("outline:2px") == 1
    assert f"title='{w[0, 1, 0, 0]:.3f}'" in table
    grid = heads_grid_html(data, 1, True, selected=2)
    assert grid.count("<img") == 4 and f"H {data.entropy[1, 3]:.2f}" in grid
    assert grid.count("#e07b39") == 1
    ctx = context_html(data, 0, MEAN, 5)
    assert ctx.count("<span") == 6 and "mean of heads" in ctx
    assert show_token(" a\n") == "␣a↵" and show_token("<s>") == "&lt;s&gt;"
    with pytest.raises(ValueError, match=r"head must be -1 \(mean\) or in \[0, 4\)"):
        matrix(data, 0, 4)
    fig = static_figure(data, 1, 2)
    assert len(fig.axes[0].get_xticklabels()) == 6


def test_every_control_changes_the_view():
    inspector = AttentionInspector(_weights(), list("abcdef"))
    for control, value, view in [
        (inspector.layer, 1, "heatmap"),
        (inspector.head, 2, "heatmap"),
        (inspector.query, 0, "context"),
        (inspector.scale, False, "heatmap"),
    ]:
        before = getattr(inspector, view).value
        control.value = value
        assert getattr(inspector, view).value != before, control.description
    assert "layer 1, head 2" in inspector.info.value
    bundle = inspector._repr_mimebundle_()
    assert "image/png" in bundle and "application/vnd.jupyter.widget-view+json" in bundle


def test_redraw_time_for_64_tokens_is_reported(report_dir, capsys):
    """Each control change is timed; the figure goes to the test report (no timed assertion,
    the machine may be busy). The closing note of notebook 05 quotes it."""
    tokens = [f"tok{i}" for i in range(64)]
    inspector = AttentionInspector(_weights(layers=4, heads=8, q=64, k=64), tokens)
    timings = []
    moves = [(inspector.query, q) for q in range(0, 64, 4)]
    moves += [(inspector.head, h) for h in range(8)] + [
        (inspector.layer, layer) for layer in (1, 2)
    ]
    moves += [(inspector.scale, False), (inspector.scale, True)]
    for control, value in moves:
        start = time.perf_counter()
        control.value = value
        timings.append((time.perf_counter() - start) * 1000)
    first_seen = np.array(timings)
    again = []
    for control, value in moves[:8]:  # cached views
        control.value = value
        again.append(inspector.last_redraw_ms)
    row = {
        "tokens": 64,
        "layers": 4,
        "heads": 8,
        "median_ms": round(float(np.median(first_seen)), 1),
        "max_ms": round(float(first_seen.max()), 1),
        "cached_median_ms": round(float(np.median(again)), 2),
    }
    (report_dir / "attention-inspector-redraw.json").write_text(json.dumps(row))
    with capsys.disabled():
        print(f"\nattention inspector redraw, 64 tokens, 4 layers x 8 heads: {row}")
    assert len(timings) == len(moves)
