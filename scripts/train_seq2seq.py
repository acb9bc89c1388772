"""Train notebook 05's three string-reversal encoder-decoders deterministically and record them in
assets/manifest.json.

    python scripts/train_seq2seq.py          # about 10 minutes on a 2-core CPU (one thread)
    python scripts/train_seq2seq.py --check  # retrain in memory and compare with the shipped files

- assets/seq2seq_none.pt: GRU encoder-decoder without attention (the fixed-vector bottleneck);
- assets/seq2seq_additive.pt: the same with additive attention (Bahdanau et al., 2015);
- assets/seq2seq_dot.pt: the same with dot-product attention (Luong et al., 2015).

Each is trained on random strings of 1 to 16 letters and saved with torch.save (load with
torch.load(..., weights_only=True)); its metadata records the configuration, the training loss
curve and the exact-match accuracy by length on a fixed, seeded test set, which
tests/attention/test_seq2seq.py recomputes.
"""

from __future__ import annotations

import argparse
import io
import sys
import time

import torch

from helpers import data
from helpers.attention.seq2seq import KINDS, Seq2Seq, accuracy_by_length, fixed_strings, train

REBUILD = "python scripts/train_seq2seq.py"
SOURCE = "trained by scripts/train_seq2seq.py on random strings (no data file)"
LICENCE = "MIT (this project)"

MODEL = {"embed_dim": 32, "hidden": 64}
TRAINING = {"steps": 4000, "min_len": 1, "max_len": 16, "batch_size": 64, "lr": 3e-3, "seed": 0}
TEST = {"lengths": list(range(1, 25)), "per_length": 200, "seed": 1234}


def build(kind: str) -> bytes:
    torch.manual_seed(0)
    model = Seq2Seq(kind, **MODEL)
    start = time.perf_counter()
    losses = train(model, **TRAINING)
    accuracy = accuracy_by_length(
        model, fixed_strings(TEST["lengths"], TEST["per_length"], TEST["seed"])
    )
    meta = {
        "attention": kind,
        **MODEL,
        "training": TRAINING,
        "test": TEST,
        # Every 20th step's loss, averaged over those 20 steps: enough for a curve, small.
        "loss_every_20": [
            round(sum(losses[i : i + 20]) / 20, 4) for i in range(0, len(losses), 20)
        ],
        "accuracy_by_length": {str(n): a for n, a in accuracy.items()},
    }
    buffer = io.BytesIO()
    # Half precision would halve the files, but these are small already (about 100 kB).
    torch.save({"state_dict": model.state_dict(), "meta": meta}, buffer)
    summary = ", ".join(f"{n}: {a:.2f}" for n, a in accuracy.items() if n % 4 == 0)
    print(f"{kind}: {time.perf_counter() - start:.0f} s; accuracy by length {summary}", flush=True)
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    parser.add_argument("kinds", nargs="*", default=list(KINDS), help="which models (default all)")
    args = parser.parse_args()
    torch.set_num_threads(1)  # bit-for-bit repeatable runs
    built = {f"seq2seq_{kind}.pt": build(kind) for kind in args.kinds}
    return data.check_or_record(built, args.check, SOURCE, LICENCE, REBUILD)


if __name__ == "__main__":
    sys.exit(main())
