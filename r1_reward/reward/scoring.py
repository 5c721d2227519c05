"""Scores decoded policy outputs: parse → result → (gate) → consistency judge → final reward.

The judge is asked only when its verdict can change the reward: with the gated formula only when result = 1
(so judge calls = correct answers); with ``external`` whenever there is a valid answer; never when λ = 0.
No reasoning or no valid answer means consistency 0 without a call. A failed judge either stops the step
(``fail``) or scores consistency 0 and sets ``judge_failed`` (``zero``): never more than a correct judge gives.
Under ``zero`` a failure logs a warning with its cause (the judge's error, which never holds the key), at most one
per ``WARN_EVERY_S`` per process, with the count of failures since the last one.
"""

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Literal

from r1_reward.judge.base import Judge, JudgeError, JudgeRequest
from r1_reward.parse import VALID_ANSWERS, ParsedOutput, parse_output
from r1_reward.reward.formula import RewardScores, RewardWeights, final_reward

FailurePolicy = Literal["fail", "zero"]
FAILURE_POLICIES: tuple[FailurePolicy, ...] = ("fail", "zero")
WARN_EVERY_S = 60.0

logger = logging.getLogger(__name__)


class _RateLimitedWarning:
    """Logs the first judge failure, then at most one per ``WARN_EVERY_S`` with the number since the last."""

    def __init__(self) -> None:
        self.last_logged: float | None = None
        self.unlogged = 0

    def __call__(self, error: JudgeError) -> None:
        self.unlogged += 1
        now = time.monotonic()
        if self.last_logged is not None and now - self.last_logged < WARN_EVERY_S:
            return
        logger.warning(
            "%d consistency check(s) failed and scored 0 (r1_reward.reward.on_judge_failure=zero); latest cause: %s",
            self.unlogged,
            error,
        )
        self.last_logged, self.unlogged = now, 0


_warn_judge_failure = _RateLimitedWarning()


def normalise_ground_truth(ground_truth: object) -> str:
    """The ground truth as "1" or "2" (parquet may hold 1, "1" or " 1 "); anything else is a data error."""
    label = str(ground_truth).strip()
    if label not in VALID_ANSWERS:
        raise ValueError(
            f"ground truth {ground_truth!r} is not 1 or 2: the reward needs reward_model.ground_truth in "
            "{'1', '2'} for every row; rebuild the parquet with `python -m r1_reward.data convert`"
        )
    return label


def needs_judge(parsed: ParsedOutput, result: float, weights: RewardWeights) -> bool:
    """Whether a consistency verdict can change this sample's reward."""
    if weights.consistency == 0.0 or parsed.answer is None or parsed.think is None:
        return False
    return result == 1.0 or weights.combine == "external"


async def _consistency(judge: Judge, parsed: ParsedOutput, on_failure: FailurePolicy) -> tuple[float, float]:
    """(consistency, judge_failed) for one sample that needs the judge."""
    try:
        return float(await judge.judge(JudgeRequest(think=parsed.think, answer=parsed.answer))), 0.0
    except JudgeError as error:
        if on_failure == "fail":
            raise
        _warn_judge_failure(error)
        return 0.0, 1.0


async def score_output(
    text: str, ground_truth: object, judge: Judge, weights: RewardWeights, on_failure: FailurePolicy
) -> RewardScores:
    """The reward and every sub-score of one decoded output."""
    parsed = parse_output(text)
    result = 1.0 if parsed.answer == normalise_ground_truth(ground_truth) else 0.0
    judged = needs_judge(parsed, result, weights)
    consistency, failed = await _consistency(judge, parsed, on_failure) if judged else (0.0, 0.0)
    format_ok = 1.0 if parsed.format_ok else 0.0
    return RewardScores(
        score=final_reward(result, consistency, format_ok, weights),
        format=format_ok,
        result=result,
        consistency=consistency,
        judged=float(judged),
        judge_failed=failed,
    )


async def score_outputs(
    texts: Sequence[str],
    ground_truths: Sequence[object],
    judge: Judge,
    weights: RewardWeights,
    on_failure: FailurePolicy,
) -> list[RewardScores]:
    """Score a batch concurrently (the judge bounds its own concurrency), in input order."""
    return list(
        await asyncio.gather(
            *(score_output(text, truth, judge, weights, on_failure) for text, truth in zip(texts, ground_truths))
        )
    )
