"""Run notebook 07's miniature scaling study (helpers/pretraining/scaling_study.py) and record it as
assets/scaling_study.json.

    python scripts/scaling_study.py            # 26 CPU-minutes (54 min wall, shared 2-core CPU)
    python scripts/scaling_study.py --check    # re-run in memory and compare with the shipped JSON
    python scripts/scaling_study.py --seed-spread-only   # re-measure 4. only (2 minutes)

1. A learning-rate sweep for each size at the smallest budget (2^20 tokens): three rates around
   a first guess, extended by factors of 2 while the best is at an edge.
2. Each size at its best rate for the larger budgets, every run with its own cosine schedule;
   the longest run also measures the whole-split validation loss at the smaller budgets.
3. Fits (helpers/pretraining/scaling.py): L(N) = E + A / N^alpha at the largest budget (and with
   a point left out, to show how uncertain alpha is), the compute-optimal frontier, and the pitfall.
4. The seed spread: the cheapest point with 8 other seeds, the yardstick for every difference.

Each run uses one thread and its own seed, so results do not depend on the number of processes
or their order; losses are rounded to 5 decimals. They are bit-for-bit repeatable on one machine
but not across CPUs (float rounding differs, and hundreds of Adam steps carry it on), so --check
reports "identical" only on a machine like the one that built the JSON; elsewhere a re-run is
expected to land within the seed spread of the shipped numbers, not on them.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np
from tqdm.auto import tqdm

from helpers import data
from helpers.device import cpu_description
from helpers.pretraining import scaling_study as study
from helpers.pretraining.scaling import compute_optimal, fit_power_law

REBUILD = "python scripts/scaling_study.py"
SOURCE = "trained by scripts/scaling_study.py on assets/shakespeare_*.txt"
LICENCE = "MIT (this project)"

LR_GRID = tuple(1.25e-3 * 2**i for i in range(7))  # 1.25e-3 ... 8e-2
SPREAD_SEEDS = tuple(range(1, 9))  # the cheapest point again, with seeds other than the study's
FIRST_GUESS = {"xs": 4, "s": 3, "m": 3, "l": 2, "xl": 2}  # index into LR_GRID: 2e-2 ... 5e-3


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)  # bit-for-bit repeatable runs


def _run(args: tuple) -> tuple[dict[str, object], float]:
    size, tokens, lr, checkpoints, seed = args
    record = study.run_point(size, tokens, lr, checkpoints, seed=seed)
    seconds = record.pop("seconds")  # the clock is not reproducible: printed, not recorded
    record["valid_loss"] = round(record["valid_loss"], 5)
    record["valid_loss_at"] = {t: round(v, 5) for t, v in record["valid_loss_at"].items()}
    return record, seconds


def _run_all(pool: ProcessPoolExecutor, jobs: list[tuple], desc: str) -> list[dict]:
    """Run jobs in the pool; return their records in the order of `jobs`."""
    futures = [pool.submit(_run, job) for job in jobs]
    records = []
    for future in tqdm(futures, desc=desc):
        record, seconds = future.result()
        print(
            f"  {record['size']:>2} lr={record['lr']:.2e} tokens={record['tokens']:>7} "
            f"valid={record['valid_loss']:.4f} ({seconds:.0f} s)",
            flush=True,
        )
        records.append(record)
    return records


def sweep(pool: ProcessPoolExecutor) -> tuple[list[dict], dict[str, float]]:
    """The learning-rate sweep at the smallest budget: every run, and each size's best rate."""
    tried: dict[str, dict[int, dict]] = {size: {} for size in study.SIZES}
    todo = {size: [i - 1, i, i + 1] for size, i in FIRST_GUESS.items()}
    while any(todo.values()):
        jobs = [  # the largest first, so the processes finish together
            (size, study.BUDGETS[0], LR_GRID[i], (), study.SEED)
            for size in reversed(study.SIZES)
            for i in todo.get(size, [])
        ]
        for (size, _, lr, *_), record in zip(jobs, _run_all(pool, jobs, "lr sweep"), strict=True):
            tried[size][LR_GRID.index(lr)] = record
        todo = {}
        for size, runs in tried.items():
            best = min(runs, key=lambda i: runs[i]["valid_loss"])
            edge = [j for j in (best - 1, best + 1) if j not in runs and 0 <= j < len(LR_GRID)]
            todo[size] = edge  # the best is at an edge of what was tried: look one step further
    runs = [r for size in study.SIZES for _, r in sorted(tried[size].items())]
    best_lr = {
        size: min(tried[size].values(), key=lambda r: r["valid_loss"])["lr"] for size in study.SIZES
    }
    return runs, best_lr


def seed_spread(pool: ProcessPoolExecutor, lr: float) -> dict[str, object]:
    """The smallest size at the smallest budget and its best rate, trained with other seeds (other
    initial weights and windows): how far a loss moves by chance alone. This is the yardstick for
    every comparison in the study, and for a re-run on another CPU, whose float rounding differs
    (the same seed there is a perturbed copy of the run, so it moves less than a new seed)."""
    jobs = [("xs", study.BUDGETS[0], lr, (), seed) for seed in SPREAD_SEEDS]
    losses = [r["valid_loss"] for r in _run_all(pool, jobs, "seed spread")]
    return {
        "size": "xs",
        "tokens": study.BUDGETS[0],
        "lr": lr,
        "seeds": list(SPREAD_SEEDS),
        "valid_loss": losses,
        "mean": round(float(np.mean(losses)), 5),
        "std": round(float(np.std(losses, ddof=1)), 5),
        "cpu": cpu_description(),
    }


