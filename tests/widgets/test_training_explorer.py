"""The shipped NPLM checkpoint and sweep, and the learning-rate / overfitting explorer."""

from __future__ import annotations

import time

import pytest
import torch

from helpers import data
from helpers.neural.nplm import NPLM, char_datasets
from helpers.neural.train import evaluate, load_checkpoint
from helpers.widgets.training_explorer import TrainingExplorer, choose, draw, runs_from_sweep


def test_shipped_checkpoint_reaches_its_recorded_validation_loss():
    blob = torch.load(data.path("nplm_names.pt"), weights_only=True)
    meta = blob["meta"]
    model = NPLM(
        len(meta["vocab"]), meta["context"], meta["embed_dim"], meta["hidden"], meta["dropout"]
    )
    load_checkpoint(data.path("nplm_names.pt"), model)
    vocab, _, valid = char_datasets(
        data.load_names("train"), data.load_names("valid"), meta["context"]
    )
    assert vocab.itos == meta["vocab"]
    assert evaluate(model, valid) == pytest.approx(meta["valid_loss"], abs=1e-5)
    assert meta["valid_loss"] < 2.1  # clearly better than a bigram's ~2.45 nats
    assert meta["best_step"] in meta["history"]["steps"]


def test_shipped_checkpoint_on_the_held_out_test_names():
    """The test names (never used by scripts/train_nplm.py) give a loss close to validation's."""
    blob = torch.load(data.path("nplm_names.pt"), weights_only=True)
    meta = blob["meta"]
    model = NPLM(
        len(meta["vocab"]), meta["context"], meta["embed_dim"], meta["hidden"], meta["dropout"]
    )
    load_checkpoint(data.path("nplm_names.pt"), model)
    _, _, test = char_datasets(data.load_names("train"), data.load_names("test"), meta["context"])
    assert abs(evaluate(model, test) - meta["valid_loss"]) < 0.1


@pytest.fixture(scope="module")
def sweep():
    return data.load_json("nplm_sweep.json")


def test_sweep_covers_the_grid_and_shows_overfitting(sweep):
    runs = runs_from_sweep(sweep)
    grid = sweep["grid"]
    assert sweep["train_names"] == len(data.load_names("train")[:: sweep["slice"]])
    assert len(runs) == len(grid["lr"]) * len(grid["hidden"]) * len(grid["dropout"])
    big = choose(runs, 0.003, 256, 0.0)
    assert big.valid_loss[-1] - big.best[1] > 0.1  # validation rises after its best: overfitting
    assert choose(runs, 0.003, 256, 0.3).valid_loss[-1] < big.valid_loss[-1]  # dropout helps
    with pytest.raises(ValueError, match="no run with"):
        choose(runs, 0.5, 256, 0.0)


def test_draw_highlights_the_chosen_run(sweep):
    runs = runs_from_sweep(sweep)
    fig = draw(runs, runs[0])
    assert len(fig.axes[0].lines) == len(runs) + 3


def test_widget_redraws_when_a_control_moves_and_answers_fast(sweep):
    explorer = TrainingExplorer(sweep)
    before = explorer.image.value
    explorer.dropout.value = 0.3
    assert explorer.image.value != before and explorer.chosen.dropout == 0.3
    explorer.dropout.value = 0.0
    start = time.perf_counter()
    explorer.dropout.value = 0.3  # drawn before: served from the cache
    assert time.perf_counter() - start < 0.05
    assert "image/png" in explorer._repr_mimebundle_()
