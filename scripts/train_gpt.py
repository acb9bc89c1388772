"""Train a named GPT configuration on the shipped Shakespeare corpus, character by character.

    python scripts/train_gpt.py --config nanogpt-cpu          # nanoGPT's CPU recipe
    python scripts/train_gpt.py --config fast --out fast.pt   # ours, and save the model
    python scripts/train_gpt.py --config shakespeare          # rebuild assets/gpt_shakespeare.pt
    python scripts/train_gpt.py --config shakespeare --check  # retrain, compare with the shipped

The configurations are in helpers/pretraining/recipes.py. The last line printed is
`val_loss=<nats per character, whole validation split> bpc=<bits per character>
seconds=<wall time of the training steps> tokens=<tokens seen>`.

The shipped checkpoint is deterministic given its seed and thread count (one thread, so that
`--check` retrains it byte for byte on a CPU that rounds like the one that built it; on another
the bytes differ and the printed validation loss is what to compare); it is saved with
torch.save as {"state_dict", "meta"}
(load with torch.load(..., weights_only=True), or
helpers.pretraining.recipes.load_shakespeare_gpt()).
"""

from __future__ import annotations

import argparse
import io
import math
import sys
from dataclasses import replace

import torch

from helpers import data
from helpers.neural.train import save_checkpoint
from helpers.pretraining.recipes import RECIPES, SHIPPED, describe, recipe
from helpers.pretraining.trainer import train_gpt
from helpers.tokens.char_tokens import shakespeare_tokenizer, shakespeare_tokens
from helpers.transformer.gpt import GPT

REBUILD = "python scripts/train_gpt.py --config shakespeare"
SOURCE = "trained by scripts/train_gpt.py --config shakespeare on assets/shakespeare_train.txt"
LICENCE = "MIT (this project); trained on Shakespeare's plays (public domain)"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help=f"one of: {', '.join(RECIPES)}")
    parser.add_argument("--seed", type=int, default=None, help="default: the config's")
    parser.add_argument("--out", default=None, help="save the trained model here")
    parser.add_argument(
        "--threads", type=int, default=None, help="default: the config's, else torch's"
    )
    parser.add_argument("--tokens", type=int, default=None, help="override the token budget")
    parser.add_argument(
        "--check",
        action="store_true",
        help="shakespeare only: retrain and compare with the shipped file",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    r = recipe(args.config)  # a ValueError lists the names
    train_cfg = r.train
    if args.seed is not None:
        train_cfg = replace(train_cfg, seed=args.seed)
    if args.tokens is not None:
        train_cfg = replace(train_cfg, tokens=args.tokens)
    threads = args.threads or r.threads
    shipped = args.config == "shakespeare" and args.out is None
    if args.check and not shipped:
        raise ValueError(
            "--check compares with the shipped file: use it with --config "
            "shakespeare and without --out"
        )
    if shipped and (train_cfg != r.train or threads != r.threads):
        raise ValueError(
            f"the shipped checkpoint is trained with its config's seed, budget and "
            f"threads ({r.threads}); to try others, pass --out PATH"
        )
    if threads is not None:
        torch.set_num_threads(threads)
    tokenizer = shakespeare_tokenizer()
    if tokenizer.vocab_size != r.model.vocab_size:
        raise ValueError(
            f"the corpus has {tokenizer.vocab_size} characters, the config expects "
            f"{r.model.vocab_size}"
        )
    train_ids, valid_ids = shakespeare_tokens("train"), shakespeare_tokens("valid")
    torch.manual_seed(train_cfg.seed)
    model = GPT(r.model)
    history = train_gpt(model, train_ids, valid_ids, train_cfg, progress=not args.quiet)
    val = history.final_valid_loss
    print(
        f"{args.config}: {model.num_parameters()['total']:,} parameters, "
        f"{torch.get_num_threads()} threads, {history.tokens_seen / history.seconds:,.0f} "
        "tokens/s",
        flush=True,
    )
    code = 0
    if args.out is not None or shipped:
        meta = {
            "config": args.config,
            **describe(replace(r, train=train_cfg, threads=threads)),
            "chars": tokenizer.chars,
            "valid_loss": val,
            "tokens_seen": history.tokens_seen,
            # The curve, not the wall time: the file must be the same bytes on every rebuild.
            "curve": {
                "steps": history.steps,
                "train_loss": history.train_loss,
                "valid_loss": history.valid_loss,
            },
        }
        buffer = io.BytesIO()
        save_checkpoint(buffer, model, meta)
        if shipped:
            code = data.check_or_record(
                {SHIPPED: buffer.getvalue()}, args.check, SOURCE, LICENCE, REBUILD
            )
        else:
            with open(args.out, "wb") as f:
                f.write(buffer.getvalue())
    print(
        f"val_loss={val:.4f} bpc={val / math.log(2):.4f} seconds={history.seconds:.1f} "
        f"tokens={history.tokens_seen}"
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
