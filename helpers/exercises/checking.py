"""The machinery behind self-checking exercises: exercises, review questions and their results.

A code exercise runs the learner's function on several cases, compares each result with the
reference solution's and reports the first mismatch in plain words. It never raises because of
the learner's code: exceptions, `None`, wrong types or shapes, NaN and endless loops (a time
limit) all become a failed `Result` with a message.
"""

from __future__ import annotations

import copy
import inspect
import math
import signal
import threading
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from numbers import Number, Real
from typing import Any

import numpy as np

NOT_ATTEMPTED = (
    "not attempted yet: replace `raise NotImplementedError` with your code, then re-run."
)


@dataclass(frozen=True)
class Result:
    """The outcome of checking one answer. `attempted` is False for a NotImplementedError."""

    passed: bool
    message: str
    attempted: bool = True


@dataclass(frozen=True)
class Case:
    """One input to a code exercise: positional and keyword arguments, and how to show them."""

    args: tuple = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    label: str | None = None

    def describe(self) -> str:
        if self.label is not None:
            return self.label
        parts = [short_repr(a) for a in self.args]
        parts += [f"{k}={short_repr(v)}" for k, v in self.kwargs.items()]
        return ", ".join(parts)


class LearnerTimeout(Exception):
    """Raised inside the learner's code when it runs past the time limit."""


