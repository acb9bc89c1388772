"""Choosing where tensors live (the CPU by default, a GPU when one is present and asked for),
and describing the CPU, whose vector extensions decide how fast torch runs on it."""

from __future__ import annotations

import os
import platform

# The vector extensions that decide torch's CPU speed: AVX2/FMA (nearly every x86 laptop), AVX-512,
# and bfloat16 in hardware (AVX512-BF16, AMX on x86; BF16 on ARM). Without bfloat16 instructions a
# bfloat16 matrix multiply is emulated, about 100x slower than float32.
VECTOR_FLAGS = (
    "avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx_bf16", "asimd", "sve", "bf16",
)  # fmt: skip


def default_device(prefer_gpu: bool | None = None) -> str:
    """Return "cuda", "mps" or "cpu".

    The series runs on the CPU unless a GPU is present *and* wanted: pass `prefer_gpu=True`, or set
    the environment variable `LLM_SERIES_GPU=1`. CPU by default keeps results identical across
    runs (GPU kernels may choose different reduction orders) and avoids a slow first CUDA call in
    short demos. Float results still differ in the last bits between CPU models (other kernels,
    other vector widths), which long training runs amplify; the notebooks say so where it shows.
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


def cpu_description() -> str:
    """The CPU's model name and its vector extensions that matter for torch, e.g.
    "AMD EPYC (avx2 fma avx512f avx512_bf16)". Read from /proc/cpuinfo on Linux; elsewhere the
    platform's processor name, without extensions."""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return platform.processor() or platform.machine()
    fields: dict[str, str] = {}
    for line in info.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    name = fields.get("model name") or fields.get("CPU part") or platform.machine()
    flags = set((fields.get("flags") or fields.get("Features") or "").split())
    present = [flag for flag in VECTOR_FLAGS if flag in flags]
    return f"{name} ({' '.join(present) or 'no listed vector extensions'})"
