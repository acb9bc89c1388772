"""Training-state files that make a GPT training run resumable exactly, bit for bit.

    save_training_state(path, model, optimizers, generator, step=step, train_config=...)
    extra = load_training_state(path, model, optimizers, generator, train_config=...)

Resuming exactly needs more than the weights: the optimizers' moments and step counts, the
generator that draws the training windows, and torch's global generator (dropout masks). All of
it is written with torch.save and read back with torch.load(weights_only=True), which unpickles
only tensors and plain containers, so a file from elsewhere cannot run code. Writes are atomic.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import torch

from helpers.transformer.gpt import GPT

FORMAT = "helpers.pretraining.checkpoints/1"


def save_training_state(
    path: str | Path,
    model: GPT,
    optimizers: list[torch.optim.Optimizer],
    generator: torch.Generator,
    **extra: object,
) -> None:
    """Write the model (with its config), optimizer states, both random generators and `extra`
    (plain values: the step, the training config as a dict, the history) to `path`, atomically:
    the file is written beside it and renamed, so a crash never leaves half a file."""
    state = {
        "format": FORMAT,
        "model_config": asdict(model.cfg),
        "model": model.state_dict(),
        "optimizers": [opt.state_dict() for opt in optimizers],
        "generator": generator.get_state(),
        "torch_rng": torch.get_rng_state(),
        "extra": extra,
    }
    tmp = Path(f"{path}.tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_training_state(
    path: str | Path,
    model: GPT,
    optimizers: list[torch.optim.Optimizer],
    generator: torch.Generator,
    **expected: dict,
) -> dict:
    """Restore a save_training_state file into `model`, `optimizers`, `generator` and torch's
    global generator; return its `extra` dict.

    The file's model config, and each entry of `expected` (e.g. train_config=asdict(config)),
    must equal the given ones: a ValueError naming the checkpoint says what differs and how to
    start afresh; so does a corrupt or foreign file.
    """
    rebuild = f"delete {path} to train from scratch, or pass the model and config it was made with"
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a damaged zip or pickle raises one of several types
        raise ValueError(
            f"checkpoint {path} is corrupt or not a torch file ({err}); {rebuild}"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"checkpoint {path} is not a training-state file ({FORMAT}); {rebuild}")
    wanted = {"model_config": asdict(model.cfg), **expected}
    found = {"model_config": state["model_config"], **state["extra"]}
    for key, ours in wanted.items():
        theirs = found.get(key, {})
        diff = {k: (theirs.get(k), v) for k, v in ours.items() if _same(theirs.get(k)) != _same(v)}
        if diff:
            raise ValueError(
                f"checkpoint {path} was made with a different {key}, {{name: (file, given)}}: "
                f"{diff}; {rebuild}"
            )
    model.load_state_dict(state["model"])
    if len(state["optimizers"]) != len(optimizers):
        raise ValueError(
            f"checkpoint {path} holds {len(state['optimizers'])} optimizers, not "
            f"{len(optimizers)}; {rebuild}"
        )
    for opt, opt_state in zip(optimizers, state["optimizers"], strict=True):
        opt.load_state_dict(opt_state)
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
    return state["extra"]


def _same(value: object) -> object:
    """Tuples come back from a file as tuples or lists: compare them as lists."""
    return list(value) if isinstance(value, tuple) else value
