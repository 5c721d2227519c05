"""Test-time scaling: turn k sampled verdicts into one (paper §C.5 and Table 12).

Each function takes the samples of one presentation in generation order; ``None`` is an unparseable sample.
One rule for every aggregate: an unparseable sample is an abstention. It is drawn (it counts in the samples
used) but it is never a vote, carries no weight and neither extends nor breaks an early-stop run; the aggregate is
``None`` (scored wrong) only when no sample parsed. Ties go to the candidate that appeared first.
"""

from collections import Counter
from collections.abc import Sequence

EARLY_STOP_RUN = 3  # stop after this many identical consecutive parsed answers (Table 12)
EARLY_STOP_MAX = 16  # and never draw more than this many samples


def _first_best(scores: dict[str, float], answers: Sequence[str | None]) -> str | None:
    """The highest-scoring candidate; among equals, the one sampled first; ``None`` when nothing parsed."""
    if not scores:
        return None
    best = max(scores.values())
    return next(a for a in answers if a is not None and scores.get(a) == best)


def vote(answers: Sequence[str | None]) -> str | None:
    """Majority vote over the parsed samples (vote@k)."""
    return _first_best(dict(Counter(a for a in answers if a is not None)), answers)


def any_correct(answers: Sequence[str | None], gold: str) -> bool:
    """any@k: right if at least one sample is."""
    return gold in answers


def confidence_vote(answers: Sequence[str | None], probs: Sequence[float | None]) -> str | None:
    """Parsed samples' votes weighted by the answer token's probability (weight 1 where a backend gives none)."""
    scores: dict[str, float] = {}
    for answer, prob in zip(answers, probs):
        if answer is not None:
            scores[answer] = scores.get(answer, 0.0) + (1.0 if prob is None else prob)
    return _first_best(scores, answers)


def early_stop(
    answers: Sequence[str | None], run: int = EARLY_STOP_RUN, cap: int = EARLY_STOP_MAX
) -> tuple[str | None, int]:
    """(verdict, samples used): stop at ``run`` identical consecutive parsed answers, else vote over ``cap``."""
    drawn = list(answers[:cap])
    parsed: list[str] = []
    for used, answer in enumerate(drawn, start=1):
        if answer is None:
            continue
        parsed.append(answer)
        if len(parsed) >= run and len(set(parsed[-run:])) == 1:
            return answer, used
    return vote(drawn), len(drawn)
