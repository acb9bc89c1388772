"""The learning-rate / overfitting explorer: pick a learning rate, a hidden width and a dropout
rate from a grid of precomputed runs and see their train and validation loss curves.

The runs are computed once by scripts/train_nplm.py and shipped (assets/nplm_sweep.json), so
moving a control only redraws: no training happens in the widget.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import ipywidgets as widgets
from matplotlib.figure import Figure

from helpers import plots


@dataclass(frozen=True)
class Run:
    lr: float
    hidden: int
    dropout: float
    steps: list[int]
    train_loss: list[float]
    valid_loss: list[float]

    @property
    def best(self) -> tuple[int, float]:
        """(step, loss) of the lowest validation loss: where early stopping would keep weights."""
        i = min(range(len(self.valid_loss)), key=self.valid_loss.__getitem__)
        return self.steps[i], self.valid_loss[i]


def runs_from_sweep(sweep: dict) -> list[Run]:
    """The Run records of a sweep dict as written by scripts/train_nplm.py."""
    return [Run(**run) for run in sweep["runs"]]


def choose(runs: list[Run], lr: float, hidden: int, dropout: float) -> Run:
    """The run with exactly these settings; a ValueError lists the grid when there is none."""
    for run in runs:
        if (run.lr, run.hidden, run.dropout) == (lr, hidden, dropout):
            return run
    grid = sorted({(r.lr, r.hidden, r.dropout) for r in runs})
    raise ValueError(f"no run with lr={lr}, hidden={hidden}, dropout={dropout}; grid: {grid}")


def draw(runs: list[Run], chosen: Run) -> Figure:
    """All validation curves faintly, the chosen run's train (dashed) and validation curves bold."""
    fig, ax = plots.figure(7.0, 3.8)
    for run in runs:
        ax.plot(run.steps, run.valid_loss, color="0.8", lw=0.8, zorder=1)
    ax.plot(chosen.steps, chosen.train_loss, color=plots.MAIN, ls="--", lw=2, label="train")
    ax.plot(chosen.steps, chosen.valid_loss, color=plots.ACCENT, lw=2, label="validation")
    step, loss = chosen.best
    ax.plot([step], [loss], "o", color=plots.ACCENT, zorder=3)
    ax.annotate(
        f"best {loss:.3f} at step {step}",
        (step, loss),
        textcoords="offset points",
        xytext=(5, -14),
        fontsize=8,
    )
    gap = chosen.valid_loss[-1] - chosen.train_loss[-1]
    ax.set_title(
        f"lr {chosen.lr:g}, hidden {chosen.hidden}, dropout {chosen.dropout:g}: "
        f"final gap valid - train = {gap:.2f}",
        fontsize=10,
    )
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per character)")
    ax.set_ylim(1.4, 3.0)
    ax.legend(loc="upper right")
    return fig


class TrainingExplorer:
    """Toggle buttons for the three hyper-parameters; the figure follows."""

    def __init__(self, sweep: dict, lr: float = 0.003, hidden: int = 256, dropout: float = 0.0):
        self.runs = runs_from_sweep(sweep)
        grid = sweep["grid"]
        style = {"button_width": "70px", "description_width": "90px"}
        self.lr = widgets.ToggleButtons(
            options=grid["lr"], value=lr, description="learning rate", style=style
        )
        self.hidden = widgets.ToggleButtons(
            options=grid["hidden"], value=hidden, description="hidden width", style=style
        )
        self.dropout = widgets.ToggleButtons(
            options=grid["dropout"], value=dropout, description="dropout", style=style
        )
        self.image = widgets.Image(format="png")
        self._pngs: dict[tuple[float, int, float], bytes] = {}  # drawn once per setting
        for control in (self.lr, self.hidden, self.dropout):
            control.observe(self.update, names="value")
        self.widget = widgets.VBox([self.lr, self.hidden, self.dropout, self.image])
        self.update()

    @property
    def chosen(self) -> Run:
        return choose(self.runs, self.lr.value, self.hidden.value, self.dropout.value)

    def update(self, change: object = None) -> None:
        key = (self.lr.value, self.hidden.value, self.dropout.value)
        if key not in self._pngs:
            self._pngs[key] = plots.to_png(draw(self.runs, self.chosen))
        self.image.value = self._pngs[key]

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return bundle
