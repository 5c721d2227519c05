"""Table 13 judges: flip with probability p, and the random judge (seeded, order-independent)."""

import asyncio

import pytest

from r1_reward.judge.base import JudgeRequest
from r1_reward.judge.config import JudgeConfig
from r1_reward.judge.factory import build_judge
from r1_reward.judge.noisy import FlipJudge, RandomJudge
from r1_reward.judge.rule import RuleJudge

REQUESTS = [JudgeRequest(f"case {i}: Response 1 is better.", "1") for i in range(2000)]  # all truly consistent


def verdicts(judge, requests=REQUESTS) -> list[bool]:
    async def run() -> list[bool]:
        return list(await asyncio.gather(*(judge.judge(r) for r in requests)))

    return asyncio.run(run())


@pytest.mark.parametrize(("flip_prob", "low", "high"), [(0.0, 1.0, 1.0), (0.25, 0.72, 0.78), (1.0, 0.0, 0.0)])
def test_flip_rate(flip_prob: float, low: float, high: float) -> None:
    """Of 2000 consistent samples, a fraction ≈ 1 - p stays "yes" (±3 sd ≈ ±0.03 at p = 0.25)."""
    kept = sum(verdicts(FlipJudge(RuleJudge(), flip_prob, seed=0))) / len(REQUESTS)
    assert low <= kept <= high


def test_flip_is_seeded_and_order_independent() -> None:
    a = verdicts(FlipJudge(RuleJudge(), 0.25, seed=7))
    b = verdicts(FlipJudge(RuleJudge(), 0.25, seed=7), REQUESTS[::-1])[::-1]
    c = verdicts(FlipJudge(RuleJudge(), 0.25, seed=8))
    assert a == b
    assert a != c


def test_random_judge_is_a_fair_coin() -> None:
    rate = sum(verdicts(RandomJudge(seed=0))) / len(REQUESTS)
    assert 0.46 <= rate <= 0.54  # ±3 sd of a fair coin over 2000 draws is ±0.034


def test_factory_wraps_flip_around_any_backend() -> None:
    judge = build_judge(JudgeConfig(backend="rule", flip_prob=0.25, seed=3))
    assert isinstance(judge, FlipJudge) and isinstance(judge.inner, RuleJudge)
    assert isinstance(build_judge(JudgeConfig(backend="random")), RandomJudge)
    with pytest.raises(ValueError, match="flip_prob"):
        build_judge(JudgeConfig(backend="rule", flip_prob=1.5))
