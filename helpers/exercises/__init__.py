"""Self-checking exercises and review questions for every notebook.

    check("00.1", softmax)   # prints ✅ or ❌ with what is wrong; returns True/False
    hint("00.1")             # the next hint, one at a time
    solution("00.1")         # the reference solution

`REGISTRY` maps every id ("NN.k" for exercises, "NN.qk" for review questions) to its exercise.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict
from typing import Any

from helpers.exercises.checking import (
    Case,
    Checkable,
    Exercise,
    MultipleChoice,
    NumericAnswer,
    Result,
)

# One module per notebook, named nbNN_topic, each with a list EXERCISES; found automatically.
MODULES = tuple(
    importlib.import_module(f"{__name__}.{info.name}")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
    if info.name.startswith("nb")
)

REGISTRY: dict[str, Checkable] = {ex.id: ex for module in MODULES for ex in module.EXERCISES}

_hints_shown: defaultdict[str, int] = defaultdict(int)


def get(exercise_id: Any) -> Checkable:
    """The exercise with this id, or a KeyError that lists the ids of the same notebook."""
    if isinstance(exercise_id, str) and exercise_id in REGISTRY:
        return REGISTRY[exercise_id]
    prefix = str(exercise_id).split(".")[0]
    same_notebook = [i for i in REGISTRY if i.startswith(prefix + ".")]
    known = same_notebook or sorted(REGISTRY)
    raise KeyError(f"unknown exercise id {exercise_id!r}; known ids: {', '.join(known)}")


def run(exercise_id: str, answer: Any) -> Result:
    """Check `answer` against exercise `exercise_id` and return the Result (never raises)."""
    try:
        exercise = get(exercise_id)
    except KeyError as err:
        return Result(False, err.args[0])
    return exercise.run(answer)


def check(exercise_id: str, answer: Any) -> bool:
    """Print whether `answer` solves exercise `exercise_id`, with what is wrong; return passed."""
    result = run(exercise_id, answer)
    if not result.attempted:
        print(f"⏳ {exercise_id}: {result.message}")
    elif result.passed:
        print(f"✅ {exercise_id}: {result.message}")
    else:
        has_hints = exercise_id in REGISTRY and REGISTRY[exercise_id].hints
        more = f'\n   Stuck? hint("{exercise_id}")' if has_hints else ""
        print(f"❌ {exercise_id}: {result.message}{more}")
    return result.passed


def _get_or_explain(exercise_id: Any) -> Checkable | None:
    """The exercise, or None after printing why the id is unknown (for notebook-facing calls)."""
    try:
        return get(exercise_id)
    except KeyError as err:
        print(err.args[0])
        return None


def hint(exercise_id: str) -> None:
    """Print the next hint for `exercise_id` (hints are revealed one at a time)."""
    exercise = _get_or_explain(exercise_id)
    if exercise is None:
        return
    hints = exercise.hints
    shown = _hints_shown[exercise_id]
    if shown >= len(hints):
        print(f'No more hints for {exercise_id}. solution("{exercise_id}") shows the answer.')
        return
    _hints_shown[exercise_id] = shown + 1
    print(f"💡 Hint {shown + 1}/{len(hints)} for {exercise_id}: {hints[shown]}")


def solution(exercise_id: str) -> None:
    """Print the reference solution of `exercise_id`."""
    exercise = _get_or_explain(exercise_id)
    if exercise is None:
        return
    print(f"Solution of {exercise_id} ({exercise.title}):\n")
    print(exercise.solution_text())


__all__ = [
    "REGISTRY",
    "Case",
    "Exercise",
    "MultipleChoice",
    "NumericAnswer",
    "Result",
    "check",
    "get",
    "hint",
    "run",
    "solution",
]
