"""The exercise system: references pass, wrong answers fail with a message, nothing raises."""

from __future__ import annotations

import copy
import math
import time

import numpy as np
import pytest

from helpers import exercises
from helpers.exercises import (
    REGISTRY,
    Exercise,
    MultipleChoice,
    NumericAnswer,
    check,
    hint,
    solution,
)

from wrong_answers import SPECIFIC_WRONG

CODE = {i: ex for i, ex in REGISTRY.items() if isinstance(ex, Exercise)}
REVIEW = {i: ex for i, ex in REGISTRY.items() if not isinstance(ex, Exercise)}


def _perturb(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | np.integer):
        return int(value) + 1
    if isinstance(value, float):
        return 0.0 if math.isinf(value) else value + 0.5 + abs(value) * 0.1
    if isinstance(value, np.ndarray):
        return value + 0.1
    if type(value).__module__.startswith("torch"):  # a tensor (torch is imported only if used)
        return value + 0.1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list | tuple):
        return [*value, value[-1] if value else 0]
    if isinstance(value, dict):
        return {**value, "__extra__": 1}
    raise TypeError(type(value))


@pytest.mark.parametrize("exercise_id", sorted(REGISTRY))
def test_reference_passes(exercise_id):
    exercise = REGISTRY[exercise_id]
    result = exercise.run(exercise.reference)
    assert result.passed, result.message


@pytest.mark.parametrize("exercise_id", sorted(CODE))
def test_generic_wrong_answers_fail_without_raising(exercise_id):
    exercise = CODE[exercise_id]

    def returns_none(*args, **kwargs):
        return None

    def raises(*args, **kwargs):
        raise ValueError("boom")

    def perturbed(*args, **kwargs):
        return _perturb(exercise.reference(*args, **kwargs))

    def wrong_type(*args, **kwargs):
        return "a string"

    for wrong, words in [
        (returns_none, "returned None"),
        (raises, "raised ValueError: boom"),
        (perturbed, "expected"),
        (wrong_type, "expected"),
        (42, "expected a function"),
    ]:
        result = exercise.run(wrong)
        assert not result.passed and result.attempted
        assert words in result.message, (wrong, result.message)


@pytest.mark.parametrize("exercise_id", sorted(CODE))
def test_not_implemented_is_not_attempted(exercise_id):
    def stub(*args, **kwargs):
        raise NotImplementedError

    result = CODE[exercise_id].run(stub)
    assert not result.passed and not result.attempted
    assert "not attempted yet" in result.message


@pytest.mark.parametrize("exercise_id", sorted(CODE))
def test_each_exercise_has_specific_wrong_answers_with_specific_messages(exercise_id):
    wrong_answers = SPECIFIC_WRONG.get(exercise_id, [])
    assert len(wrong_answers) >= 3, f"add typical wrong answers for {exercise_id}"
    for wrong, words in wrong_answers:
        result = CODE[exercise_id].run(wrong)
        assert not result.passed, wrong.__name__
        assert words in result.message, (wrong.__name__, result.message)
        assert "for input" in result.message


@pytest.mark.parametrize("exercise_id", sorted(CODE))
def test_every_exercise_has_hints_and_several_cases(exercise_id):
    exercise = CODE[exercise_id]
    assert exercise.hints and len(exercise.cases()) >= 4
    assert exercise.solution_text().startswith("def ")


def test_endless_loop_is_stopped_by_the_time_limit():
    exercise = CODE["00.4"]
    slow = Exercise(**{**exercise.__dict__, "seconds": 0.5})

    def loops(target_probs):
        while True:
            pass

    start = time.perf_counter()
    result = slow.run(loops)
    assert time.perf_counter() - start < 3
    assert not result.passed and "ran longer than 0.5 s" in result.message


def test_nan_and_wrong_shape_are_reported():
    exercise = CODE["00.1"]
    nan = exercise.run(lambda logits, temperature=1.0: np.full_like(logits, np.nan, dtype=float))
    assert "nan" in nan.message
    shape = exercise.run(lambda logits, temperature=1.0: np.ones(2))
    assert "expected shape (3,), got shape (2,)" in shape.message


