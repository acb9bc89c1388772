"""Helpers for the 'How LLMs work' series: tested reference versions of what notebooks build.

Importing this package is cheap (no torch, no matplotlib). It also makes `tiktoken.get_encoding`
work offline for gpt2, r50k_base, cl100k_base and o200k_base (see `helpers.tokens.encodings`).

    from helpers import set_seed, default_device, check, hint, solution
"""

from helpers.device import default_device
from helpers.exercises import check, hint, solution
from helpers.reproducibility import set_seed
from helpers.tokens import encodings as _encodings

_encodings.register_offline_encodings()

__all__ = ["check", "default_device", "hint", "set_seed", "solution"]
