"""The R1-Reward final reward (§3.2 and appendix C.3, Table 7).

``gated`` (the paper's Eq. 2, default): ``result × (1 + λ·consistency) + μ·format`` — consistency only counts when the
answer is right, so a wrong answer can never earn it. ``external`` (Eq. 1, the Table 7 ablation):
``result + λ·consistency + μ·format``. λ = μ = 0.5 in the paper. All sub-rewards are 0 or 1.
"""

from dataclasses import dataclass
from typing import Literal, TypedDict

Combine = Literal["gated", "external"]
COMBINE_MODES: tuple[Combine, ...] = ("gated", "external")


@dataclass(frozen=True)
class RewardWeights:
    """λ (consistency weight), μ (format weight) and how consistency is combined with the result."""

    consistency: float = 0.5
    format: float = 0.5
    combine: Combine = "gated"

    def __post_init__(self) -> None:
        if self.combine not in COMBINE_MODES:
            raise ValueError(f"r1_reward.reward.combine={self.combine!r} is unknown: use one of {COMBINE_MODES}")
        if self.consistency < 0 or self.format < 0:
            raise ValueError(
                f"reward weights must be >= 0 (got consistency={self.consistency}, format={self.format}): "
                "set r1_reward.reward.consistency_weight / format_weight"
            )


class RewardScores(TypedDict):
    """One sample's reward and every sub-score; verl logs each key (as reward_extra_info)."""

    score: float  # the final reward the policy is trained on
    format: float  # 1 if the output is exactly <think>…</think><answer>…</answer>
    result: float  # 1 if the answer is 1 or 2 and equals the ground truth
    consistency: float  # 1 if the judge says reasoning and answer agree (asked only when result = 1)
    judged: float  # 1 if the judge was asked for this sample
    judge_failed: float  # 1 if the judge failed after retries and consistency was scored 0 (policy "zero")


def final_reward(result: float, consistency: float, format_ok: float, weights: RewardWeights) -> float:
    """Combine the three sub-rewards per ``weights.combine`` (§3.2 Eq. 2, or Eq. 1 for ``external``)."""
    if weights.combine == "gated":
        return result * (1.0 + weights.consistency * consistency) + weights.format * format_ok
    return result + weights.consistency * consistency + weights.format * format_ok
