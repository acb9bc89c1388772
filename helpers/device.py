"""Choosing where tensors live: the CPU by default, a GPU when one is present and asked for."""

from __future__ import annotations

import os


def default_device(prefer_gpu: bool | None = None) -> str:
    """Return "cuda", "mps" or "cpu".

    The series runs on the CPU unless a GPU is present *and* wanted: pass `prefer_gpu=True`, or set
    the environment variable `LLM_SERIES_GPU=1`. CPU by default keeps results identical across
    machines (GPU kernels differ in the last bits) and avoids a slow first CUDA call in short demos.
    """
    if prefer_gpu is None:
        prefer_gpu = os.environ.get("LLM_SERIES_GPU", "0") not in ("", "0", "false", "no")
    if not prefer_gpu:
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"
