"""A small training toolkit reused by every notebook that trains a model.

    history = train(model, (X_train, Y_train), (X_valid, Y_valid), steps=2000, lr=3e-3)
    plot_history(history)

Minibatches are drawn at random from a tensor dataset with a seeded generator, so a run is
deterministic for a seed. The loop evaluates on both splits every `eval_every` steps, can stop
early when the validation loss stops improving (keeping the best weights), shows a tqdm progress
bar and can redraw a live loss curve in a notebook.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import nn
from tqdm.auto import tqdm

from helpers import plots

Data = tuple[torch.Tensor, torch.Tensor]


@dataclass
class History:
    """Losses (mean nats per token) recorded during training."""

    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    best_step: int = 0
    best_valid_loss: float = math.inf
    stopped_early: bool = False

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def batches(data: Data, batch_size: int, generator: torch.Generator):
    """Endless random minibatches (x (batch_size, ...), y (batch_size,)) drawn with replacement."""
    x, y = data
    while True:
        idx = torch.randint(0, len(x), (batch_size,), generator=generator)
        yield x[idx], y[idx]


@torch.no_grad()
def evaluate(model: nn.Module, data: Data, batch_size: int = 4096) -> float:
    """Mean loss of `model.loss(x, y)` over all of `data`, in eval mode (dropout off)."""
    was_training = model.training
    model.eval()
    x, y = data
    total = 0.0
    for start in range(0, len(x), batch_size):
        xb, yb = x[start : start + batch_size], y[start : start + batch_size]
        total += float(model.loss(xb, yb)) * len(xb)
    model.train(was_training)
    return total / len(x)


def make_optimizer(
    model: nn.Module, name: str, lr: float, weight_decay: float
) -> torch.optim.Optimizer:
    """ "adam" is AdamW: Adam with decoupled weight decay (plain Adam when weight_decay is 0)."""
    if name == "adam":
        return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'adam' or 'sgd', got {name!r}")


def _check_args(
    train_data: Data,
    valid_data: Data,
    steps: int,
    lr: float,
    batch_size: int,
    eval_every: int,
    patience: int | None,
) -> None:
    if len(train_data[0]) == 0 or len(valid_data[0]) == 0:
        raise ValueError("train_data and valid_data must not be empty")
    for name, value in [("steps", steps), ("batch_size", batch_size), ("eval_every", eval_every)]:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if patience is not None and patience < 1:
        raise ValueError(f"patience must be None or >= 1, got {patience}")


def train(
    model: nn.Module,
    train_data: Data,
    valid_data: Data,
    *,
    steps: int,
    lr: float,
    batch_size: int = 64,
    optimizer: str = "adam",
    weight_decay: float = 0.0,
    eval_every: int = 100,
    patience: int | None = None,
    seed: int = 0,
    progress: bool = True,
    on_eval: Callable[[History], None] | None = None,
) -> History:
    """Train `model` (which must define `loss(x, y)`) and return its History.

    Every `eval_every` steps both splits are evaluated. With `patience`, training stops after that
    many evaluations without a new best validation loss, and the best weights are restored.
    `on_eval(history)` is called after each evaluation (e.g. a LiveLossPlot).
    """
    _check_args(train_data, valid_data, steps, lr, batch_size, eval_every, patience)
    torch.manual_seed(seed)  # dropout masks
    generator = torch.Generator().manual_seed(seed)
    opt = make_optimizer(model, optimizer, lr, weight_decay)
    history, best_state, evals_since_best = History(), None, 0
    stream = batches(train_data, batch_size, generator)
    model.train()
    for step in tqdm(range(1, steps + 1), disable=not progress, desc="training", leave=False):
        x, y = next(stream)
        loss = model.loss(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % eval_every and step != steps:
            continue
        history.steps.append(step)
        history.train_loss.append(evaluate(model, train_data))
        history.valid_loss.append(evaluate(model, valid_data))
        if history.valid_loss[-1] < history.best_valid_loss:
            history.best_valid_loss, history.best_step = history.valid_loss[-1], step
            best_state, evals_since_best = copy.deepcopy(model.state_dict()), 0
        else:
            evals_since_best += 1
        if on_eval is not None:
            on_eval(history)
        if patience is not None and evals_since_best >= patience:
            history.stopped_early = True
            break
    if patience is not None and best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


def save_checkpoint(path: str | Path | BinaryIO, model: nn.Module, meta: dict[str, object]) -> None:
    """Save the weights and a dict of plain metadata (config, losses) to a path or binary file."""
    torch.save({"state_dict": model.state_dict(), "meta": meta}, path)


def load_checkpoint(path: str | Path | BinaryIO, model: nn.Module) -> dict[str, object]:
    """Load save_checkpoint weights into `model` (safely: weights_only=True); return the meta."""
    blob = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(blob["state_dict"])
    return blob["meta"]


def plot_history(
    histories: dict[str, History] | History, highlight: str | None = None, ax=None
) -> Figure:
    """Train (dashed) and validation (solid) loss against steps for one or several runs."""
    if isinstance(histories, History):
        histories = {"": histories}
    fig, ax = plots.subplots() if ax is None else (ax.figure, ax)
    for i, (name, h) in enumerate(histories.items()):
        color = plots.PALETTE[i % len(plots.PALETTE)]
        faded = highlight is not None and name != highlight
        alpha, width = (0.25, 1.0) if faded else (1.0, 2.0)
        ax.plot(
            h.steps, h.valid_loss, color=color, alpha=alpha, lw=width, label=f"{name} valid".strip()
        )
        ax.plot(
            h.steps,
            h.train_loss,
            color=color,
            alpha=alpha,
            lw=width,
            ls="--",
            label=f"{name} train".strip(),
        )
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per token)")
    ax.legend(fontsize=8, ncols=2)
    return fig


class LiveLossPlot:
    """Redraws the loss curves in one notebook output as training goes: pass it as `on_eval`."""

    def __init__(self, every: int = 1):
        self.every, self.calls, self.handle = every, 0, None

    def __call__(self, history: History) -> None:
        from IPython.display import Image, display

        self.calls += 1
        if self.calls % self.every:
            return
        fig = plot_history(history)
        image = Image(plots.to_png(fig))  # a PNG shows whatever the notebook's plotting setup
        plt.close(fig)
        if self.handle is None:
            self.handle = display(image, display_id=True)
        else:
            self.handle.update(image)
