"""Train the character-level NPLM checkpoint and the learning-rate / width / dropout sweep that
notebook 03 ships, deterministically, and record both in assets/manifest.json.

    python scripts/train_nplm.py          # about 2 minutes on a 2-core CPU
    python scripts/train_nplm.py --check  # retrain in memory and compare with the shipped files

- assets/nplm_names.pt: the NPLM on the training names (context 3), keeping the weights of its
  best evaluation on the validation names (early stopping); its metadata records the
  configuration, vocabulary and validation loss. The test names are never used here: notebook 03
  reports on them once, at the end.
- assets/nplm_sweep.json: train/validation loss curves for a grid of learning rates, hidden
  widths and dropout rates, on a small slice of the names so that overfitting shows.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import sys

import torch
from tqdm.auto import tqdm

from helpers import data
from helpers.neural.nplm import NPLM, char_datasets
from helpers.neural.train import save_checkpoint, train

REBUILD = "python scripts/train_nplm.py"
SOURCE = "trained by scripts/train_nplm.py on assets/names.txt"
LICENCE = "MIT (this project)"

CONTEXT = 3
CHECKPOINT = {"embed_dim": 10, "hidden": 200, "dropout": 0.1}
CHECKPOINT_TRAINING = {
    "steps": 20_000,
    "lr": 3e-3,
    "batch_size": 128,
    "eval_every": 500,
    "patience": 8,
    "weight_decay": 0.01,
    "seed": 0,
}
SWEEP_GRID = {"lr": [0.001, 0.003, 0.01, 0.03], "hidden": [16, 64, 256], "dropout": [0.0, 0.3]}
SWEEP_TRAINING = {"steps": 3_000, "batch_size": 64, "eval_every": 100, "seed": 0}
SWEEP_SLICE = 8  # every 8th training name: about 520 names, small enough to overfit


def build_checkpoint() -> bytes:
    vocab, train_data, valid_data = char_datasets(
        data.load_names("train"), data.load_names("valid"), CONTEXT
    )
    torch.manual_seed(0)
    model = NPLM(len(vocab), CONTEXT, **CHECKPOINT)
    history = train(model, train_data, valid_data, progress=False, **CHECKPOINT_TRAINING)
    meta = {
        "context": CONTEXT,
        **CHECKPOINT,
        "training": CHECKPOINT_TRAINING,
        "vocab": vocab.itos,
        "valid_loss": history.best_valid_loss,
        "best_step": history.best_step,
        "history": history.as_dict(),
    }
    buffer = io.BytesIO()
    save_checkpoint(buffer, model, meta)
    print(f"checkpoint: valid loss {history.best_valid_loss:.4f} at step {history.best_step}")
    return buffer.getvalue()


def build_sweep() -> bytes:
    names = data.load_names("train")[::SWEEP_SLICE]
    vocab, train_data, valid_data = char_datasets(names, data.load_names("valid"), CONTEXT)
    runs = []
    grid = list(itertools.product(*SWEEP_GRID.values()))
    for lr, hidden, dropout in tqdm(grid, desc="sweep"):
        torch.manual_seed(0)
        model = NPLM(len(vocab), CONTEXT, 10, hidden, dropout=dropout)
        h = train(model, train_data, valid_data, lr=lr, progress=False, **SWEEP_TRAINING)
        runs.append(
            {
                "lr": lr,
                "hidden": hidden,
                "dropout": dropout,
                "steps": h.steps,
                "train_loss": [round(v, 4) for v in h.train_loss],
                "valid_loss": [round(v, 4) for v in h.valid_loss],
            }
        )
    sweep = {
        "grid": SWEEP_GRID,
        "context": CONTEXT,
        "train_names": len(names),
        "train_examples": len(train_data[0]),
        "training": SWEEP_TRAINING,
        "slice": SWEEP_SLICE,
        "runs": runs,
    }
    return (json.dumps(sweep, separators=(",", ":")) + "\n").encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args()
    torch.set_num_threads(1)  # bit-for-bit repeatable runs
    built = {"nplm_names.pt": build_checkpoint(), "nplm_sweep.json": build_sweep()}
    return data.check_or_record(built, args.check, SOURCE, LICENCE, REBUILD)


if __name__ == "__main__":
    sys.exit(main())
