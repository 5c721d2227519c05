"""Glue for one verl 0.9.1 reward-loop quirk: a verl-managed reward model bypasses the reward manager.

In verl 0.9.1 ``RewardLoopWorker.compute_score`` sends every sample to its discriminative ``/classify`` path when
``reward.reward_model.enable=true``, unless ``reward.custom_reward_function.path`` is set; only then does it call
the configured reward manager. The ``pool`` judge needs both (the pool for the judge model, our manager for the
reward), so ``conf/judge/pool.yaml`` points ``custom_reward_function`` at :func:`compute_score` below.
``R1RewardManager`` ignores the function verl hands it; to stay honest it still computes the R1 reward with the
rule judge, so verl's stock managers could use it. ``tests/test_verl_api.py`` fails if verl changes.

Written against verl 0.9.1. No upstream issue is known; retire it (and conf/judge/pool.yaml's custom_reward_function)
when verl's RewardLoopWorker calls the reward manager for a managed reward model.
"""

import asyncio
from typing import Any

from r1_reward.judge.rule import RuleJudge
from r1_reward.reward.formula import RewardScores, RewardWeights
from r1_reward.reward.scoring import score_output

CUSTOM_REWARD_FUNCTION_PATH = "pkg://r1_reward.verl_glue.reward_quirks"
CUSTOM_REWARD_FUNCTION_NAME = "compute_score"


def compute_score(
    data_source: str, solution_str: str, ground_truth: object, extra_info: Any = None, **_: Any
) -> RewardScores:
    """verl ``compute_score`` signature: the R1 reward of one output with the rule judge and default weights."""
    return asyncio.run(score_output(solution_str, ground_truth, RuleJudge(), RewardWeights(), on_failure="fail"))
