"""Run notebook 07's "do language models plan ahead for future tokens?" experiments and record
them as assets/myopic_results.json.

    python scripts/myopic_experiments.py            # 16 CPU-minutes, on 2 processes
    python scripts/myopic_experiments.py --check    # re-run in memory and compare

- "synthetic": the pre-caching task of helpers/pretraining/precaching.py, trained vanilla, myopic
  and with naively detached past keys/values (helpers.pretraining.myopic): R^2 on the target,
  linear probes for sin(a x_n), and the training loss every 10 steps. The notebook re-runs the
  vanilla model live with the same defaults.
- "shakespeare": nanoGPT's CPU recipe (helpers.pretraining.recipes "nanogpt-cpu") trained vanilla
  and myopic for 800 and for 4,800 steps, each run with its own schedule: the loss on the whole
  validation split and by position in the window.

Each run uses one thread and its own seed, so results do not depend on the number of processes;
floats are rounded (losses to 5 decimals). They repeat bit for bit on one machine, not across
CPUs: --check reports "identical" only on a machine like the one that built the JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context

import torch
from tqdm.auto import tqdm

from helpers import data
from helpers.pretraining.myopic import loss_by_position, myopic_loss
from helpers.pretraining.precaching import LENGTH, A, K, evaluate_precaching, train_precaching
from helpers.pretraining.recipes import describe, recipe
from helpers.pretraining.trainer import train_gpt
from helpers.tokens.char_tokens import shakespeare_tokens
from helpers.transformer.gpt import GPT

REBUILD = "python scripts/myopic_experiments.py"
SOURCE = "trained by scripts/myopic_experiments.py (synthetic task; assets/shakespeare_*.txt)"
LICENCE = "MIT (this project)"

PASTS = {"vanilla": None, "myopic": "recompute", "detached_kv": "detach"}
TEXT_STEPS = (800, 4800)
TEXT_RECIPE = "nanogpt-cpu"


def _init_worker() -> None:
    torch.set_num_threads(1)  # bit-for-bit repeatable runs


def _rounded(values, digits: int = 5) -> list[float]:
    return [round(float(v), digits) for v in values]


def synthetic_run(variant: str) -> dict[str, object]:
    """One model on the pre-caching task, with helpers.pretraining.precaching's defaults."""
    model, losses = train_precaching(PASTS[variant], progress=False)
    scores = evaluate_precaching(model)
    every = 10
    curve = [sum(losses[i : i + every]) / every for i in range(0, len(losses), every)]
    return {
        "variant": variant,
        "r2": round(scores["r2"], 5),
        "probe_r2": _rounded(scores["probe_r2"]),
        "loss_every": every,
        "loss": _rounded(curve),
    }


def text_run(variant: str, steps: int) -> dict[str, object]:
    """The nanogpt-cpu model trained `steps` steps (its own schedule), vanilla or myopic."""
    r = recipe(TEXT_RECIPE)
    config = replace(r.train, tokens=steps * r.train.batch_size * r.train.context)
    train_ids, valid_ids = shakespeare_tokens("train"), shakespeare_tokens("valid")
    torch.manual_seed(config.seed)
    model = GPT(r.model)
    loss_fn = myopic_loss if variant == "myopic" else None
    history = train_gpt(model, train_ids, valid_ids, config, loss_fn=loss_fn, progress=False)
    return {
        "variant": variant,
        "steps": steps,
        "tokens": history.tokens_seen,
        "valid_loss": round(history.final_valid_loss, 5),
        "valid_by_position": _rounded(loss_by_position(model, valid_ids, config.context)),
        "curve_steps": history.steps,
        "curve_valid": _rounded(history.valid_loss),  # estimates on eval_tokens each
    }


def _job(args: tuple) -> dict[str, object]:
    kind, *rest = args
    return synthetic_run(*rest) if kind == "synthetic" else text_run(*rest)


def build(workers: int) -> dict[str, object]:
    jobs = [("text", v, s) for s in reversed(TEXT_STEPS) for v in ("vanilla", "myopic")]
    jobs += [("synthetic", v) for v in PASTS]
    with ProcessPoolExecutor(workers, get_context("spawn"), initializer=_init_worker) as pool:
        futures = [pool.submit(_job, job) for job in jobs]
        results = [f.result() for f in tqdm(futures, desc="runs")]
    synthetic = {r["variant"]: r for r in results if "r2" in r}
    text = {f"{r['variant']}_{r['steps']}": r for r in results if "steps" in r}
    gaps = {
        str(s): round(text[f"myopic_{s}"]["valid_loss"] - text[f"vanilla_{s}"]["valid_loss"], 5)
        for s in TEXT_STEPS
    }
    return {
        "synthetic": {
            "task": {"length": LENGTH, "K": K, "a": A},
            "defaults": "helpers.pretraining.precaching.train_precaching / evaluate_precaching",
            "runs": synthetic,
        },
        "shakespeare": {
            "recipe": TEXT_RECIPE,
            "config": describe(recipe(TEXT_RECIPE)),
            "steps": list(TEXT_STEPS),
            "runs": text,
            "gap": gaps,
        },
    }


def summary(result: dict[str, object]) -> None:
    print("synthetic task (R^2 on the sum; linear probe for sin(a x_n) after each block):")
    for name, run in result["synthetic"]["runs"].items():
        print(f"  {name:>11}: R^2 {run['r2']:.3f}  probes {run['probe_r2']}")
    print("shakespeare (valid nats/char, whole split):")
    for steps in TEXT_STEPS:
        runs = result["shakespeare"]["runs"]
        v, m = runs[f"vanilla_{steps}"], runs[f"myopic_{steps}"]
        first = m["valid_by_position"][0] - v["valid_by_position"][0]
        print(
            f"  {steps:>5} steps: vanilla {v['valid_loss']:.4f}  myopic {m['valid_loss']:.4f}  "
            f"gap {result['shakespeare']['gap'][str(steps)]:+.4f} (position 0: {first:+.4f})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    parser.add_argument("--workers", type=int, default=2, help="processes (1 thread each)")
    args = parser.parse_args()
    result = build(args.workers)
    summary(result)
    built = {"myopic_results.json": (json.dumps(result, indent=1) + "\n").encode()}
    return data.check_or_record(built, args.check, SOURCE, LICENCE, REBUILD)


if __name__ == "__main__":
    sys.exit(main())