def analyse(runs: list[dict]) -> dict[str, object]:
    """Fits, the frontier and the pitfall, from the grid of runs."""
    largest = [r for r in runs if r["tokens"] == study.BUDGETS[-1]]
    n = [r["params"] for r in largest]
    loss = [r["valid_loss"] for r in largest]
    law = fit_power_law(n, loss)
    left_out = [
        fit_power_law(np.delete(n, i), np.delete(loss, i)).alpha for i in range(len(n))
    ]  # 4 points and 3 parameters each: how much alpha moves with the data
    frontier = compute_optimal([r["flops"] for r in runs], [r["valid_loss"] for r in runs])
    pitfall = []
    for long in largest:
        for tokens, mid in long["valid_loss_at"].items():
            decayed = next(
                r for r in runs if r["size"] == long["size"] and r["tokens"] == int(tokens)
            )
            pitfall.append({
                "size": long["size"], "tokens": int(tokens), "decayed": decayed["valid_loss"],
                "mid_run": mid, "overstatement": round(mid - decayed["valid_loss"], 5),
            })  # fmt: skip
    return {
        "loss_vs_params": {
            "tokens": study.BUDGETS[-1],
            "E": round(law.E, 5),
            "A": round(law.A, 5),
            "alpha": round(law.alpha, 5),
            "alpha_leave_one_out": [round(a, 5) for a in left_out],
        },
        "frontier": frontier,
        "frontier_tokens_per_param": [
            round(runs[i]["tokens"] / runs[i]["params"], 1) for i in frontier
        ],
        "pitfall": pitfall,
    }


def build(workers: int) -> dict[str, object]:
    with ProcessPoolExecutor(workers, get_context("spawn"), initializer=_init_worker) as pool:
        sweep_runs, best_lr = sweep(pool)
        jobs = [
            (size, tokens, best_lr[size],
             study.BUDGETS[:-1] if tokens == study.BUDGETS[-1] else (), study.SEED)
            for size in reversed(study.SIZES)  # the largest first: the pool finishes together
            for tokens in study.BUDGETS[1:]
        ]
        longer = _run_all(pool, jobs, "grid")
        spread = seed_spread(pool, best_lr["xs"])
    smallest = {r["size"]: r for r in sweep_runs if r["lr"] == best_lr[r["size"]]}
    runs = sorted(
        [*smallest.values(), *longer],
        key=lambda r: (list(study.SIZES).index(r["size"]), r["tokens"]),
    )
    protocol = {
        "data": "character-level Shakespeare; validation = 4 whole held-out plays",
        "context": study.CONTEXT,
        "batch_size": study.BATCH_SIZE,
        "budgets": list(study.BUDGETS),
        "warmup_steps": study.WARMUP,
        "schedule": "linear warmup, cosine decay to lr/10 at the end of each run's own budget",
        "sizes": {
            name: dict(zip(("n_layer", "d_model", "n_head", "d_mlp"), shape, strict=True))
            for name, shape in study.SIZES.items()
        },
        "lr_grid": list(LR_GRID),
        "seed": study.SEED,
    }
    return {
        "protocol": protocol,
        "best_lr": best_lr,
        "sweep": sweep_runs,
        "runs": runs,
        **analyse(runs),
        "seed_spread": spread,
    }


def summary(result: dict[str, object]) -> None:
    print("\nvalid loss (nats/char) by size and budget:")
    for size in study.SIZES:
        row = [r for r in result["runs"] if r["size"] == size]
        losses = "  ".join(f"{r['valid_loss']:.3f}" for r in row)
        print(f"  {size:>2} N={row[0]['params']:>6} lr={result['best_lr'][size]:.2e}  {losses}")
    fit = result["loss_vs_params"]
    print(
        f"L(N) = {fit['E']:.3f} + {fit['A']:.3g} / N^{fit['alpha']:.3f}; alpha leaving one "
        f"size out: {min(fit['alpha_leave_one_out']):.3f}..{max(fit['alpha_leave_one_out']):.3f}"
    )
    print(f"frontier tokens per parameter: {result['frontier_tokens_per_param']}")
    worst = max(result["pitfall"], key=lambda p: p["overstatement"])
    print(f"pitfall: a mid-run reading overstates the loss by up to {worst['overstatement']:.3f}"
          f" nats ({worst['size']} at {worst['tokens']} tokens)")  # fmt: skip
    spread = result["seed_spread"]
    print(f"seed-to-seed spread of xs at {spread['tokens']:,} tokens: sd {spread['std']:.3f} nats "
          f"over {len(spread['seeds'])} seeds")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    parser.add_argument("--workers", type=int, default=2, help="processes (1 thread each)")
    parser.add_argument(
        "--seed-spread-only", action="store_true",
        help="re-measure only the seed spread, keeping the shipped runs (minutes, not hours)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.seed_spread_only:
        result = data.load_json("scaling_study.json")
        spawn = get_context("spawn")
        with ProcessPoolExecutor(args.workers, spawn, initializer=_init_worker) as pool:
            result["seed_spread"] = seed_spread(pool, result["best_lr"]["xs"])
    else:
        result = build(args.workers)
    summary(result)
    content = (json.dumps(result, indent=1) + "\n").encode()
    built = {"scaling_study.json": content}
    return data.check_or_record(built, args.check, SOURCE, LICENCE, REBUILD)


if __name__ == "__main__":
    sys.exit(main())
