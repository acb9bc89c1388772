"""A task that needs pre-caching, in miniature (Wu, Morris & Levine 2024, section 4).

Inputs x_n ~ N(0, 1); the target at n is y_n = sum_{i=1..K} sin(a x_{n-i}) (terms before the
start are left out, so y_0 = 0). The feature sin(a x_n) is useless for y_n itself and needed only
by the K later positions. A Transformer can solve this only by computing sin(a x_n) at position
n *for later use*: a vanilla model learns to, a myopic one (helpers.pretraining.myopic) cannot.

    model, losses = train_precaching()                  # vanilla; about 20 s on one CPU thread
    myopic, _ = train_precaching(past="recompute")      # myopic (helpers.pretraining.myopic)
    scores = evaluate_precaching(model)                 # R^2 on y, linear probes for sin(a x_n)

The model is our GPT's blocks (helpers.transformer.gpt.Block) reading a real number per position
through a linear input embedding, with learned positions and a linear read-out.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from helpers.pretraining.myopic import PASTS, Past, myopic_blocks
from helpers.transformer.gpt import Block, GPTConfig

LENGTH, K, A = 32, 10, 3.0


def sample_task(
    batch_size: int, generator: torch.Generator, length: int = LENGTH, k: int = K, a: float = A
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of the task: inputs x (batch_size, length) ~ N(0, 1) and targets y of the same
    shape, y[:, n] = sum of sin(a x[:, n-i]) for i = 1..k with n-i >= 0."""
    for name, value in [("batch_size", batch_size), ("length", length), ("k", k)]:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    x = torch.randn(batch_size, length, generator=generator)
    s = torch.sin(a * x)
    y = torch.zeros_like(x)
    for i in range(1, min(k, length - 1) + 1):  # position n receives s_{n-i}
        y[:, i:] += s[:, :-i]
    return x, y


class ContinuousGPT(nn.Module):
    """GPT blocks on real-valued sequences: x (B, T) -> predictions (B, T).

    Each x_n enters through a linear embedding (1 -> d_model) plus a learned position embedding;
    the final-normed stream is read out linearly. `past` selects the gradients: None (vanilla),
    "recompute" (myopic) or "detach" (the naive variant); the values are the same for all three.
    """

    def __init__(self, n_layer: int = 2, d_model: int = 48, n_head: int = 4, length: int = LENGTH):
        super().__init__()
        self.cfg = GPTConfig.gpt2_style(
            vocab_size=1, context=length, n_layer=n_layer, n_head=n_head, d_model=d_model
        )
        self.embed = nn.Linear(1, d_model)
        self.pos_emb = nn.Embedding(length, d_model)
        self.blocks = nn.ModuleList(Block(self.cfg) for _ in range(n_layer))
        self.norm = nn.LayerNorm(d_model)
        self.readout = nn.Linear(d_model, 1)

    def _embed(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.ndim != 2 or not x.is_floating_point():
            raise TypeError(f"x must be a float tensor of shape (B, T), got {x!r:.60}")
        if x.shape[1] > self.cfg.context:
            raise ValueError(f"x has {x.shape[1]} positions, the model reads {self.cfg.context}")
        return self.embed(x[..., None]) + self.pos_emb(torch.arange(x.shape[1]))

    def hidden_states(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The residual stream (B, T, d_model) after each block, as a list of n_layer tensors."""
        h, states = self._embed(x), []
        for block in self.blocks:
            h = block(h, None)
            states.append(h)
        return states

    def forward(self, x: torch.Tensor, past: Past | None = None) -> torch.Tensor:
        """x (B, T) -> predictions (B, T)."""
        if past is None:
            h = self.hidden_states(x)[-1]
        else:
            h = myopic_blocks(self.blocks, self._embed(x), None, past)
        return self.readout(self.norm(h)).squeeze(-1)


def train_precaching(
    past: Past | None = None,
    steps: int = 1200,
    batch_size: int = 32,
    lr: float = 3e-3,
    seed: int = 0,
    progress: bool = True,
    **model_kwargs: object,
) -> tuple[ContinuousGPT, list[float]]:
    """Train a ContinuousGPT on fresh batches of the task (mean squared error over every
    position) with AdamW and a cosine decay of the learning rate to 0: vanilla (past=None),
    myopic ("recompute") or the naive variant ("detach"). Deterministic for a seed at a fixed
    thread count. Returns the model (in eval mode) and the training loss of every step."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if past is not None and past not in PASTS:
        raise ValueError(f"past must be None (vanilla) or one of {PASTS}, got {past!r}")
    torch.manual_seed(seed)
    model = ContinuousGPT(**model_kwargs)
    generator = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    losses = []
    desc = {None: "vanilla", "recompute": "myopic", "detach": "detached K/V"}[past]
    for step in tqdm(range(steps), disable=not progress, desc=desc, leave=False):
        for group in opt.param_groups:
            group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / steps))
        x, y = sample_task(batch_size, generator, length=model.cfg.context)
        loss = F.mse_loss(model(x, past), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model.eval(), losses


def r_squared(prediction: torch.Tensor, target: torch.Tensor) -> float:
    """1 - (sum of squared errors) / (sum of squares about the target's mean), over all
    entries: 1 is perfect, 0 is no better than predicting the mean."""
    if prediction.shape != target.shape:
        raise ValueError(f"shapes differ: {tuple(prediction.shape)} vs {tuple(target.shape)}")
    target = target.double()
    error = ((prediction.double() - target) ** 2).sum()
    spread = ((target - target.mean()) ** 2).sum()
    return float(1 - error / spread)


def linear_probe_r2(features: torch.Tensor, target: torch.Tensor, fit: int) -> float:
    """Fit target ≈ features @ w + b by least squares on the first `fit` rows of features
    (N, D) and target (N,); return the R^2 on the remaining rows (held out)."""
    design = torch.cat([features.double(), torch.ones(len(features), 1, dtype=torch.float64)], 1)
    target = target.double()
    w = torch.linalg.lstsq(design[:fit], target[:fit, None]).solution
    return r_squared(design[fit:] @ w[:, 0], target[fit:])


@torch.no_grad()
def evaluate_precaching(
    model: ContinuousGPT, batch_size: int = 1024, seed: int = 12345, a: float = A
) -> dict[str, object]:
    """Score a trained model on fresh sequences (seeded): "r2", its R^2 on y over all positions,
    and "probe_r2", for each block, the held-out R^2 of a linear probe reading sin(a x_n) from
    the residual stream at position n (fitted on half the sequences, tested on the rest)."""
    generator = torch.Generator().manual_seed(seed)
    x, y = sample_task(batch_size, generator, length=model.cfg.context, a=a)
    states = model.hidden_states(x)
    prediction = model.readout(model.norm(states[-1])).squeeze(-1)
    feature = torch.sin(a * x).flatten()
    fit = (batch_size // 2) * x.shape[1]  # rows are (sequence, position): split by sequence
    probes = [linear_probe_r2(h.flatten(0, 1), feature, fit) for h in states]
    return {"r2": r_squared(prediction, y), "probe_r2": probes}
