"""Typical wrong answers per exercise, one module per notebook (nbNN.py, each with a dict WRONG:
exercise id -> [(wrong function, words its failure message must contain), ...]).

Every code exercise needs at least three, each plausible: it agrees with the reference on the
easy cases and is caught only by a case written to tell it apart (competing cases, edge rows,
different scales); tests/exercises/test_exercises.py checks that each fails with a
message containing its words.
"""

import importlib
import pkgutil

SPECIFIC_WRONG: dict[str, list] = {}
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    SPECIFIC_WRONG |= importlib.import_module(f"{__name__}.{_info.name}").WRONG
