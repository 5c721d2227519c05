"""Test-time scaling: turn k sampled verdicts into one (paper §C.5 and Table 12).

Each function takes the samples of one presentation in generation order; ``None`` is an unparseable sample. It is
never a vote for either answer, so it can only make a presentation wrong; where ``None`` is the most frequent
"verdict", the aggregate is ``None`` (wrong). Ties go to the candidate that appeared first.
"""

from collections import Counter
from collections.abc import Sequence

EARLY_STOP_RUN = 3  # stop after this many identical consecutive answers (Table 12)
EARLY_STOP_MAX = 16  # and never draw more than this many samples


def _first_best(scores: dict[str | None, float], answers: Sequence[str | None]) -> str | None:
    """The highest-scoring candidate; among equals, the one sampled first."""
    best = max(scores.values())
    return next(a for a in answers if scores.get(a) == best)


def vote(answers: Sequence[str | None]) -> str | None:
    """Majority vote (vote@k)."""
    if not answers:
        return None
    return _first_best(dict(Counter(answers)), answers)


def any_correct(answers: Sequence[str | None], gold: str) -> bool:
    """any@k: right if at least one sample is."""
    return gold in answers


def confidence_vote(answers: Sequence[str | None], probs: Sequence[float | None]) -> str | None:
    """Votes weighted by the answer token's probability (weight 1 where a backend gives none)."""
    scores: dict[str | None, float] = {}
    for answer, prob in zip(answers, probs):
        if answer is not None:
            scores[answer] = scores.get(answer, 0.0) + (1.0 if prob is None else prob)
    return _first_best(scores, answers) if scores else None


def early_stop(
    answers: Sequence[str | None], run: int = EARLY_STOP_RUN, cap: int = EARLY_STOP_MAX
) -> tuple[str | None, int]:
    """(verdict, samples used): stop at ``run`` identical consecutive answers, else majority over ``cap`` samples."""
    drawn = list(answers[:cap])
    for used in range(run, len(drawn) + 1):
        window = drawn[used - run : used]
        if len(set(window)) == 1:
            return window[0], used
    return vote(drawn), len(drawn)
