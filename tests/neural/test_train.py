"""The training toolkit: determinism, early stopping, checkpoints, bad input."""

from __future__ import annotations

import pytest
import torch

from helpers.neural.nplm import NPLM
from helpers.neural.train import (
    History,
    evaluate,
    load_checkpoint,
    plot_history,
    save_checkpoint,
    train,
)


def _data(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 7, (n, 2), generator=g)
    return x, (x[:, 0] + x[:, 1]) % 7  # a learnable rule


def _run(seed=0, **kwargs):
    torch.manual_seed(123)
    model = NPLM(7, 2, 4, 16, dropout=0.1)
    options = {"steps": 60, "lr": 1e-2, "eval_every": 20, "progress": False, "seed": seed} | kwargs
    return model, train(model, _data(200, 0), _data(100, 1), **options)


def test_training_reduces_the_loss_and_is_deterministic():
    m1, h1 = _run()
    m2, h2 = _run()
    assert h1.valid_loss == h2.valid_loss and h1.train_loss == h2.train_loss
    for p1, p2 in zip(m1.parameters(), m2.parameters()):
        torch.testing.assert_close(p1, p2, rtol=0, atol=0)
    assert h1.steps == [20, 40, 60] and h1.train_loss[-1] < h1.train_loss[0]
    _, h3 = _run(seed=1)
    assert h3.train_loss != h1.train_loss


def test_early_stopping_keeps_the_best_weights():
    model, history = _run(steps=400, lr=0.3, optimizer="sgd", eval_every=10, patience=2)
    assert history.stopped_early and history.steps[-1] < 400
    assert evaluate(model, _data(100, 1)) == pytest.approx(history.best_valid_loss, rel=1e-6)
    assert history.best_valid_loss == min(history.valid_loss)


def test_checkpoint_round_trip(tmp_path):
    model, history = _run()
    save_checkpoint(tmp_path / "m.pt", model, {"history": history.as_dict(), "note": "x"})
    fresh = NPLM(7, 2, 4, 16, dropout=0.1)
    meta = load_checkpoint(tmp_path / "m.pt", fresh)
    assert meta["note"] == "x" and meta["history"]["valid_loss"] == history.valid_loss
    assert evaluate(fresh, _data(100, 1)) == evaluate(model, _data(100, 1))


def test_plot_history_draws_train_and_valid():
    _, history = _run()
    fig = plot_history({"a": history, "b": history}, highlight="a")
    assert len(fig.axes[0].lines) == 4


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"lr": 0.0}, "lr must be > 0"),
        ({"steps": 0}, "steps must be a positive int"),
        ({"optimizer": "rmsprop"}, "optimizer must be"),
        ({"patience": 0}, "patience"),
    ],
)
def test_bad_input(kwargs, words):
    with pytest.raises(ValueError, match=words):
        _run(**kwargs)


def test_empty_data_is_an_error():
    empty = (torch.zeros(0, 2, dtype=torch.long), torch.zeros(0, dtype=torch.long))
    with pytest.raises(ValueError, match="must not be empty"):
        train(NPLM(7, 2, 4, 8), empty, _data(5, 0), steps=1, lr=0.1)


def test_history_defaults():
    assert History().best_step == 0


def test_live_loss_plot_displays_once_then_updates(monkeypatch):
    import IPython.display

    from helpers.neural.train import LiveLossPlot

    shown = []

    class Handle:
        def update(self, fig):
            shown.append(("update", fig))

    def fake_display(fig, display_id):
        shown.append(("display", fig))
        return Handle()

    monkeypatch.setattr(IPython.display, "display", fake_display)
    live = LiveLossPlot()
    _run(on_eval=live)
    assert [kind for kind, _ in shown] == ["display", "update", "update"]
