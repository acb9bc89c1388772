"""Named GPT configurations (a model and its training recipe) for character-level Shakespeare,
and the shipped checkpoint that notebooks 07-10 load.

    r = recipe("nanogpt-cpu")                    # Recipe(model=GPTConfig, train=TrainConfig, ...)
    model, tokenizer, meta = load_shakespeare_gpt()

- "nanogpt-cpu": nanoGPT's CPU recipe (its README): 4 layers, 4 heads, width 128, context 64,
  batch 12, 2,000 steps, AdamW lr 1e-3 decayed to 1e-4, warmup 100, no dropout, no biases;
- "fast": our fastest configuration to nanogpt-cpu's validation loss (benchmarks/bench_pretrain.py);
- "notebook": the model notebook 07 trains live, about 30 s on one thread;
- "shakespeare": the shipped checkpoint, assets/gpt_shakespeare.pt (scripts/train_gpt.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from helpers import data
from helpers.pretraining.trainer import TrainConfig
from helpers.tokens.char_tokens import CharTokenizer, shakespeare_tokenizer
from helpers.transformer.gpt import GPT, GPTConfig

VOCAB_SIZE = 77  # characters in our Shakespeare training split (tests check it)
SHIPPED = "gpt_shakespeare.pt"


@dataclass(frozen=True)
class Recipe:
    """A named configuration: the model, how to train it, and the thread count it is meant for
    (the shipped checkpoint is byte-identical only at its own thread count)."""

    model: GPTConfig
    train: TrainConfig
    threads: int | None
    about: str


RECIPES: dict[str, Recipe] = {
    "nanogpt-cpu": Recipe(
        GPTConfig.gpt2_style(
            vocab_size=VOCAB_SIZE, context=64, n_layer=4, n_head=4, d_model=128, bias=False
        ),
        TrainConfig(
            batch_size=12,
            context=64,
            tokens=2000 * 12 * 64,
            lr=1e-3,
            min_lr=1e-4,
            warmup=100,
            weight_decay=0.1,
            betas=(0.9, 0.99),
            grad_clip=1.0,
        ),
        None,
        "nanoGPT's CPU recipe for Shakespeare (README), on our split",
    ),
    "fast": Recipe(
        GPTConfig.gpt2_style(
            vocab_size=VOCAB_SIZE, context=64, n_layer=1, n_head=4, d_model=128, bias=False
        ),
        TrainConfig(
            batch_size=32,
            context=64,
            tokens=800_000,
            lr=1.2e-2,
            min_lr=1.2e-3,
            warmup=50,
            optimizer="muon",
            muon_lr=0.02,
        ),
        None,
        "our fastest to nanogpt-cpu's validation loss: 1 layer, Muon, batch 32, AdamW lr 1.2e-2",
    ),
    "notebook": Recipe(
        GPTConfig.gpt2_style(
            vocab_size=VOCAB_SIZE, context=64, n_layer=2, n_head=4, d_model=128, bias=False
        ),
        TrainConfig(
            batch_size=32,
            context=64,
            tokens=800_000,
            lr=1.2e-2,
            min_lr=1.2e-3,
            warmup=50,
            optimizer="muon",
            muon_lr=0.02,
            eval_every=50,
            eval_tokens=8192,
        ),
        1,
        "notebook 07's live run: fast's recipe with 2 layers, about 30 s on one thread",
    ),
    "shakespeare": Recipe(
        GPTConfig.gpt2_style(
            vocab_size=VOCAB_SIZE, context=128, n_layer=6, n_head=5, d_model=160, bias=False
        ),
        TrainConfig(
            batch_size=24,
            context=128,
            tokens=2_400_000,
            lr=1e-2,
            min_lr=1e-3,
            warmup=50,
            optimizer="muon",
            muon_lr=0.02,
            muon_precision="bfloat16",  # as torch.optim.Muon, with which it was trained
            eval_every=100,
        ),
        1,
        "the shipped checkpoint (assets/gpt_shakespeare.pt) of notebooks 07-10",
    ),
}


def recipe(name: str) -> Recipe:
    """The named configuration; a ValueError lists the names for an unknown one."""
    if name not in RECIPES:
        raise ValueError(f"unknown config {name!r}; the configs are: {', '.join(RECIPES)}")
    return RECIPES[name]


def load_shakespeare_gpt() -> tuple[GPT, CharTokenizer, dict]:
    """The shipped checkpoint: (model in eval mode, its character tokenizer, its metadata).

    The metadata records the recipe (model_config, train_config, seed, threads), the training
    curve and "valid_loss", nats per character on the whole validation split, which
    tests/pretraining/test_trainer.py recomputes. Loaded with torch.load(weights_only=True).
    """
    file = data.path(SHIPPED)  # checks the sha256; says how to rebuild a missing or bad file
    blob = torch.load(file, map_location="cpu", weights_only=True)
    meta = blob["meta"]
    tokenizer = shakespeare_tokenizer()
    if meta["chars"] != tokenizer.chars:
        raise data.AssetError(
            f"{file} was trained on a different alphabet than the shipped corpus's; rebuild it "
            f"with: {data.manifest()[SHIPPED]['rebuild']}"
        )
    model = GPT(GPTConfig(**meta["model_config"]))
    model.load_state_dict(blob["state_dict"])
    return model.eval(), tokenizer, meta


def describe(r: Recipe) -> dict[str, object]:
    """A recipe as plain values (for checkpoint metadata and JSON)."""
    return {"model_config": asdict(r.model), "train_config": asdict(r.train), "threads": r.threads}