@contextmanager
def time_limit(seconds: float):
    """Interrupt the body after `seconds` with LearnerTimeout (main thread on POSIX only).

    Jupyter runs cells in the main thread, where SIGALRM can interrupt a runaway Python loop.
    Elsewhere (threads, Windows) the body runs without a limit.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise LearnerTimeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def short_repr(value: Any, limit: int = 120) -> str:
    """A one-line representation of `value`, cut to `limit` characters."""
    if _is_tensor(value):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=4, threshold=12, edgeitems=3, linewidth=10_000):
            text = f"array({np.array2string(value, separator=', ')}, shape={value.shape})"
    elif isinstance(value, float):
        text = f"{value:.6g}"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _as_array(value: Any) -> np.ndarray | None:
    if _is_tensor(value):
        return value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return array


def describe_mismatch(
    expected: Any, got: Any, rtol: float = 1e-6, atol: float = 1e-9
) -> str | None:
    """Return None when `got` matches `expected`, else a short explanation of the first difference.

    Numbers and arrays compare with tolerances; sequences and mappings compare element by element
    (a list and a tuple with equal items match); anything else compares with ==.
    """
    if got is None and expected is not None:
        return "your function returned None: did you forget a `return` statement?"
    if isinstance(expected, np.ndarray) or _is_tensor(expected):
        return _array_mismatch(_as_array(expected), got, rtol, atol)
    if isinstance(expected, bool) or isinstance(got, bool):
        if type(got) is not type(expected) and not isinstance(got, np.bool_):
            return f"expected a bool ({expected}), got {type(got).__name__}"
        return None if bool(got) == bool(expected) else f"expected {expected}, got {got}"
    if isinstance(expected, Real):
        return _number_mismatch(float(expected), got, rtol, atol)
    if isinstance(expected, str):
        if not isinstance(got, str):
            return f"expected a str, got {type(got).__name__}"
        return None if got == expected else f"expected {expected!r}, got {got!r}"
    if isinstance(expected, Mapping):
        return _mapping_mismatch(expected, got, rtol, atol)
    if isinstance(expected, Sequence):
        return _sequence_mismatch(expected, got, rtol, atol)
    try:
        equal = bool(got == expected)
    except Exception:
        equal = False
    return None if equal else f"expected {short_repr(expected)}, got {short_repr(got)}"


Variant = tuple[Callable[[], Any], str]  # a typical mistake: how to compute it, and the advice


def first_match(got: Any, variants: list[Variant]) -> str | None:
    """The advice of the first typical mistake whose result equals `got` (a diagnosis helper:
    recompute each mistake on the failing case, name the one the learner's answer matches)."""
    for compute, advice in variants:
        try:
            with np.errstate(all="ignore"):
                want = compute()
            if describe_mismatch(want, got) is None:
                return advice
        except Exception:
            continue
    return None


def _number_mismatch(expected: float, got: Any, rtol: float, atol: float) -> str | None:
    if _is_tensor(got) or isinstance(got, np.ndarray):
        if np.size(got) != 1:
            return f"expected a single number, got an array of shape {tuple(np.shape(got))}"
        got = np.asarray(_as_array(got)).item()
    if not isinstance(got, Number) or isinstance(got, complex):
        return f"expected a number, got {type(got).__name__}"
    got = float(got)
    if math.isnan(got) and not math.isnan(expected):
        return "expected a number, got nan"
    if math.isinf(expected) or math.isinf(got):
        return None if got == expected else f"expected {expected:.6g}, got {got:.6g}"
    if math.isclose(got, expected, rel_tol=rtol, abs_tol=atol):
        return None
    return f"expected {expected:.6g}, got {got:.6g}"


def _array_mismatch(expected: np.ndarray, got: Any, rtol: float, atol: float) -> str | None:
    got_array = _as_array(got)
    if got_array is None or got_array.dtype == object:
        return f"expected an array of numbers, got {type(got).__name__}"
    if got_array.shape != expected.shape:
        return f"expected shape {expected.shape}, got shape {got_array.shape}"
    if np.isnan(got_array).any() and not np.isnan(expected).any():
        return "your result contains nan (not a number): look for 0/0 or inf - inf"
    close = np.isclose(got_array, expected, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    where = tuple(int(i) for i in np.argwhere(~close)[0])
    position = where[0] if len(where) == 1 else where
    return (
        f"at position {position} expected {expected[where]:.6g}, got {got_array[where]:.6g} "
        f"({int((~close).sum())} of {close.size} entries differ)"
    )


def _sequence_mismatch(expected: Sequence, got: Any, rtol: float, atol: float) -> str | None:
    if isinstance(got, str | bytes) or not isinstance(got, Sequence | np.ndarray):
        return f"expected a {type(expected).__name__}, got {type(got).__name__}"
    if len(got) != len(expected):
        return f"expected {len(expected)} items, got {len(got)}"
    for i, (e, g) in enumerate(zip(expected, got, strict=True)):
        problem = describe_mismatch(e, g, rtol, atol)
        if problem is not None:
            return f"item {i}: {problem}"
    return None


def _mapping_mismatch(expected: Mapping, got: Any, rtol: float, atol: float) -> str | None:
    if not isinstance(got, Mapping):
        return f"expected a dict, got {type(got).__name__}"
    missing = [k for k in expected if k not in got]
    if missing:
        return f"missing key {missing[0]!r} ({len(missing)} missing)"
    extra = [k for k in got if k not in expected]
    if extra:
        return f"unexpected key {extra[0]!r} ({len(extra)} extra)"
    for key in expected:
        problem = describe_mismatch(expected[key], got[key], rtol, atol)
        if problem is not None:
            return f"for key {key!r}: {problem}"
    return None


def _plain_data(value: Any) -> bool:
    """Whether `value` is data that compares by content (numbers, strings, arrays, tensors and
    containers of them), so that a change to it can be told from a copy of it."""
    if value is None or isinstance(value, Number | str | bytes | np.ndarray) or _is_tensor(value):
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return all(_plain_data(v) for v in value)
    if isinstance(value, dict):
        return all(_plain_data(k) and _plain_data(v) for k, v in value.items())
    return False


def _same(a: Any, b: Any) -> bool:
    """Exact equality of plain data (nan equal to nan), for spotting changed inputs."""
    if isinstance(a, np.ndarray) or _is_tensor(a):
        x, y = _as_array(a), _as_array(b)
        return (
            y is not None
            and x.shape == y.shape
            and np.array_equal(x, y, equal_nan=x.dtype.kind == "f")
        )
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def _changed_argument(
    case: Case, args: tuple, kwargs: dict, reference: Callable[..., Any]
) -> str | None:
    """The name of the first argument the learner's call changed (as the reference names its
    parameters), if any."""
    names = list(inspect.signature(reference).parameters)
    originals = [
        (names[i] if i < len(names) else f"argument {i + 1}", a, b)
        for i, (a, b) in enumerate(zip(case.args, args, strict=True))
    ]
    originals += [(name, case.kwargs[name], kwargs[name]) for name in case.kwargs]
    for where, original, after in originals:
        if not _plain_data(original):
            continue
        try:
            same = _same(original, after)
        except Exception:
            continue
        if not same:
            return where
    return None


def _describe_exception(exc: BaseException) -> str:
    """The exception and the line of the learner's code that raised it."""
    frames = traceback.extract_tb(exc.__traceback__)
    learner = [f for f in frames if f.filename != __file__]
    where = f" (line: {learner[-1].line.strip()})" if learner and learner[-1].line else ""
    return f"{type(exc).__name__}: {exc}{where}"


Diagnose = Callable[[Case, Any, Any], str | None]


@dataclass
class Exercise:
    """A code exercise: the learner writes a function that should behave like `reference`.

    `cases` builds the inputs (a function, so each run gets fresh objects). `diagnose(case,
    expected, got)` may recognise a typical mistake and return a specific nudge. `nudge` is the
    general advice shown when no diagnosis applies.
    """

    id: str
    title: str
    reference: Callable[..., Any]
    cases: Callable[[], list[Case]]
    hints: list[str]
    nudge: str = "compare your steps with the formula in the text above."
    diagnose: Diagnose | None = None
    rtol: float = 1e-6
    atol: float = 1e-9
    seconds: float = 5.0

    def run(self, answer: Any) -> Result:
        """Check `answer` (the learner's function) on every case; never raises."""
        if not callable(answer):
            return Result(
                False,
                f"expected a function, got {type(answer).__name__}. Pass the function itself, "
                f"without calling it: check({self.id!r}, my_function).",
            )
        cases = self.cases()
        for case in cases:
            expected = self.reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
            outcome = self._call(answer, case)
            if isinstance(outcome, Result):
                return outcome
            problem = describe_mismatch(expected, outcome, self.rtol, self.atol)
            if problem is not None:
                return Result(False, self._explain(case, expected, outcome, problem))
        return Result(True, f"all {len(cases)} test cases pass.")

    def _call(self, answer: Callable[..., Any], case: Case) -> Any:
        args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
        try:
            # The verdict explains overflow and nan itself; numpy's warnings would only add noise.
            with time_limit(self.seconds), np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = answer(*args, **kwargs)
        except NotImplementedError:
            return Result(False, NOT_ATTEMPTED, attempted=False)
        except LearnerTimeout:
            return Result(
                False,
                f"for input {case.describe()} your function ran longer than {self.seconds:g} s "
                "and was stopped: is there a loop that never ends?",
            )
        except RecursionError:
            return Result(False, f"for input {case.describe()}: infinite recursion.")
        except Exception as exc:
            return Result(
                False,
                f"for input {case.describe()} your function raised {_describe_exception(exc)}",
            )
        changed = _changed_argument(case, args, kwargs, self.reference)
        if changed is not None:
            return Result(
                False,
                f"for input {case.describe()} your function changed `{changed}` in place. Leave "
                "the inputs as they are and build the result as a new object (copy first, e.g. "
                "with .copy() or list(...), if you want to start from the input).",
            )
        return result

    def _explain(self, case: Case, expected: Any, got: Any, problem: str) -> str:
        advice = None
        if self.diagnose is not None:
            try:
                advice = self.diagnose(case, expected, got)
            except Exception:
                advice = None
        return (
            f"for input {case.describe()}\n"
            f"   expected: {short_repr(expected)}\n"
            f"   got:      {short_repr(got)}\n"
            f"   {problem}.\n"
            f"   Hint: {advice or self.nudge}"
        )

    def solution_text(self) -> str:
        return inspect.getsource(self.reference)


class ReviewQuestion:
    """What multiple-choice and numeric review questions share: the question is the title and the
    correct answer is the reference."""

    question: str
    answer: Any

    @property
    def title(self) -> str:
        return self.question

    @property
    def reference(self) -> Any:
        return self.answer


@dataclass
class MultipleChoice(ReviewQuestion):
    """A review question with lettered options, the correct letter, and why each option is right or
    wrong (`explanations`, shown after an answer)."""

    id: str
    question: str
    options: dict[str, str]
    answer: str
    explanations: dict[str, str]
    hints: list[str] = field(default_factory=list)

    def run(self, answer: Any) -> Result:
        if answer is None or answer is Ellipsis:
            return Result(
                False,
                "not answered yet: set your answer to one of "
                f"{', '.join(map(repr, self.options))}.",
                attempted=False,
            )
        if not isinstance(answer, str) or answer.strip().lower() not in self.options:
            return Result(
                False,
                f"answer with one of {', '.join(map(repr, self.options))}, "
                f"got {short_repr(answer)}.",
            )
        letter = answer.strip().lower()
        why = self.explanations.get(letter, "")
        if letter == self.answer:
            return Result(True, f"correct. {why}".strip())
        return Result(False, f"({letter}) is not right. {why}".strip())

    def solution_text(self) -> str:
        return (
            f"({self.answer}) {self.options[self.answer]}\n{self.explanations.get(self.answer, '')}"
        )

    def describe(self) -> str:
        lines = [self.question] + [f"  ({k}) {v}" for k, v in self.options.items()]
        return "\n".join(lines)


@dataclass
class NumericAnswer(ReviewQuestion):
    """A review question answered with a number, accepted within a relative `tolerance`."""

    id: str
    question: str
    answer: float
    explanation: str
    tolerance: float = 0.01
    hints: list[str] = field(default_factory=list)

    def run(self, answer: Any) -> Result:
        if answer is None or answer is Ellipsis:
            return Result(False, "not answered yet: set your answer to a number.", attempted=False)
        if isinstance(answer, bool) or not isinstance(answer, Real):
            return Result(False, f"answer with a number, got {type(answer).__name__}.")
        if math.isclose(float(answer), self.answer, rel_tol=self.tolerance, abs_tol=1e-12):
            return Result(True, f"correct. {self.explanation}")
        direction = "too high" if answer > self.answer else "too low"
        return Result(False, f"{answer:g} is {direction}.")

    def solution_text(self) -> str:
        return f"{self.answer:g}. {self.explanation}"

    def describe(self) -> str:
        return self.question


Checkable = Exercise | MultipleChoice | NumericAnswer