def test_learner_mutating_its_input_is_told_so_and_does_not_change_the_cases():
    def mutates(target_probs):
        value = -np.log(np.asarray(target_probs, dtype=float)).mean()
        target_probs[0] = 0.123
        return float(value)

    result = CODE["00.4"].run(mutates)
    assert not result.passed and "changed `target_probs` in place" in result.message
    assert CODE["00.4"].run(CODE["00.4"].reference).passed  # the cases are fresh every run


@pytest.mark.parametrize("exercise_id", sorted(CODE))
def test_an_answer_that_changes_its_inputs_in_place_fails(exercise_id):
    """Every exercise whose inputs are plain data (lists, dicts, arrays) notices an answer that
    returns the right result but changes an input on the way."""
    exercise = CODE[exercise_id]
    case = exercise.cases()[0]
    if not any(isinstance(a, list | dict | np.ndarray) and len(a) for a in case.args):
        pytest.skip("the first case has no list, dict or array argument to change")

    def right_but_mutates(*args, **kwargs):
        result = exercise.reference(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        for a in args:
            if isinstance(a, list | dict | np.ndarray) and len(a):
                if isinstance(a, dict):
                    a[next(iter(a))] = "changed"
                elif isinstance(a, np.ndarray):
                    a.flat[0] = a.flat[0] + 1 if a.dtype != bool else not a.flat[0]
                else:
                    a.append("changed")
                break
        return result

    result = exercise.run(right_but_mutates)
    assert not result.passed and "in place" in result.message, result.message


@pytest.mark.parametrize("question_id", sorted(REVIEW))
def test_review_questions(question_id):
    q = REVIEW[question_id]
    assert q.run(None).attempted is False
    assert not q.run(object()).passed
    if isinstance(q, MultipleChoice):
        assert q.answer in q.options and set(q.explanations) == set(q.options)
        for letter in q.options:
            result = q.run(letter.upper())
            assert result.passed == (letter == q.answer)
            assert q.explanations[letter] in result.message
        assert "answer with one of" in q.run("z").message
    else:
        assert isinstance(q, NumericAnswer)
        assert q.run(q.answer * (1 + q.tolerance / 2)).passed
        assert "too high" in q.run(q.answer * 2).message
        assert "too low" in q.run(q.answer / 2).message
        assert "number" in q.run("1.4").message


def test_check_prints_verdicts_and_returns_passed(capsys):
    assert check("00.4", REGISTRY["00.4"].reference) is True
    assert "✅ 00.4" in capsys.readouterr().out
    assert check("00.4", SPECIFIC_WRONG["00.4"][0][0]) is False
    out = capsys.readouterr().out
    assert out.startswith("❌ 00.4") and 'hint("00.4")' in out
    assert check("00.4", lambda p: (_ for _ in ()).throw(NotImplementedError())) is False
    assert "⏳ 00.4: not attempted yet" in capsys.readouterr().out


def test_unknown_ids_are_explained_not_raised(capsys):
    assert check("00.99", print) is False
    assert "unknown exercise id '00.99'; known ids: 00.1" in capsys.readouterr().out
    hint("zz")
    solution(None)
    out = capsys.readouterr().out
    assert out.count("unknown exercise id") == 2
    with pytest.raises(KeyError):
        exercises.get("00.99")


def test_hints_are_revealed_one_at_a_time_and_solution_shows_the_source(capsys, monkeypatch):
    monkeypatch.setattr(exercises, "_hints_shown", exercises.defaultdict(int))
    n = len(REGISTRY["00.2"].hints)
    for k in range(1, n + 1):
        hint("00.2")
        assert f"Hint {k}/{n}" in capsys.readouterr().out
    hint("00.2")
    assert "No more hints" in capsys.readouterr().out
    solution("00.2")
    assert "def sample_index(probs, u):" in capsys.readouterr().out
    solution("00.q2")
    assert "(b)" in capsys.readouterr().out
